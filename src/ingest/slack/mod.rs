//! Slack status API v2 (`slack-status.com/api/v2.0.0/current` and `/history`).
//! Notes bodies are `\r\n`-separated plain text; times are ISO 8601 with an offset.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::domain::status::{EntryKind, Impact, IncidentStatus};
use crate::ingest::observation::{
    IncidentObservation, PageInfo, ParsedDocument, UpdateObservation,
};
use crate::ingest::{Format, ParseError, html, json, time};

#[derive(Deserialize)]
struct Incident {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    date_created: Option<String>,
    date_updated: Option<String>,
    title: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    url: Option<String>,
    services: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Note {
    date_created: Option<String>,
    body: Option<String>,
}

pub fn parse(bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    let value = json::parse_value(bytes)?;
    let (items, path): (&[Value], &str) = match &value {
        Value::Array(items) => (items, "$"),
        Value::Object(_) if value.get("active_incidents").is_some() => (
            json::array(&value, "active_incidents", "$")?,
            "$.active_incidents",
        ),
        other => {
            return Err(ParseError::shape(
                "$",
                format!(
                    "expected an incident array or `active_incidents`, found {}",
                    json::kind(other)
                ),
            ));
        }
    };
    let mut doc = ParsedDocument::new(Format::Slack);
    doc.page = Some(PageInfo {
        external_id: None,
        name: "Slack".to_string(),
        url: Some("https://slack-status.com".to_string()),
    });
    for (i, item) in items.iter().enumerate() {
        doc.incidents.push(incident(item, &format!("{path}[{i}]"))?);
    }
    Ok(doc)
}

fn status_of(word: &str) -> Option<IncidentStatus> {
    match word.trim().to_ascii_lowercase().as_str() {
        "active" => Some(IncidentStatus::Investigating),
        "resolved" | "completed" => Some(IncidentStatus::Resolved),
        _ => None,
    }
}

fn impact_of(kind: &str) -> Option<Impact> {
    match kind.trim().to_ascii_lowercase().as_str() {
        "outage" => Some(Impact::Major),
        "incident" => Some(Impact::Minor),
        "notice" => Some(Impact::None),
        _ => None,
    }
}

fn incident(item: &Value, path: &str) -> Result<IncidentObservation, ParseError> {
    if !item.is_object() {
        return Err(ParseError::shape(
            path,
            format!("expected an object, found {}", json::kind(item)),
        ));
    }
    let inc: Incident = json::from_item(item, path)?;
    let id = inc
        .id
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ParseError::shape(path, "missing `id`"))?;
    let created = time::opt_rfc3339(inc.date_created.as_deref(), &format!("{path}.date_created"))?;
    let updated = time::opt_rfc3339(inc.date_updated.as_deref(), &format!("{path}.date_updated"))?;
    let status_raw = inc.status.clone().unwrap_or_default();
    let status = status_of(&status_raw);
    let kind = inc.kind.clone().unwrap_or_default();
    let is_maintenance = kind.eq_ignore_ascii_case("maintenance")
        || ["scheduled", "completed", "cancelled"]
            .contains(&status_raw.to_ascii_lowercase().as_str());

    let mut updates = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let notes = json::array(item, "notes", path)?;
    for (i, n) in notes.iter().enumerate() {
        let p = format!("{path}.notes[{i}]");
        let note: Note = json::from_item(n, &p)?;
        let original = note
            .date_created
            .clone()
            .ok_or_else(|| ParseError::shape(&p, "missing `date_created`"))?;
        let at = time::req_rfc3339(&original, &format!("{p}.date_created"))?;
        updates.push(UpdateObservation {
            external_id: String::new(),
            occurred_at: at,
            original_time: original,
            status: None,
            status_raw: None,
            kind: EntryKind::StatusUpdate,
            body: html::body_text(note.body.as_deref().unwrap_or_default()),
            components: Vec::new(),
            changes: Vec::new(),
        });
    }
    updates.sort_by_key(|u| u.occurred_at);
    for u in &mut updates {
        let base = format!("{id}@{}", time::id_stamp(u.occurred_at));
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        u.external_id = if *n == 1 { base } else { format!("{base}#{n}") };
    }
    if let (Some(last), Some(s)) = (updates.last_mut(), status.filter(|s| s.is_closed())) {
        last.status = Some(s);
        last.status_raw = Some(status_raw.clone());
    }
    let last_note = updates.last().map(|u| u.occurred_at);
    Ok(IncidentObservation {
        external_id: id,
        service: Some("slack".to_string()),
        title: inc.title.unwrap_or_default().trim().to_string(),
        status,
        resolved_at: status.filter(|s| s.is_closed()).and(last_note.or(updated)),
        status_raw,
        impact: impact_of(&kind),
        impact_raw: inc.kind,
        started_at: created.or(updates.first().map(|u| u.occurred_at)),
        updated_at: updated,
        url: inc.url,
        components: inc.services.unwrap_or_default(),
        is_maintenance,
        scheduled_for: None,
        scheduled_until: None,
        postmortem: None,
        updates,
        raw: json::raw(item),
    })
}

#[cfg(test)]
mod tests;
