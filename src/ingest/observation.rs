//! The normalised output of every source parser: what a document says happened, before storage.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use std::fmt::Display;

use crate::domain::ComponentChange;
use crate::domain::status::{EntryKind, Impact, IncidentStatus};
use crate::ingest::Format;

/// Everything one source document said.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedDocument {
    pub format: Format,
    /// Who published it, if the document says.
    pub page: Option<PageInfo>,
    pub incidents: Vec<IncidentObservation>,
    /// Statuspage component_update webhooks, summary components.
    pub component_changes: Vec<ComponentObservation>,
}

impl ParsedDocument {
    pub fn new(format: Format) -> Self {
        ParsedDocument {
            format,
            page: None,
            incidents: Vec::new(),
            component_changes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageInfo {
    pub external_id: Option<String>,
    pub name: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentObservation {
    /// The source's own id (Statuspage id, AWS event key, GCP id, ...).
    pub external_id: String,
    /// Derived service slug (see DESIGN.md, "CLI").
    pub service: Option<String>,
    pub title: String,
    /// Mapped; `None` when the source word is unknown.
    #[serde(serialize_with = "ser_opt_vocab")]
    pub status: Option<IncidentStatus>,
    /// The source's own word, always kept (empty when the source has none).
    pub status_raw: String,
    #[serde(serialize_with = "ser_opt_vocab")]
    pub impact: Option<Impact>,
    pub impact_raw: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The incident's public page; the join key between a page's JSON and its feeds.
    pub url: Option<String>,
    /// Affected component / product / region names.
    pub components: Vec<String>,
    pub is_maintenance: bool,
    /// A maintenance's window, when the source gives it.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub scheduled_until: Option<DateTime<Utc>>,
    /// Postmortem text, if the source carries one (plain text).
    pub postmortem: Option<String>,
    /// Oldest first.
    pub updates: Vec<UpdateObservation>,
    /// The raw item (JSON object text or XML fragment) for provenance.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateObservation {
    /// The source's update id, or a stable synthetic one (incident id + time) when it has none.
    pub external_id: String,
    pub occurred_at: DateTime<Utc>,
    /// The timestamp exactly as the source wrote it.
    pub original_time: String,
    #[serde(serialize_with = "ser_opt_vocab")]
    pub status: Option<IncidentStatus>,
    pub status_raw: Option<String>,
    #[serde(serialize_with = "ser_vocab")]
    pub kind: EntryKind,
    /// Plain text / Markdown, never raw HTML.
    pub body: String,
    pub components: Vec<String>,
    /// The components whose status changed, as data; the body holds them in words.
    #[serde(serialize_with = "ser_changes", skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ComponentChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentObservation {
    pub external_id: String,
    pub name: String,
    pub status_raw: String,
    pub old_status_raw: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

// The domain enums do not derive Serialize; they serialise as their `as_str` names.
fn ser_opt_vocab<T: Display, S: Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn ser_vocab<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// `[{component, from, to}]`, the statuses by their names.
fn ser_changes<S: Serializer>(changes: &[ComponentChange], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(changes.len()))?;
    for c in changes {
        seq.serialize_element(&serde_json::json!({
            "component": c.component,
            "from": c.from.map(|f| f.as_str()),
            "to": c.to.map(|t| t.as_str()),
        }))?;
    }
    seq.end()
}
