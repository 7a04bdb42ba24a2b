//! Checkly public status pages (`/api/status-page/<slug>/unresolved-incidents`):
//! `{incidents: [{..., incidentUpdates: [...]}]}`, camelCase and snake_case mixed.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::status::EntryKind;
use crate::ingest::observation::{IncidentObservation, ParsedDocument, UpdateObservation};
use crate::ingest::{Format, ParseError, html, json, time, vocab};

#[derive(Deserialize)]
struct Incident {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    name: Option<String>,
    severity: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    #[serde(rename = "lastUpdateStatus")]
    last_update_status: Option<String>,
    services: Option<Vec<Service>>,
}

#[derive(Deserialize)]
struct Service {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Update {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    status: Option<String>,
    description: Option<String>,
    #[serde(rename = "publicIncidentUpdateDate")]
    public_date: Option<String>,
    created_at: Option<String>,
}

pub fn parse(bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    let value = json::parse_value(bytes)?;
    if !value.is_object() || value.get("incidents").is_none() {
        return Err(ParseError::shape(
            "$",
            "expected an object with an `incidents` array",
        ));
    }
    let mut doc = ParsedDocument::new(Format::Checkly);
    for (i, item) in json::array(&value, "incidents", "$")?.iter().enumerate() {
        doc.incidents
            .push(incident(item, &format!("$.incidents[{i}]"))?);
    }
    Ok(doc)
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
    let created = time::opt_rfc3339(inc.created_at.as_deref(), &format!("{path}.created_at"))?;
    let updated = time::opt_rfc3339(inc.updated_at.as_deref(), &format!("{path}.updated_at"))?;
    let mut updates = Vec::new();
    for (i, u) in json::array(item, "incidentUpdates", path)?
        .iter()
        .enumerate()
    {
        let p = format!("{path}.incidentUpdates[{i}]");
        let upd: Update = json::from_item(u, &p)?;
        let (original, which) = match (&upd.public_date, &upd.created_at) {
            (Some(d), _) => (d.clone(), "publicIncidentUpdateDate"),
            (None, Some(c)) => (c.clone(), "created_at"),
            (None, None) => return Err(ParseError::shape(&p, "update has no date")),
        };
        let at = time::req_rfc3339(&original, &format!("{p}.{which}"))?;
        updates.push(UpdateObservation {
            external_id: upd
                .id
                .unwrap_or_else(|| format!("{id}@{}", time::id_stamp(at))),
            occurred_at: at,
            original_time: original,
            status: upd.status.as_deref().and_then(vocab::status),
            status_raw: upd.status,
            kind: EntryKind::StatusUpdate,
            body: html::body_text(upd.description.as_deref().unwrap_or_default()),
            components: Vec::new(),
            changes: Vec::new(),
        });
    }
    updates.sort_by_key(|u| u.occurred_at);
    let status_raw = inc
        .last_update_status
        .clone()
        .or_else(|| updates.last().and_then(|u| u.status_raw.clone()))
        .unwrap_or_default();
    let status = vocab::status(&status_raw);
    Ok(IncidentObservation {
        external_id: id,
        service: None,
        title: inc.name.unwrap_or_default().trim().to_string(),
        status,
        status_raw,
        impact: inc.severity.as_deref().and_then(vocab::impact),
        impact_raw: inc.severity,
        started_at: created.or(updates.first().map(|u| u.occurred_at)),
        resolved_at: status
            .filter(|s| s.is_closed())
            .and(updates.last().map(|u| u.occurred_at).or(updated)),
        updated_at: updated,
        url: None,
        components: inc
            .services
            .iter()
            .flatten()
            .filter_map(|s| s.name.clone())
            .collect(),
        is_maintenance: false,
        scheduled_for: None,
        scheduled_until: None,
        postmortem: None,
        updates,
        raw: json::raw(item),
    })
}
