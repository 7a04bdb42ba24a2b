//! View models: what templates print, already formatted (UTC times, durations).

use chrono::{DateTime, Utc};

use crate::domain::milestones::humanize;
use crate::domain::{Incident, IncidentKind};

pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn iso(t: DateTime<Utc>) -> String {
    crate::http::api::dto::rfc3339(t)
}

pub struct IncidentItem {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub impact: &'static str,
    pub services: Vec<String>,
    pub started: String,
    pub started_iso: String,
    pub duration: String,
    /// Planned work rather than an outage: the lists say so.
    pub maintenance: bool,
}

impl From<&Incident> for IncidentItem {
    fn from(i: &Incident) -> Self {
        let started = i.milestones.started.unwrap_or(i.created_at);
        Self {
            id: i.id.to_string(),
            title: i.title.clone(),
            status: i.status.as_str(),
            impact: i.impact.as_str(),
            services: i.services.clone(),
            started: utc(started),
            started_iso: iso(started),
            duration: i
                .milestones
                .durations()
                .to_resolve
                .map(humanize)
                .unwrap_or_default(),
            maintenance: i.kind == IncidentKind::Maintenance,
        }
    }
}
