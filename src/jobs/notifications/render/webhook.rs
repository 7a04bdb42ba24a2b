//! Webhook bodies: Statuspage's webhook shape (the default, so existing Statuspage consumers
//! work unchanged), or Aftermath's own JSON (`format: "aftermath"`) in Standard Webhooks'
//! recommended envelope `{type, timestamp, data}`.
//!
//! Statuspage's shape (`../shared/corpus/statuspage-webhooks-zulip-fixtures/`): `meta`,
//! `page`, `incident` with `incident_updates` newest first, and for a report spike a
//! `component_update` for the service it hit.

use serde_json::{Value, json};

use super::{Change, Links, rfc3339};
use crate::domain::subscription::EventKind;
use crate::domain::{Impact, IncidentStatus, TimelineEntry};

/// Statuspage's words for how a page looks, from the incident's impact.
fn indicator(impact: Impact, status: IncidentStatus) -> (&'static str, &'static str) {
    if status.is_closed() {
        return ("none", "All Systems Operational");
    }
    match impact {
        Impact::None => ("none", "All Systems Operational"),
        Impact::Minor => ("minor", "Minor Service Outage"),
        Impact::Major => ("major", "Partial System Outage"),
        Impact::Critical => ("critical", "Major Service Outage"),
    }
}

/// A component status in Statuspage's words.
fn component_status(impact: Impact) -> &'static str {
    match impact {
        Impact::None => "operational",
        Impact::Minor => "degraded_performance",
        Impact::Major => "partial_outage",
        Impact::Critical => "major_outage",
    }
}

fn update(entry: &TimelineEntry, incident_id: &str) -> Value {
    let at = rfc3339(entry.occurred_at);
    json!({
        "id": entry.id.to_string(),
        "incident_id": incident_id,
        "status": entry.status,
        "body": entry.body,
        "created_at": at,
        "updated_at": rfc3339(entry.edited_at.unwrap_or(entry.recorded_at)),
        "display_at": at,
        "affected_components": [],
        "deliver_notifications": true,
    })
}

pub fn statuspage(change: &Change<'_>, links: &Links) -> String {
    let i = change.incident;
    let id = i.id.to_string();
    let (indicator, description) = indicator(i.impact, i.status);
    let updates: Vec<Value> = change
        .timeline
        .iter()
        .rev()
        .map(|e| update(e, &id))
        .collect();
    let components: Vec<Value> = i
        .services
        .iter()
        .map(|s| json!({"id": s, "name": s, "status": component_status(i.impact)}))
        .collect();
    let mut body = json!({
        "meta": {
            "unsubscribe": null,
            "documentation": "https://github.com/standard-webhooks/standard-webhooks",
            "generated_at": rfc3339(change.at),
            "event": change.event.as_str(),
        },
        "page": {
            "id": "aftermath",
            "status_indicator": indicator,
            "status_description": description,
        },
        "incident": {
            "id": id,
            "page_id": "aftermath",
            "name": i.title,
            "status": i.status.as_str(),
            "impact": i.impact.as_str(),
            "created_at": rfc3339(i.started_at),
            "updated_at": rfc3339(i.updated_at),
            "resolved_at": i.resolved_at.map(rfc3339),
            "shortlink": links.incident(&id),
            "postmortem_body": null,
            "postmortem_published_at": null,
            "components": components,
            "incident_updates": updates,
        },
    });
    if change.event == EventKind::SpikeStarted
        && let Some(service) = i.services.first()
    {
        body["component_update"] = json!({
            "id": format!("{id}-{service}"),
            "component_id": service,
            "component_type": "Component",
            "old_status": "operational",
            "new_status": component_status(i.impact.max(Impact::Minor)),
            "created_at": rfc3339(change.at),
        });
    }
    body.to_string()
}

pub fn aftermath(change: &Change<'_>, links: &Links) -> String {
    let i = change.incident;
    let id = i.id.to_string();
    json!({
        "type": change.event.as_str(),
        "timestamp": rfc3339(change.at),
        "data": {
            "incident": {
                "id": id,
                "title": i.title,
                "status": i.status.as_str(),
                "impact": i.impact.as_str(),
                "origin": i.origin.as_str(),
                "services": i.services,
                "providers": i.providers,
                "started_at": rfc3339(i.started_at),
                "resolved_at": i.resolved_at.map(rfc3339),
                "url": links.incident(&id),
                "postmortem_url": links.postmortem(&id),
            },
            "update": change.latest().map(|e| json!({
                "id": e.id.to_string(),
                "occurred_at": rfc3339(e.occurred_at),
                "status": e.status,
                "body": e.body,
            })),
        },
    })
    .to_string()
}
