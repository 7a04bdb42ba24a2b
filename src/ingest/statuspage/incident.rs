//! One Statuspage incident or scheduled maintenance, with its updates.
//!
//! Updates are sorted oldest first; sources list them newest first, so updates at the same
//! time end up in the reverse of the source's order. An update's time is its `display_at`,
//! else `created_at`. An incident starts at its `started_at`, else (for maintenance) its
//! `scheduled_for`, else the earlier of `created_at` and its first update; a closed incident
//! without `resolved_at` ends at its last closing update.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{Component, Context};
use crate::domain::codes;
use crate::domain::component_change::{self, ComponentChange};
use crate::domain::status::{EntryKind, IncidentStatus};
use crate::ingest::observation::{IncidentObservation, UpdateObservation};
use crate::ingest::{ParseError, html, json, time, vocab};

#[derive(Deserialize)]
struct Incident {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    name: Option<String>,
    status: Option<String>,
    impact: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    resolved_at: Option<String>,
    started_at: Option<String>,
    scheduled_for: Option<String>,
    scheduled_until: Option<String>,
    shortlink: Option<String>,
    postmortem_body: Option<String>,
}

#[derive(Deserialize)]
struct Update {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    status: Option<String>,
    body: Option<String>,
    display_at: Option<String>,
    created_at: Option<String>,
    affected_components: Option<Vec<Affected>>,
}

#[derive(Deserialize)]
struct Affected {
    name: Option<String>,
    old_status: Option<String>,
    new_status: Option<String>,
}

/// The incident's own timestamps, as parsed.
struct Times {
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    scheduled_for: Option<DateTime<Utc>>,
    scheduled_until: Option<DateTime<Utc>>,
}

/// One incident: identity and times, updates, components, then the state derived from them.
/// `maintenance_list` says the item came from a maintenance key or list.
pub(super) fn incident(
    item: &Value,
    path: &str,
    maintenance_list: bool,
    ctx: &Context,
) -> Result<IncidentObservation, ParseError> {
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
    let times = times(&inc, path)?;
    let updates = updates_of(item, path, &id)?;
    let components = components_of(item, path, &updates)?;

    let status_raw = inc.status.clone().unwrap_or_default();
    let status = vocab::status(&status_raw);
    let impact_raw = inc.impact.clone();
    let is_maintenance = maintenance_list || is_maintenance(&inc, &times);
    let url = url_of(&inc, &id, ctx);
    let postmortem = postmortem_of(&inc);

    Ok(IncidentObservation {
        external_id: id,
        service: ctx.service.clone(),
        title: inc.name.unwrap_or_default(),
        status,
        status_raw,
        impact: impact_raw.as_deref().and_then(vocab::impact),
        impact_raw,
        started_at: started_at(&times, is_maintenance, &updates),
        resolved_at: resolved_at(&times, status, &updates),
        updated_at: times.updated_at,
        url,
        components,
        is_maintenance,
        scheduled_for: times.scheduled_for.filter(|_| is_maintenance),
        scheduled_until: times.scheduled_until.filter(|_| is_maintenance),
        postmortem,
        updates,
        raw: json::raw(item),
    })
}

/// Scheduled, or called maintenance by its impact or status word.
fn is_maintenance(inc: &Incident, times: &Times) -> bool {
    times.scheduled_for.is_some()
        || inc
            .impact
            .as_deref()
            .is_some_and(vocab::is_maintenance_word)
        || vocab::is_maintenance_word(inc.status.as_deref().unwrap_or_default())
}

/// The incident under the page's address, else its `shortlink`.
fn url_of(inc: &Incident, id: &str, ctx: &Context) -> Option<String> {
    ctx.base_url
        .as_ref()
        .map(|base| format!("{base}/incidents/{id}"))
        .or(inc.shortlink.clone())
}

/// The postmortem as plain text, if it has any.
fn postmortem_of(inc: &Incident) -> Option<String> {
    inc.postmortem_body
        .as_deref()
        .map(html::body_text)
        .filter(|s| !s.is_empty())
}

fn times(inc: &Incident, path: &str) -> Result<Times, ParseError> {
    let at = |text: Option<&str>, name: &str| time::opt_rfc3339(text, &format!("{path}.{name}"));
    Ok(Times {
        created_at: at(inc.created_at.as_deref(), "created_at")?,
        updated_at: at(inc.updated_at.as_deref(), "updated_at")?,
        resolved_at: at(inc.resolved_at.as_deref(), "resolved_at")?,
        started_at: at(inc.started_at.as_deref(), "started_at")?,
        scheduled_for: at(inc.scheduled_for.as_deref(), "scheduled_for")?,
        scheduled_until: at(inc.scheduled_until.as_deref(), "scheduled_until")?,
    })
}

/// The `incident_updates` (or `maintenance_updates`), oldest first.
fn updates_of(
    item: &Value,
    path: &str,
    incident_id: &str,
) -> Result<Vec<UpdateObservation>, ParseError> {
    let updates_key = if item.get("maintenance_updates").is_some() {
        "maintenance_updates"
    } else {
        "incident_updates"
    };
    let mut updates = Vec::new();
    for (i, u) in json::array(item, updates_key, path)?.iter().enumerate() {
        updates.push(update(
            u,
            &format!("{path}.{updates_key}[{i}]"),
            incident_id,
        )?);
    }
    // Sources list updates newest first; keep that order among equal times, then sort oldest first.
    updates.reverse();
    updates.sort_by_key(|u| u.occurred_at);
    Ok(updates)
}

/// The incident's `components` (names or component objects), then those its updates name.
fn components_of(
    item: &Value,
    path: &str,
    updates: &[UpdateObservation],
) -> Result<Vec<String>, ParseError> {
    let mut components: Vec<String> = Vec::new();
    for (i, c) in json::array(item, "components", path)?.iter().enumerate() {
        let name = match c {
            Value::String(s) => Some(s.clone()),
            other => json::from_item::<Component>(other, &format!("{path}.components[{i}]"))?.name,
        };
        push_unique(&mut components, name);
    }
    for u in updates {
        for name in &u.components {
            push_unique(&mut components, Some(name.clone()));
        }
    }
    Ok(components)
}

/// `started_at`, else a maintenance's `scheduled_for`, else the earlier of `created_at` and
/// the first update.
fn started_at(
    times: &Times,
    is_maintenance: bool,
    updates: &[UpdateObservation],
) -> Option<DateTime<Utc>> {
    let first_update = updates.first().map(|u| u.occurred_at);
    times
        .started_at
        .or(times.scheduled_for.filter(|_| is_maintenance))
        .or_else(|| earliest(times.created_at, first_update))
}

/// `resolved_at`, else, once the incident is closed, its last closing update.
fn resolved_at(
    times: &Times,
    status: Option<IncidentStatus>,
    updates: &[UpdateObservation],
) -> Option<DateTime<Utc>> {
    if times.resolved_at.is_none() && status.is_some_and(IncidentStatus::is_closed) {
        return updates
            .iter()
            .rev()
            .find(|u| u.status.is_some_and(IncidentStatus::is_closed))
            .map(|u| u.occurred_at);
    }
    times.resolved_at
}

fn update(item: &Value, path: &str, incident_id: &str) -> Result<UpdateObservation, ParseError> {
    let u: Update = json::from_item(item, path)?;
    // The timeline time is display_at: created_at is when a backfilled row was typed in.
    let (original_time, which) = match (&u.display_at, &u.created_at) {
        (Some(d), _) if !d.is_empty() => (d.clone(), "display_at"),
        (_, Some(c)) => (c.clone(), "created_at"),
        _ => {
            return Err(ParseError::shape(
                path,
                "update has neither `display_at` nor `created_at`",
            ));
        }
    };
    let occurred_at = time::req_rfc3339(&original_time, &format!("{path}.{which}"))?;
    let affected = u.affected_components.unwrap_or_default();
    let mut components = Vec::new();
    for a in &affected {
        push_unique(&mut components, a.name.clone());
    }
    let mut body = u.body.as_deref().map(html::body_text).unwrap_or_default();
    let changes: Vec<ComponentChange> = affected
        .iter()
        .filter(|a| a.old_status != a.new_status)
        .map(|a| ComponentChange {
            component: a.name.clone().unwrap_or_default().trim().to_string(),
            from: a
                .old_status
                .as_deref()
                .and_then(codes::statuspage_component),
            to: a
                .new_status
                .as_deref()
                .and_then(codes::statuspage_component),
        })
        .collect();
    // A post without words that only moves components reads as those moves.
    let kind = if body.is_empty() && !changes.is_empty() {
        body = component_change::words(&changes);
        EntryKind::ComponentChange
    } else {
        EntryKind::StatusUpdate
    };
    let external_id =
        u.id.filter(|s| !s.is_empty())
            .unwrap_or_else(|| synthetic_id(incident_id, occurred_at));
    Ok(UpdateObservation {
        external_id,
        occurred_at,
        original_time,
        status: u.status.as_deref().and_then(vocab::status),
        status_raw: u.status,
        kind,
        body,
        components,
        changes,
    })
}

fn synthetic_id(incident_id: &str, at: DateTime<Utc>) -> String {
    format!("{incident_id}@{}", time::id_stamp(at))
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn push_unique(list: &mut Vec<String>, name: Option<String>) {
    if let Some(name) = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty())
        && !list.contains(&name)
    {
        list.push(name);
    }
}
