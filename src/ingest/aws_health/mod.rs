//! The current AWS Health Dashboard feed `health.aws.amazon.com/public/currentevents`:
//! a JSON array of events, served as UTF-16 big-endian with a BOM.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::status::{EntryKind, IncidentStatus};
use crate::ingest::aws_datajson::{impact_of, split_resolved};
use crate::ingest::observation::{IncidentObservation, ParsedDocument, UpdateObservation};
use crate::ingest::{Format, ParseError, html, json, slug, time};

#[derive(Deserialize)]
struct Event {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    date: Option<String>,
    arn: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    status: Option<String>,
    service: Option<String>,
    service_name: Option<String>,
    summary: Option<String>,
    impacted_services: Option<BTreeMap<String, Impacted>>,
}

#[derive(Deserialize)]
struct Impacted {
    service_name: Option<String>,
}

#[derive(Deserialize)]
struct LogEntry {
    summary: Option<String>,
    message: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    status: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct Change {
    service: Option<String>,
    service_name: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    previous_status: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    current_status: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    timestamp: Option<String>,
}

pub fn parse(bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    let value = json::parse_value(bytes)?;
    let Value::Array(items) = &value else {
        return Err(ParseError::shape(
            "$",
            format!("expected an array of events, found {}", json::kind(&value)),
        ));
    };
    let mut doc = ParsedDocument::new(Format::AwsHealth);
    for (i, item) in items.iter().enumerate() {
        doc.incidents.push(event(item, &format!("$[{i}]"))?);
    }
    Ok(doc)
}

/// One event: its identity and state, then its timeline (log entries and service status
/// changes, oldest first), then the services it names.
fn event(item: &Value, path: &str) -> Result<IncidentObservation, ParseError> {
    let e: Event = json::from_item(item, path)?;
    let service_key = e.service.clone().unwrap_or_default();
    let date = event_date(&e, path)?;
    let external_id = event_id(&e, &service_key, path)?;
    let (resolved_prefix, title) = split_resolved(e.summary.as_deref().unwrap_or_default());
    let status_raw = e.status.clone().unwrap_or_default();
    let resolved = resolved_prefix || status_raw.trim() == "0";

    let mut updates = log_updates(item, path, &external_id)?;
    updates.extend(service_change_updates(item, path, &external_id)?);
    updates.sort_by_key(|u| u.occurred_at);

    let components = impacted_components(&e);
    let last = updates.last().map(|u| u.occurred_at);
    Ok(IncidentObservation {
        external_id,
        service: (!service_key.is_empty()).then(|| slug::aws_service(&service_key)),
        title,
        status: Some(if resolved {
            IncidentStatus::Resolved
        } else {
            IncidentStatus::Investigating
        }),
        impact: impact_of(&status_raw),
        impact_raw: e.status.clone(),
        status_raw,
        started_at: date.or(updates.first().map(|u| u.occurred_at)),
        resolved_at: if resolved { last.or(date) } else { None },
        updated_at: last.or(date),
        url: None,
        components,
        is_maintenance: false,
        postmortem: None,
        updates,
        raw: json::raw(item),
    })
}

/// The event's `date` (epoch seconds), if it has one.
fn event_date(e: &Event, path: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
    e.date
        .as_deref()
        .map(|d| {
            time::epoch_seconds(d).ok_or_else(|| ParseError::Time {
                path: format!("{path}.date"),
                value: d.to_string(),
            })
        })
        .transpose()
}

/// The ARN, or, for events without one, the service key and date.
fn event_id(e: &Event, service_key: &str, path: &str) -> Result<String, ParseError> {
    e.arn
        .clone()
        .filter(|a| !a.is_empty())
        .or_else(|| e.date.as_ref().map(|d| format!("{service_key}_{d}")))
        .ok_or_else(|| ParseError::shape(path, "event has neither `arn` nor `date`"))
}

/// One update per `event_log` entry; entries at the same second get `#2`, `#3`, ... ids.
fn log_updates(
    item: &Value,
    path: &str,
    external_id: &str,
) -> Result<Vec<UpdateObservation>, ParseError> {
    let mut updates = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, entry) in json::array(item, "event_log", path)?.iter().enumerate() {
        let p = format!("{path}.event_log[{i}]");
        let log: LogEntry = json::from_item(entry, &p)?;
        let stamp = log
            .timestamp
            .clone()
            .ok_or_else(|| ParseError::shape(&p, "missing `timestamp`"))?;
        let at = time::epoch_seconds(&stamp).ok_or_else(|| ParseError::Time {
            path: format!("{p}.timestamp"),
            value: stamp.clone(),
        })?;
        let entry_resolved = log.status.as_deref().is_some_and(|s| s.trim() == "0")
            || log.summary.as_deref().is_some_and(|s| split_resolved(s).0);
        let base = format!("{external_id}@{}", time::id_stamp(at));
        updates.push(UpdateObservation {
            external_id: numbered(&mut seen, base),
            occurred_at: at,
            original_time: stamp,
            status: entry_resolved.then_some(IncidentStatus::Resolved),
            status_raw: log.status,
            kind: EntryKind::StatusUpdate,
            body: html::body_text(log.message.as_deref().unwrap_or_default()),
            components: Vec::new(),
        });
    }
    Ok(updates)
}

/// Service status changes (epoch milliseconds), one timeline entry per instant.
fn service_change_updates(
    item: &Value,
    path: &str,
    external_id: &str,
) -> Result<Vec<UpdateObservation>, ParseError> {
    let mut by_time: BTreeMap<i64, Vec<Change>> = BTreeMap::new();
    for (i, entry) in json::array(item, "impacted_service_status_changes", path)?
        .iter()
        .enumerate()
    {
        let p = format!("{path}.impacted_service_status_changes[{i}]");
        let change: Change = json::from_item(entry, &p)?;
        let stamp = change.timestamp.clone().unwrap_or_default();
        let ms: i64 = stamp.trim().parse().map_err(|_| ParseError::Time {
            path: format!("{p}.timestamp"),
            value: stamp.clone(),
        })?;
        by_time.entry(ms).or_default().push(change);
    }
    Ok(by_time
        .into_iter()
        .filter_map(|(ms, changes)| changes_at(external_id, ms, &changes))
        .collect())
}

/// The entry for the changes at one instant: a `name: old -> new` line per service.
/// `None` when the instant is out of range.
fn changes_at(external_id: &str, ms: i64, changes: &[Change]) -> Option<UpdateObservation> {
    let at = time::epoch_millis(ms)?;
    let mut lines = Vec::new();
    let mut components = Vec::new();
    for c in changes {
        let name = c
            .service_name
            .clone()
            .or(c.service.clone())
            .unwrap_or_default();
        lines.push(format!(
            "{name}: {} -> {}",
            c.previous_status.as_deref().unwrap_or("?"),
            c.current_status.as_deref().unwrap_or("?")
        ));
        components.push(name);
    }
    Some(UpdateObservation {
        external_id: format!("{external_id}#services@{ms}"),
        occurred_at: at,
        original_time: ms.to_string(),
        status: None,
        status_raw: None,
        kind: EntryKind::ComponentChange,
        body: lines.join("\n"),
        components,
    })
}

/// The impacted services' names, first mention kept; else the event's own service name.
fn impacted_components(e: &Event) -> Vec<String> {
    let mut components: Vec<String> = Vec::new();
    for (key, impacted) in e.impacted_services.iter().flatten() {
        let name = impacted.service_name.clone().unwrap_or_else(|| key.clone());
        if !components.contains(&name) {
            components.push(name);
        }
    }
    if components.is_empty() {
        components.extend(e.service_name.clone().filter(|n| !n.is_empty()));
    }
    components
}

fn numbered(seen: &mut HashMap<String, usize>, base: String) -> String {
    let n = seen.entry(base.clone()).or_insert(0);
    *n += 1;
    if *n == 1 { base } else { format!("{base}#{n}") }
}

#[cfg(test)]
mod tests;
