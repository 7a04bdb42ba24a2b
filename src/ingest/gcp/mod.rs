//! Google Cloud `status.cloud.google.com/incidents.json`: an array of incidents, newest first,
//! each with `updates` (newest first) and `most_recent_update`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::domain::codes;
use crate::domain::status::{EntryKind, IncidentStatus};
use crate::ingest::observation::{IncidentObservation, ParsedDocument, UpdateObservation};
use crate::ingest::{Format, ParseError, html, json, time};

const BASE_URL: &str = "https://status.cloud.google.com";

#[derive(Deserialize)]
struct Incident {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    begin: Option<String>,
    end: Option<String>,
    modified: Option<String>,
    external_desc: Option<String>,
    status_impact: Option<String>,
    service_name: Option<String>,
    affected_products: Option<Vec<Named>>,
    uri: Option<String>,
    currently_affected_locations: Option<Vec<Named>>,
    previously_affected_locations: Option<Vec<Named>>,
}

#[derive(Deserialize)]
struct Named {
    title: Option<String>,
    id: Option<String>,
}

#[derive(Deserialize)]
struct Update {
    created: Option<String>,
    when: Option<String>,
    text: Option<String>,
    status: Option<String>,
    affected_locations: Option<Vec<Named>>,
}

pub fn parse(bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    let value = json::parse_value(bytes)?;
    let Value::Array(items) = &value else {
        return Err(ParseError::shape(
            "$",
            format!(
                "expected an array of incidents, found {}",
                json::kind(&value)
            ),
        ));
    };
    let mut doc = ParsedDocument::new(Format::Gcp);
    for (i, item) in items.iter().enumerate() {
        doc.incidents.push(incident(item, &format!("$[{i}]"))?);
    }
    Ok(doc)
}

/// Update status words: `AVAILABLE` is resolved; the three impact words mean still open.
fn status_of(word: &str) -> Option<IncidentStatus> {
    match word.trim().to_ascii_uppercase().as_str() {
        "AVAILABLE" => Some(IncidentStatus::Resolved),
        "SERVICE_INFORMATION" | "SERVICE_DISRUPTION" | "SERVICE_OUTAGE" => {
            Some(IncidentStatus::Investigating)
        }
        _ => None,
    }
}

/// One incident: its identity and times, its updates (oldest first), then the state, places
/// and page the incident as a whole reports.
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
    let field = |name: &str| format!("{path}.{name}");
    let begin = time::opt_rfc3339(inc.begin.as_deref(), &field("begin"))?;
    let end = time::opt_rfc3339(inc.end.as_deref(), &field("end"))?;
    let modified = time::opt_rfc3339(inc.modified.as_deref(), &field("modified"))?;

    let mut updates = updates_of(item, path, &id)?;
    let latest_word = latest_status_word(item, &updates);
    // The worst impact the incident reported over its life, not only its latest.
    let impact = updates
        .iter()
        .filter_map(|u| u.status_raw.as_deref())
        .chain(inc.status_impact.as_deref())
        .filter_map(codes::gcp_impact)
        .max();
    // Posts show their status in words; the codes stay in the raw item.
    for u in &mut updates {
        if let Some(word) = u.status_raw.as_deref().and_then(codes::gcp_post_word) {
            u.status_raw = Some(word.to_string());
        }
    }
    let status = if end.is_some() {
        Some(IncidentStatus::Resolved)
    } else {
        status_of(&latest_word)
    };
    let components = components(&inc);
    let url = inc.uri.as_deref().map(page_url);
    Ok(IncidentObservation {
        external_id: id,
        service: Some("gcp".to_string()),
        title: inc.external_desc.unwrap_or_default().trim().to_string(),
        status,
        status_raw: latest_word,
        impact,
        impact_raw: inc.status_impact,
        started_at: begin.or(updates.first().map(|u| u.occurred_at)),
        resolved_at: end,
        updated_at: modified,
        url,
        components,
        is_maintenance: false,
        scheduled_for: None,
        scheduled_until: None,
        postmortem: None,
        updates,
        raw: json::raw(item),
    })
}

/// The incident's `updates`, oldest first.
fn updates_of(item: &Value, path: &str, id: &str) -> Result<Vec<UpdateObservation>, ParseError> {
    let mut updates = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let items = json::array(item, "updates", path)?;
    // Newest first in the source: number duplicates from the oldest so ids stay stable.
    for (i, u) in items.iter().enumerate().rev() {
        updates.push(update(u, &format!("{path}.updates[{i}]"), id, &mut seen)?);
    }
    updates.sort_by_key(|u| u.occurred_at);
    Ok(updates)
}

/// One update. Its time is `when`, else `created`; its id is the incident id and `created`
/// (else that time), numbered `#2`, `#3`, ... after the first at the same second.
fn update(
    u: &Value,
    p: &str,
    id: &str,
    seen: &mut HashMap<String, usize>,
) -> Result<UpdateObservation, ParseError> {
    let upd: Update = json::from_item(u, p)?;
    let (original_time, which) = match (&upd.when, &upd.created) {
        (Some(w), _) => (w.clone(), "when"),
        (None, Some(c)) => (c.clone(), "created"),
        (None, None) => {
            return Err(ParseError::shape(
                p,
                "update has neither `when` nor `created`",
            ));
        }
    };
    let occurred_at = time::req_rfc3339(&original_time, &format!("{p}.{which}"))?;
    let id_time = match upd.created.as_deref() {
        Some(c) => time::req_rfc3339(c, &format!("{p}.created"))?,
        None => occurred_at,
    };
    let base = format!("{id}@{}", time::id_stamp(id_time));
    let n = seen.entry(base.clone()).or_insert(0);
    *n += 1;
    let components = upd
        .affected_locations
        .iter()
        .flatten()
        .filter_map(name_of)
        .collect();
    Ok(UpdateObservation {
        external_id: if *n == 1 { base } else { format!("{base}#{n}") },
        occurred_at,
        original_time,
        status: upd.status.as_deref().and_then(status_of),
        status_raw: upd.status,
        kind: EntryKind::StatusUpdate,
        body: html::body_text(upd.text.as_deref().unwrap_or_default()),
        components,
        changes: Vec::new(),
    })
}

/// `most_recent_update.status`, else the newest update's status word, else empty.
fn latest_status_word(item: &Value, updates: &[UpdateObservation]) -> String {
    item.pointer("/most_recent_update/status")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| updates.last().and_then(|u| u.status_raw.clone()))
        .unwrap_or_default()
}

/// Affected products, then previously and currently affected locations, first mention kept;
/// the service name when there are none.
fn components(inc: &Incident) -> Vec<String> {
    let mut components: Vec<String> = Vec::new();
    let products = inc.affected_products.iter().flatten();
    let locations = inc
        .previously_affected_locations
        .iter()
        .chain(inc.currently_affected_locations.iter())
        .flatten();
    for name in products.chain(locations).filter_map(name_of) {
        if !components.contains(&name) {
            components.push(name);
        }
    }
    if components.is_empty() {
        components.extend(inc.service_name.clone());
    }
    components
}

/// The incident page: `uri` as is when absolute, else under the dashboard's address.
fn page_url(uri: &str) -> String {
    if uri.starts_with("http") {
        uri.to_string()
    } else {
        format!("{BASE_URL}/{}", uri.trim_start_matches('/'))
    }
}

fn name_of(n: &Named) -> Option<String> {
    n.title
        .clone()
        .or(n.id.clone())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests;
