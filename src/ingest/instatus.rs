//! Instatus: the public `summary.json` (`{page, activeIncidents, activeMaintenances}`, not
//! Statuspage-shaped) and webhook bodies, which copy the Statuspage envelope with UPPERCASE
//! words (`maintenance` + `maintenance_updates` for maintenances).

use serde::Deserialize;
use serde_json::Value;

use crate::ingest::observation::{IncidentObservation, PageInfo, ParsedDocument};
use crate::ingest::{Format, ParseError, json, slug, statuspage, time, vocab};

#[derive(Deserialize)]
struct Page {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct Active {
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    id: Option<String>,
    name: Option<String>,
    started: Option<String>,
    start: Option<String>,
    status: Option<String>,
    impact: Option<String>,
    url: Option<String>,
    #[serde(rename = "updatedAt")]
    updated_at: Option<String>,
}

pub fn parse(bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    let value = json::parse_value(bytes)?;
    if value.get("incident").is_some()
        || value.get("maintenance").is_some()
        || value.get("component_update").is_some()
    {
        return statuspage::parse_value(&value, Format::Instatus);
    }
    if !value.is_object()
        || (value.get("activeIncidents").is_none() && value.get("activeMaintenances").is_none())
    {
        return Err(ParseError::shape(
            "$",
            "expected `activeIncidents` / `activeMaintenances` or a webhook body",
        ));
    }
    let mut doc = ParsedDocument::new(Format::Instatus);
    let page: Option<Page> = match value.get("page") {
        None | Some(Value::Null) => None,
        Some(p) => Some(json::from_item(p, "$.page")?),
    };
    let service = page
        .as_ref()
        .and_then(|p| p.name.as_deref())
        .and_then(slug::page_service);
    if let Some(p) = page
        && let Some(name) = p.name
    {
        doc.page = Some(PageInfo {
            external_id: None,
            name,
            url: p.url,
        });
    }
    for (key, maintenance) in [("activeIncidents", false), ("activeMaintenances", true)] {
        for (i, item) in json::array(&value, key, "$")?.iter().enumerate() {
            doc.incidents.push(active(
                item,
                &format!("$.{key}[{i}]"),
                maintenance,
                service.clone(),
            )?);
        }
    }
    Ok(doc)
}

fn active(
    item: &Value,
    path: &str,
    maintenance: bool,
    service: Option<String>,
) -> Result<IncidentObservation, ParseError> {
    if !item.is_object() {
        return Err(ParseError::shape(
            path,
            format!("expected an object, found {}", json::kind(item)),
        ));
    }
    let a: Active = json::from_item(item, path)?;
    let id =
        a.id.clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ParseError::shape(path, "missing `id`"))?;
    let started = a.started.as_deref().or(a.start.as_deref());
    let status_raw = a.status.clone().unwrap_or_default();
    Ok(IncidentObservation {
        external_id: id,
        service,
        title: a.name.unwrap_or_default().trim().to_string(),
        status: vocab::status(&status_raw),
        status_raw,
        impact: a.impact.as_deref().and_then(vocab::impact),
        impact_raw: a.impact,
        started_at: time::opt_rfc3339(started, &format!("{path}.started"))?,
        resolved_at: None,
        updated_at: time::opt_rfc3339(a.updated_at.as_deref(), &format!("{path}.updatedAt"))?,
        url: a.url,
        components: Vec::new(),
        is_maintenance: maintenance,
        scheduled_for: None,
        scheduled_until: None,
        postmortem: None,
        updates: Vec::new(),
        raw: json::raw(item),
    })
}
