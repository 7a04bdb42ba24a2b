//! Atlassian Statuspage v2 JSON (incident, incident list, summary, components, maintenances),
//! incident.io's compatible pages, and Statuspage webhook bodies (also the Instatus / Better
//! Stack look-alike envelopes, which reuse this with their own `Format`).

use serde::Deserialize;
use serde_json::Value;

use crate::ingest::observation::{
    ComponentObservation, IncidentObservation, PageInfo, ParsedDocument,
};
use crate::ingest::{Format, ParseError, json, slug, time};

mod incident;

use incident::incident;

#[derive(Deserialize)]
struct Page {
    id: Option<String>,
    name: Option<String>,
    url: Option<String>,
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

/// What a document's `page` (or a webhook's `meta`) says about every incident in it.
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
    let page: Option<Page> = match value.get("page") {
        None | Some(Value::Null) => None,
        Some(p) => Some(json::from_item(p, "$.page")?),
    };
    let meta_host = value
        .pointer("/meta/unsubscribe")
        .and_then(Value::as_str)
        .and_then(origin_of);
    let ctx = context(page.as_ref(), meta_host.clone());

    let mut doc = ParsedDocument::new(format);
    doc.page = page
        .as_ref()
        .and_then(|p| page_info(p, meta_host.as_deref(), &ctx));
    doc.incidents = incidents(value, &ctx)?;
    let webhook_update = value.get("component_update").filter(|v| !v.is_null());
    doc.component_changes = match webhook_update {
        Some(update) => vec![component_update(update, value.get("component"))?],
        None => summary_components(value)?,
    };
    // A summary's `components` alone do not make a document Statuspage's.
    if page.is_none() && doc.incidents.is_empty() && webhook_update.is_none() {
        return Err(ParseError::shape(
            "$",
            "no Statuspage keys (page, incident, incidents, scheduled_maintenances, component_update)",
        ));
    }
    Ok(doc)
}

/// The page's service slug, and its address (else the webhook's origin) for incident links.
fn context(page: Option<&Page>, meta_host: Option<String>) -> Context {
    Context {
        service: page
            .and_then(|p| p.name.as_deref())
            .and_then(slug::page_service),
        base_url: page
            .and_then(|p| p.url.as_deref())
            .map(|u| u.trim_end_matches('/').to_string())
            .or(meta_host),
    }
}

/// Who published the page: its name, else the webhook's host, else its id; `None` without any.
fn page_info(page: &Page, meta_host: Option<&str>, ctx: &Context) -> Option<PageInfo> {
    let name = page
        .name
        .clone()
        .or_else(|| meta_host.map(host_of))
        .or(page.id.clone())?;
    Some(PageInfo {
        external_id: page.id.clone(),
        name,
        url: ctx.base_url.clone(),
    })
}

/// A webhook's `incident` / `maintenance`, the `incidents` / `scheduled_maintenances` lists,
/// and the document itself when it is one incident (`id` and `incident_updates`).
fn incidents(value: &Value, ctx: &Context) -> Result<Vec<IncidentObservation>, ParseError> {
    let mut out = Vec::new();
    for (key, maintenance) in [("incident", false), ("maintenance", true)] {
        if let Some(item) = value.get(key).filter(|v| v.is_object()) {
            out.push(incident(item, &format!("$.{key}"), maintenance, ctx)?);
        }
    }
    for (key, maintenance) in [("incidents", false), ("scheduled_maintenances", true)] {
        for (i, item) in json::array(value, key, "$")?.iter().enumerate() {
            out.push(incident(item, &format!("$.{key}[{i}]"), maintenance, ctx)?);
        }
    }
    if value.get("incident_updates").is_some() && value.get("id").is_some() {
        out.push(incident(value, "$", false, ctx)?);
    }
    Ok(out)
}

/// A summary's `components`, each as its current status.
fn summary_components(value: &Value) -> Result<Vec<ComponentObservation>, ParseError> {
    let mut out = Vec::new();
    for (i, item) in json::array(value, "components", "$")?.iter().enumerate() {
        let path = format!("$.components[{i}]");
        let c: Component = json::from_item(item, &path)?;
        out.push(ComponentObservation {
            external_id: c.id.unwrap_or_default(),
            name: c.name.unwrap_or_default(),
            status_raw: c.status.unwrap_or_default(),
            old_status_raw: None,
            occurred_at: time::opt_rfc3339(c.updated_at.as_deref(), &format!("{path}.updated_at"))?,
        });
    }
    Ok(out)
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
mod tests;
