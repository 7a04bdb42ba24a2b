//! The current AWS Health Dashboard feed `health.aws.amazon.com/public/currentevents`:
//! a JSON array of events, served as UTF-16 big-endian with a BOM.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::codes::{self, aws_code};
use crate::domain::component_change::{self, ComponentChange};
use crate::domain::status::{EntryKind, Impact, IncidentStatus};
use crate::ingest::aws_datajson::split_resolved;
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
    /// The worst status the service reached in this event.
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    max: Option<String>,
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

    let (mut updates, codes) = log_updates(item, path, &external_id)?;
    let course = codes::aws_course(&codes);
    for (update, step) in updates.iter_mut().zip(&course) {
        update.status = step.or(update.status);
    }
    let changes = service_changes(item, path)?;
    let impact = worst(&e, &codes, &changes);
    updates.extend(
        changes
            .into_iter()
            .filter_map(|(ms, at)| changes_at(&external_id, ms, &at)),
    );
    updates.sort_by_key(|u| u.occurred_at);

    let components = impacted_components(&e);
    let last = updates.last().map(|u| u.occurred_at);
    Ok(IncidentObservation {
        external_id,
        service: (!service_key.is_empty()).then(|| slug::aws_service(&service_key)),
        title,
        status: Some(codes::aws_status(resolved, &course)),
        impact,
        impact_raw: e.status.clone(),
        status_raw,
        started_at: date.or(updates.first().map(|u| u.occurred_at)),
        resolved_at: if resolved { last.or(date) } else { None },
        updated_at: last.or(date),
        url: None,
        components,
        is_maintenance: false,
        scheduled_for: None,
        scheduled_until: None,
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

/// The event's impact: the worst severity anything in it reached (the event, a post, a service
/// change, a service's `max`), critical when several services reached it.
fn worst(e: &Event, post_codes: &[Option<u8>], changes: &[(i64, Vec<Change>)]) -> Option<Impact> {
    let mut by_service: BTreeMap<String, u8> = BTreeMap::new();
    let mut raise = |service: String, code: Option<u8>| {
        if let Some(code) = code {
            let at = by_service.entry(service).or_insert(code);
            *at = (*at).max(code);
        }
    };
    for (key, impacted) in e.impacted_services.iter().flatten() {
        raise(key.clone(), impacted.max.as_deref().and_then(aws_code));
    }
    for c in changes.iter().flat_map(|(_, at)| at) {
        let name = c
            .service
            .clone()
            .or(c.service_name.clone())
            .unwrap_or_default();
        raise(name.clone(), c.current_status.as_deref().and_then(aws_code));
        raise(name, c.previous_status.as_deref().and_then(aws_code));
    }
    let own = e.status.as_deref().and_then(aws_code);
    let posts = post_codes.iter().flatten().copied().max();
    let services = by_service.values().copied().max();
    let peak = [own, posts, services].into_iter().flatten().max()?;
    let at_peak = by_service.values().filter(|c| **c == peak).count();
    Some(codes::aws_impact(peak, at_peak.max(1)))
}

/// One update per `event_log` entry, oldest first; entries at the same second get `#2`, `#3`,
/// ... ids. Each post's status shows in words; its code (when it has one) comes back beside.
fn log_updates(
    item: &Value,
    path: &str,
    external_id: &str,
) -> Result<(Vec<UpdateObservation>, Vec<Option<u8>>), ParseError> {
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
        let word = log.status.as_deref().map(|code| {
            codes::aws_post_word(code).map_or_else(|| code.trim().to_string(), str::to_string)
        });
        updates.push(UpdateObservation {
            external_id: numbered(&mut seen, base),
            occurred_at: at,
            original_time: stamp,
            status: entry_resolved.then_some(IncidentStatus::Resolved),
            status_raw: word,
            kind: EntryKind::StatusUpdate,
            body: html::body_text(log.message.as_deref().unwrap_or_default()),
            components: Vec::new(),
            changes: Vec::new(),
        });
    }
    // Oldest first, as the severity's course is read; the sort is stable, so posts at one
    // second keep the document's order.
    updates.sort_by_key(|u| u.occurred_at);
    let codes = updates
        .iter()
        .map(|u| u.status_raw.as_deref().and_then(codes::aws_post_code))
        .collect();
    Ok((updates, codes))
}

/// Service status changes (epoch milliseconds), grouped by instant, oldest first.
fn service_changes(item: &Value, path: &str) -> Result<Vec<(i64, Vec<Change>)>, ParseError> {
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
    Ok(by_time.into_iter().collect())
}

/// The entry for the changes at one instant: each service's change as data, and in words
/// ("Amazon DynamoDB: service disruption (was operational)"). `None` when the instant is out of
/// range.
fn changes_at(external_id: &str, ms: i64, changes: &[Change]) -> Option<UpdateObservation> {
    let at = time::epoch_millis(ms)?;
    let mut data = Vec::new();
    let mut components = Vec::new();
    for c in changes {
        let name = c
            .service_name
            .clone()
            .or(c.service.clone())
            .unwrap_or_default();
        data.push(ComponentChange {
            component: name.clone(),
            from: c.previous_status.as_deref().and_then(codes::aws_service),
            to: c.current_status.as_deref().and_then(codes::aws_service),
        });
        components.push(name);
    }
    Some(UpdateObservation {
        external_id: format!("{external_id}#services@{ms}"),
        occurred_at: at,
        original_time: ms.to_string(),
        status: None,
        status_raw: None,
        kind: EntryKind::ComponentChange,
        body: component_change::words(&data),
        components,
        changes: data,
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
