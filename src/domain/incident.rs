//! Incidents and their timelines, as read, and the commands that change them.

use chrono::{DateTime, Utc};

use super::ids::{EntryId, IncidentId};
use super::milestones::Milestones;
use super::service::ServiceSlug;
use super::status::{EntryKind, Impact, IncidentKind, IncidentStatus, LinkKind, LinkSetBy, Origin};
use super::text::{Body, Title};

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: IncidentId,
    pub title: String,
    pub status: IncidentStatus,
    pub impact: Impact,
    pub origin: Origin,
    pub services: Vec<String>,
    pub milestones: Milestones,
    pub url: Option<String>,
    pub report_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Grows with every change to what the incident shows (`version` module).
    pub version: i64,
    pub kind: IncidentKind,
    /// A maintenance's window.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub scheduled_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub id: EntryId,
    pub incident_id: IncidentId,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub kind: EntryKind,
    pub source: String,
    /// The status as the source wrote it; may be a word outside our vocabulary.
    pub status: Option<String>,
    pub impact: Option<String>,
    pub body: String,
    pub author: Option<String>,
    pub url: Option<String>,
    /// When the source last changed this post's text; earlier texts are kept.
    pub edited_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentLink {
    pub incident_id: IncidentId,
    pub title: String,
    pub kind: LinkKind,
    pub confidence: f64,
    pub reason: String,
    pub set_by: LinkSetBy,
}

/// A validated request to open an incident.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub title: Title,
    pub services: Vec<ServiceSlug>,
    pub status: IncidentStatus,
    pub impact: Impact,
    pub origin: Origin,
    pub started_at: DateTime<Utc>,
    /// The first timeline entry; when absent, one is written from the title so the timeline is never empty.
    pub body: Option<Body>,
    pub author: Option<String>,
    pub source: String,
}

/// A validated timeline update.
#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub body: Body,
    pub status: Option<IncidentStatus>,
    pub impact: Option<Impact>,
    pub occurred_at: DateTime<Utc>,
    pub author: Option<String>,
    pub source: String,
}

/// The part of an incident an update can move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentState {
    pub status: IncidentStatus,
    pub impact: Impact,
    pub milestones: Milestones,
    /// When the newest status-bearing entry happened; older (backfilled) updates do not move the status.
    pub status_as_of: DateTime<Utc>,
}

impl IncidentState {
    /// Applies an update: a newer update moves status, impact and milestones; an older one only
    /// fills milestones that are still empty, since it tells us when something first happened.
    pub fn apply_update(
        &mut self,
        status: Option<IncidentStatus>,
        impact: Option<Impact>,
        at: DateTime<Utc>,
    ) {
        let newer = at >= self.status_as_of;
        if let Some(to) = status {
            if newer {
                self.milestones.apply_status_change(self.status, to, at);
                self.status = to;
                self.status_as_of = at;
            } else {
                let mut earlier = self.milestones;
                earlier.apply_status_change(IncidentStatus::Investigating, to, at);
                let m = &mut self.milestones;
                m.acknowledged = m.acknowledged.or(earlier.acknowledged);
                m.mitigated = m.mitigated.or(earlier.mitigated);
            }
        }
        if let (Some(impact), true) = (impact, newer) {
            self.impact = impact;
        }
    }
}

/// What a person may change on an incident. `Some(None)` clears a milestone.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub title: Option<Title>,
    pub status: Option<IncidentStatus>,
    pub impact: Option<Impact>,
    pub started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<Option<DateTime<Utc>>>,
    pub acknowledged_at: Option<Option<DateTime<Utc>>>,
    pub mitigated_at: Option<Option<DateTime<Utc>>>,
    pub resolved_at: Option<Option<DateTime<Utc>>>,
}

impl IncidentPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.status.is_none()
            && self.impact.is_none()
            && self.started_at.is_none()
            && self.detected_at.is_none()
            && self.acknowledged_at.is_none()
            && self.mitigated_at.is_none()
            && self.resolved_at.is_none()
    }

    /// A person's status change follows the same milestone rules as an update; times the same
    /// patch sets explicitly are applied last, so they win.
    pub fn apply_to(&self, state: &mut IncidentState, now: DateTime<Utc>) {
        if let Some(to) = self.status {
            state.milestones.apply_status_change(state.status, to, now);
            state.status = to;
            state.status_as_of = state.status_as_of.max(now);
        }
        if let Some(impact) = self.impact {
            state.impact = impact;
        }
        let m = &mut state.milestones;
        if let Some(t) = self.started_at {
            m.started = Some(t);
        }
        for (field, value) in [
            (&mut m.detected, self.detected_at),
            (&mut m.acknowledged, self.acknowledged_at),
            (&mut m.mitigated, self.mitigated_at),
            (&mut m.resolved, self.resolved_at),
        ] {
            if let Some(v) = value {
                *field = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 20, h, 0, 0)
            .single()
            .unwrap()
    }

    fn fresh() -> IncidentState {
        IncidentState {
            status: Investigating,
            impact: Impact::Minor,
            milestones: Milestones {
                started: Some(at(7)),
                detected: Some(at(7)),
                ..Default::default()
            },
            status_as_of: at(7),
        }
    }

    #[test]
    fn a_newer_update_moves_status_impact_and_milestones() {
        let mut s = fresh();
        s.apply_update(Some(Identified), Some(Impact::Major), at(8));
        assert_eq!(
            (s.status, s.impact, s.milestones.acknowledged),
            (Identified, Impact::Major, Some(at(8)))
        );
    }

    #[test]
    fn a_backfilled_older_update_fills_milestones_but_leaves_the_status() {
        let mut s = fresh();
        s.apply_update(Some(Resolved), None, at(12));
        s.apply_update(Some(Monitoring), Some(Impact::Critical), at(10));
        assert_eq!(s.status, Resolved);
        assert_eq!(s.impact, Impact::Minor);
        assert_eq!(s.milestones.mitigated, Some(at(10)));
    }

    #[test]
    fn a_patch_sets_times_explicitly_after_the_status_rules() {
        let mut s = fresh();
        let patch = IncidentPatch {
            status: Some(Resolved),
            resolved_at: Some(Some(at(11))),
            ..Default::default()
        };
        patch.apply_to(&mut s, at(13));
        assert_eq!((s.status, s.milestones.resolved), (Resolved, Some(at(11))));
    }
}
