//! Atlassian Statuspage v2 JSON (incident, incident list, summary, components, maintenances),
//! incident.io's compatible pages, and Statuspage webhook bodies (also the Instatus / Better
//! Stack look-alike envelopes, which reuse this with their own `Format`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::status::{EntryKind, IncidentStatus};
use crate::ingest::observation::{
    ComponentObservation, IncidentObservation, PageInfo, ParsedDocument, UpdateObservation,
};
use crate::ingest::{Format, ParseError, html, json, slug, time, vocab};

#[derive(Deserialize)]
struct Page {
    id: Option<String>,
    name: Option<String>,
    url: Option<String>,
}

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

#[derive(Deserialize)]
struct Component {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    name: Option<String>,
    status: Option<String>,
    updated_at: Option<String>,
}

#[derive(Deserialize)]
struct ComponentUpdate {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    component_id: Option<String>,
    old_status: Option<String>,
    new_status: Option<String>,
    created_at: Option<String>,
}

/// Parse any Statuspage v2 JSON document or webhook body.
pub fn parse(bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    let value = json::parse_value(bytes)?;
    parse_value(&value, Format::Statuspage)
}

/// Whether a Statuspage-shaped body uses UPPERCASE status words (Instatus does).
pub fn looks_uppercase(value: &Value) -> bool {
    let word = value
        .get("incident")
        .or_else(|| value.get("maintenance"))
        .and_then(|i| i.get("status"))
        .and_then(Value::as_str);
    word.is_some_and(|w| w.chars().any(char::is_alphabetic) && !w.chars().any(char::is_lowercase))
}

struct Context {
    service: Option<String>,
    base_url: Option<String>,
}

/// Parse an already decoded Statuspage-shaped document, labelled as `format`.
pub fn parse_value(value: &Value, format: Format) -> Result<ParsedDocument, ParseError> {
    if !value.is_object() {
        return Err(ParseError::shape(
            "$",
            format!("expected an object, found {}", json::kind(value)),
        ));
    }
    let mut doc = ParsedDocument::new(format);
    let page: Option<Page> = match value.get("page") {
        None | Some(Value::Null) => None,
        Some(p) => Some(json::from_item(p, "$.page")?),
    };
    let meta_host = value
        .pointer("/meta/unsubscribe")
        .and_then(Value::as_str)
        .and_then(origin_of);
    let base_url = page
        .as_ref()
        .and_then(|p| p.url.as_deref())
        .map(|u| u.trim_end_matches('/').to_string())
        .or(meta_host.clone());
    let ctx = Context {
        service: page
            .as_ref()
            .and_then(|p| p.name.as_deref())
            .and_then(slug::page_service),
        base_url: base_url.clone(),
    };
    if let Some(p) = &page {
        let name = p
            .name
            .clone()
            .or_else(|| meta_host.as_deref().map(host_of))
            .or(p.id.clone());
        if let Some(name) = name {
            doc.page = Some(PageInfo {
                external_id: p.id.clone(),
                name,
                url: base_url,
            });
        }
    }

    let mut recognised = page.is_some();
    for (key, maintenance) in [("incident", false), ("maintenance", true)] {
        if let Some(item) = value.get(key).filter(|v| v.is_object()) {
            recognised = true;
            doc.incidents
                .push(incident(item, &format!("$.{key}"), maintenance, &ctx)?);
        }
    }
    for (key, maintenance) in [("incidents", false), ("scheduled_maintenances", true)] {
        for (i, item) in json::array(value, key, "$")?.iter().enumerate() {
            recognised = true;
            doc.incidents
                .push(incident(item, &format!("$.{key}[{i}]"), maintenance, &ctx)?);
        }
    }
    if value.get("incident_updates").is_some() && value.get("id").is_some() {
        recognised = true;
        doc.incidents.push(incident(value, "$", false, &ctx)?);
    }
    if let Some(update) = value.get("component_update").filter(|v| !v.is_null()) {
        recognised = true;
        doc.component_changes
            .push(component_update(update, value.get("component"))?);
    } else {
        for (i, item) in json::array(value, "components", "$")?.iter().enumerate() {
            let path = format!("$.components[{i}]");
            let c: Component = json::from_item(item, &path)?;
            doc.component_changes.push(ComponentObservation {
                external_id: c.id.unwrap_or_default(),
                name: c.name.unwrap_or_default(),
                status_raw: c.status.unwrap_or_default(),
                old_status_raw: None,
                occurred_at: time::opt_rfc3339(
                    c.updated_at.as_deref(),
                    &format!("{path}.updated_at"),
                )?,
            });
        }
    }
    if !recognised {
        return Err(ParseError::shape(
            "$",
            "no Statuspage keys (page, incident, incidents, scheduled_maintenances, component_update)",
        ));
    }
    Ok(doc)
}

fn component_update(
    update: &Value,
    component: Option<&Value>,
) -> Result<ComponentObservation, ParseError> {
    let u: ComponentUpdate = json::from_item(update, "$.component_update")?;
    let c: Option<Component> = match component {
        None | Some(Value::Null) => None,
        Some(c) => Some(json::from_item(c, "$.component")?),
    };
    let name = c
        .as_ref()
        .and_then(|c| c.name.clone())
        .or(u.component_id.clone())
        .unwrap_or_default();
    let external_id = u.id.or(u.component_id).unwrap_or_default();
    Ok(ComponentObservation {
        external_id,
        name,
        status_raw: u
            .new_status
            .or(c.and_then(|c| c.status))
            .unwrap_or_default(),
        old_status_raw: u.old_status,
        occurred_at: time::opt_rfc3339(u.created_at.as_deref(), "$.component_update.created_at")?,
    })
}

fn incident(
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
    let field = |name: &str| format!("{path}.{name}");
    let created_at = time::opt_rfc3339(inc.created_at.as_deref(), &field("created_at"))?;
    let updated_at = time::opt_rfc3339(inc.updated_at.as_deref(), &field("updated_at"))?;
    let mut resolved_at = time::opt_rfc3339(inc.resolved_at.as_deref(), &field("resolved_at"))?;
    let explicit_start = time::opt_rfc3339(inc.started_at.as_deref(), &field("started_at"))?;
    let scheduled_for = time::opt_rfc3339(inc.scheduled_for.as_deref(), &field("scheduled_for"))?;

    let updates_key = if item.get("maintenance_updates").is_some() {
        "maintenance_updates"
    } else {
        "incident_updates"
    };
    let mut updates = Vec::new();
    for (i, u) in json::array(item, updates_key, path)?.iter().enumerate() {
        updates.push(update(u, &format!("{path}.{updates_key}[{i}]"), &id)?);
    }
    // Sources list updates newest first; keep that order among equal times, then sort oldest first.
    updates.reverse();
    updates.sort_by_key(|u| u.occurred_at);

    let mut components: Vec<String> = Vec::new();
    for (i, c) in json::array(item, "components", path)?.iter().enumerate() {
        let name = match c {
            Value::String(s) => Some(s.clone()),
            other => json::from_item::<Component>(other, &format!("{path}.components[{i}]"))?.name,
        };
        push_unique(&mut components, name);
    }
    for u in &updates {
        for name in &u.components {
            push_unique(&mut components, Some(name.clone()));
        }
    }

    let status_raw = inc.status.clone().unwrap_or_default();
    let status = vocab::status(&status_raw);
    let impact_raw = inc.impact.clone();
    let is_maintenance = maintenance_list
        || scheduled_for.is_some()
        || impact_raw
            .as_deref()
            .is_some_and(vocab::is_maintenance_word)
        || vocab::is_maintenance_word(&status_raw);
    if resolved_at.is_none() && status.is_some_and(IncidentStatus::is_closed) {
        resolved_at = updates
            .iter()
            .rev()
            .find(|u| u.status.is_some_and(IncidentStatus::is_closed))
            .map(|u| u.occurred_at);
    }
    let first_update = updates.first().map(|u| u.occurred_at);
    let started_at = explicit_start
        .or(if is_maintenance { scheduled_for } else { None })
        .or_else(|| earliest(created_at, first_update));
    let url = ctx
        .base_url
        .as_ref()
        .map(|base| format!("{base}/incidents/{id}"))
        .or(inc.shortlink.clone());
    let postmortem = inc
        .postmortem_body
        .as_deref()
        .map(html::body_text)
        .filter(|s| !s.is_empty());

    Ok(IncidentObservation {
        external_id: id,
        service: ctx.service.clone(),
        title: inc.name.unwrap_or_default(),
        status,
        status_raw,
        impact: impact_raw.as_deref().and_then(vocab::impact),
        impact_raw,
        started_at,
        resolved_at,
        updated_at,
        url,
        components,
        is_maintenance,
        postmortem,
        updates,
        raw: json::raw(item),
    })
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
    let body = u.body.as_deref().map(html::body_text).unwrap_or_default();
    let changed = affected.iter().any(|a| a.old_status != a.new_status);
    let kind = if body.is_empty() && changed {
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

/// `https://host` of a URL such as a webhook's `meta.unsubscribe`.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

fn host_of(origin: &str) -> String {
    origin
        .split_once("://")
        .map(|(_, h)| h)
        .unwrap_or(origin)
        .to_string()
}

#[cfg(test)]
#[path = "statuspage_tests.rs"]
mod tests;
