//! What the search index knows of an incident: everything a person may search for, flattened.
//!
//! The index is derived from the store; this is the one shape the store hands to it, so the
//! index never reads tables itself.

use chrono::{DateTime, Utc};

use super::{Impact, IncidentId, IncidentStatus, Origin};

#[derive(Debug, Clone, PartialEq)]
pub struct SearchableIncident {
    pub id: IncidentId,
    pub title: String,
    pub status: IncidentStatus,
    pub impact: Impact,
    pub origin: Origin,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub services: Vec<String>,
    pub providers: Vec<String>,
    pub regions: Vec<String>,
    pub components: Vec<String>,
    /// The incidents this one is downstream of (its `upstream` links), by id: search nests it
    /// under them when both are hits.
    pub upstream: Vec<String>,
    /// The names of the services of the incidents linked upstream or downstream of this one, so
    /// that an app's outage is found by the provider's name that caused it, and the reverse.
    pub cascade_names: Vec<String>,
    /// Timeline entry bodies oldest first, then report comments, then the latest postmortem.
    pub texts: Vec<String>,
}

impl SearchableIncident {
    /// Seconds from start to resolution, or to `now` while the incident is still open.
    pub fn duration_secs(&self, now: DateTime<Utc>) -> u64 {
        let end = self.resolved_at.unwrap_or(now);
        (end - self.started_at).num_seconds().max(0) as u64
    }
}
