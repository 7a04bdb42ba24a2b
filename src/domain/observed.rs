//! What a source says about an incident, already normalised: the input of an idempotent upsert.
//! Keys are the source's own ids, so applying the same observation twice changes nothing.

use chrono::{DateTime, Utc};

use super::service::ServiceSlug;
use super::status::{EntryKind, Impact, IncidentStatus, Origin};

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedIncident {
    pub external_id: String,
    pub title: String,
    pub services: Vec<ServiceSlug>,
    /// (service, component) pairs for the parts of a service that were affected.
    pub components: Vec<(ServiceSlug, String)>,
    pub impact: Option<Impact>,
    pub origin: Origin,
    pub url: Option<String>,
    /// When the source says it started; the earliest update otherwise.
    pub started_at: Option<DateTime<Utc>>,
    /// The incident's own status on the source, for sources whose updates carry none (AWS, GCP).
    pub status: Option<IncidentStatus>,
    /// When the source says it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the source last changed it; the incident-level status is as of this time.
    pub updated_at: Option<DateTime<Utc>>,
    pub updates: Vec<ObservedUpdate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedUpdate {
    pub external_id: String,
    pub occurred_at: DateTime<Utc>,
    pub status: Option<IncidentStatus>,
    /// The source's own word, kept even when it maps to nothing we know.
    pub status_raw: Option<String>,
    pub impact: Option<Impact>,
    pub kind: EntryKind,
    pub body: String,
    pub source: String,
    pub url: Option<String>,
    pub original_time: Option<String>,
}

/// What an upsert did to one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created,
    Updated,
    Unchanged,
}

/// What an upsert did, in detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpsertReport {
    /// The incident the observation landed in.
    pub incident_id: super::ids::IncidentId,
    pub outcome: UpsertOutcome,
    pub entries_added: usize,
    pub entries_edited: usize,
}

/// Whether two texts say the same thing once whitespace is ignored: the same post read through
/// two formats (Statuspage JSON and its Atom feed) differs only in line breaks and spacing.
pub fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}
