//! Better Stack status pages: the JSON:API `index.json` (`data` = status_page, `included` =
//! sections, resources, status reports and status updates), and webhook bodies in the
//! Statuspage envelope (with an extra `event_type`).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::domain::status::{EntryKind, Impact, IncidentStatus};
use crate::ingest::observation::{
    ComponentObservation, IncidentObservation, PageInfo, ParsedDocument, UpdateObservation,
};
use crate::ingest::{Format, ParseError, html, json, slug, statuspage, time, vocab};

#[derive(Deserialize)]
struct Resource {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    status_page_resource_id: Option<String>,
    status: Option<String>,
}

pub fn parse(bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    let value = json::parse_value(bytes)?;
    if value.get("incident").is_some() || value.get("component_update").is_some() {
        return statuspage::parse_value(&value, Format::Betterstack);
    }
    let Some(data) = value.get("data").filter(|d| d.is_object()) else {
        return Err(ParseError::shape(
            "$",
            "expected a JSON:API document with `data` (or a webhook body)",
        ));
    };
    let mut doc = ParsedDocument::new(Format::Betterstack);
    let attrs = data.get("attributes").cloned().unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let name = text(&attrs, "company_name");
    let url = text(&attrs, "custom_domain")
        .map(|d| format!("https://{d}"))
        .or_else(|| text(&attrs, "company_url"));
    let service = name.as_deref().and_then(slug::page_service);
    if let Some(name) = name {
        doc.page = Some(PageInfo {
            external_id: data.get("id").and_then(json::scalar_text),
            name,
            url,
        });
    }
    let included = json::array(&value, "included", "$")?;
    let mut resources: HashMap<String, String> = HashMap::new();
    let mut updates: HashMap<String, (usize, &Value)> = HashMap::new();
    for (i, item) in included.iter().enumerate() {
        let id = item
            .get("id")
            .and_then(json::scalar_text)
            .unwrap_or_default();
        let a = item.get("attributes").unwrap_or(&Value::Null);
        match item.get("type").and_then(Value::as_str) {
            Some("status_page_resource") => {
                let name = text(a, "public_name").unwrap_or_else(|| id.clone());
                resources.insert(id.clone(), name.clone());
                doc.component_changes.push(ComponentObservation {
                    external_id: id,
                    name,
                    status_raw: text(a, "status").unwrap_or_default(),
                    old_status_raw: None,
                    occurred_at: None,
                });
            }
            Some("status_update") => {
                updates.insert(id, (i, item));
            }
            _ => {}
        }
    }
    for (i, item) in included.iter().enumerate() {
        if item.get("type").and_then(Value::as_str) == Some("status_report") {
            let report = report(
                item,
                &format!("$.included[{i}]"),
                &resources,
                &updates,
                service.clone(),
            )?;
            doc.incidents.push(report);
        }
    }
    Ok(doc)
}

fn affected(
    a: &Value,
    path: &str,
    resources: &HashMap<String, String>,
) -> Result<(Vec<String>, Vec<String>), ParseError> {
    let list: Vec<Resource> = match a.get("affected_resources") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => json::from_item(v, &format!("{path}.attributes.affected_resources"))?,
    };
    let mut names = Vec::new();
    let mut states = Vec::new();
    for r in list {
        let id = r.status_page_resource_id.unwrap_or_default();
        names.push(resources.get(&id).cloned().unwrap_or(id));
        states.extend(r.status);
    }
    Ok((names, states))
}

/// One status report: its id, times and resources, its linked status updates (oldest first),
/// then the state and impact they give.
fn report(
    item: &Value,
    path: &str,
    resources: &HashMap<String, String>,
    all_updates: &HashMap<String, (usize, &Value)>,
    service: Option<String>,
) -> Result<IncidentObservation, ParseError> {
    let id = item
        .get("id")
        .and_then(json::scalar_text)
        .ok_or_else(|| ParseError::shape(path, "missing `id`"))?;
    let a = item.get("attributes").unwrap_or(&Value::Null);
    let s = |k: &str| a.get(k).and_then(Value::as_str);
    let starts = time::opt_rfc3339(s("starts_at"), &format!("{path}.attributes.starts_at"))?;
    let ends = time::opt_rfc3339(s("ends_at"), &format!("{path}.attributes.ends_at"))?;
    let (components, _) = affected(a, path, resources)?;
    let updates = report_updates(item, resources, all_updates)?;
    let state = s("aggregate_state").unwrap_or_default().to_string();
    let status = status_of(&state);
    let worst = worst_impact(&updates);
    Ok(IncidentObservation {
        external_id: id,
        service,
        title: s("title").unwrap_or_default().trim().to_string(),
        status,
        status_raw: state,
        impact: worst.map(|(i, _)| i),
        impact_raw: worst.map(|(_, w)| w.to_string()),
        started_at: starts.or(updates.first().map(|u| u.occurred_at)),
        resolved_at: ends.or(status
            .filter(|s| s.is_closed())
            .and(updates.last().map(|u| u.occurred_at))),
        updated_at: updates.last().map(|u| u.occurred_at),
        url: None,
        components,
        is_maintenance: s("report_type") == Some("maintenance"),
        scheduled_for: None,
        scheduled_until: None,
        postmortem: None,
        updates,
        raw: json::raw(item),
    })
}

/// The status updates the report links to, oldest first; links to no included update are
/// skipped.
fn report_updates(
    item: &Value,
    resources: &HashMap<String, String>,
    all_updates: &HashMap<String, (usize, &Value)>,
) -> Result<Vec<UpdateObservation>, ParseError> {
    let mut updates = Vec::new();
    let links = item
        .pointer("/relationships/status_updates/data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for link in links {
        let Some(uid) = link.get("id").and_then(json::scalar_text) else {
            continue;
        };
        let Some((j, u)) = all_updates.get(&uid) else {
            continue;
        };
        updates.push(status_update(
            uid,
            u,
            &format!("$.included[{j}]"),
            resources,
        )?);
    }
    updates.sort_by_key(|u| u.occurred_at);
    Ok(updates)
}

/// One status update. Its word is the first resource state it reports; it resolves the
/// report when every state it reports is `resolved`.
fn status_update(
    uid: String,
    u: &Value,
    up: &str,
    resources: &HashMap<String, String>,
) -> Result<UpdateObservation, ParseError> {
    let ua = u.get("attributes").unwrap_or(&Value::Null);
    let original = ua
        .get("published_at")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let at = time::req_rfc3339(&original, &format!("{up}.attributes.published_at"))?;
    let (names, states) = affected(ua, up, resources)?;
    let word = states.first().cloned();
    let all_resolved = !states.is_empty() && states.iter().all(|w| w == "resolved");
    Ok(UpdateObservation {
        external_id: uid,
        occurred_at: at,
        original_time: original,
        status: all_resolved.then_some(IncidentStatus::Resolved),
        status_raw: word,
        kind: EntryKind::StatusUpdate,
        body: html::body_text(
            ua.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        ),
        components: names,
        changes: Vec::new(),
    })
}

/// The report's `aggregate_state` as a status.
fn status_of(state: &str) -> Option<IncidentStatus> {
    match state {
        "resolved" | "operational" => Some(IncidentStatus::Resolved),
        "degraded" | "downtime" => Some(IncidentStatus::Investigating),
        _ => None,
    }
}

/// Impact: the worst resource state any update reported, with its word.
fn worst_impact(updates: &[UpdateObservation]) -> Option<(Impact, &str)> {
    updates
        .iter()
        .filter_map(|u| u.status_raw.as_deref())
        .filter_map(|w| vocab::impact(w).map(|i| (i, w)))
        .max_by_key(|(i, _)| *i)
}
