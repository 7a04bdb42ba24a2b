//! `/api/v2/status.json` and `/api/v2/components.json`: the two smaller Statuspage reads, cut
//! from the same data as `summary.json` (formats.md §1a), so the three always agree.
//!
//! Rules (beyond the parent module's): `status.json` is `{page, status}` and `components.json`
//! is `{page, components}`, each exactly the summary's fields. Every v2 read says when its data
//! last changed ([`changed_at`]) as `Last-Modified`; the ETag and `304`s are
//! [`crate::http::caching`]'s. Stored component words map to Statuspage's five here
//! ([`component_status`]), for every v2 document.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ComponentV2Json, PageJson, ScopeQuery, StatusJson, Which, ctx, load, page, status_of};
use crate::http::origin::origin;
use crate::http::problem::{ApiError, Problem};
use crate::http::{AppState, caching};

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusV2Json {
    pub page: PageJson,
    pub status: StatusJson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentsV2Json {
    pub page: PageJson,
    pub components: Vec<ComponentV2Json>,
}

/// When what a document shows last changed: its newest incident or component, or the start of
/// a maintenance window that has begun (it turns the maintenance `in_progress` with no write, so
/// an `If-Modified-Since` from before it must not be answered `304`).
pub fn changed_at(loaded: &super::Loaded) -> Option<DateTime<Utc>> {
    let now = Utc::now();
    let components = loaded
        .components
        .iter()
        .flat_map(|s| s.items.iter().map(|c| c.updated_at));
    let begun = loaded
        .incidents
        .iter()
        .filter_map(|d| d.incident.scheduled_for)
        .filter(|t| *t <= now);
    components.chain(begun).chain(loaded.updated_at).max()
}

#[utoipa::path(get, path = "/api/v2/status.json", params(ScopeQuery), tag = "statuspage",
    operation_id = "statuspage_status",
    responses((status = 200, body = StatusV2Json),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn status(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let loaded = load(&state, query.into_inner().service, Which::Unresolved).await?;
    let ctx = ctx(origin(&req, &state.config).base, &loaded);
    Ok(caching::ok(changed_at(&loaded)).json(StatusV2Json {
        page: page(&ctx, &loaded),
        status: status_of(&loaded.incidents),
    }))
}

#[utoipa::path(get, path = "/api/v2/components.json", params(ScopeQuery), tag = "statuspage",
    operation_id = "statuspage_components",
    responses((status = 200, body = ComponentsV2Json),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn components(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let loaded = load(&state, query.into_inner().service, Which::Unresolved).await?;
    let ctx = ctx(origin(&req, &state.config).base, &loaded);
    Ok(caching::ok(changed_at(&loaded)).json(ComponentsV2Json {
        page: page(&ctx, &loaded),
        components: ctx.listed,
    }))
}

/// Stored component words (from any source) to Statuspage's five; an unknown word is kept.
pub(super) fn component_status(raw: &str) -> String {
    let w: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let mapped = match w.as_str() {
        "operational" | "up" | "ok" | "available" | "resolved" => "operational",
        "degradedperformance" | "degraded" | "performanceissues" => "degraded_performance",
        "partialoutage" | "partial" => "partial_outage",
        "majoroutage" | "outage" | "down" | "downtime" => "major_outage",
        "undermaintenance" | "maintenance" => "under_maintenance",
        _ => return raw.to_string(),
    };
    mapped.to_string()
}

/// How bad a Statuspage component status is, to pick a group's worst.
pub(super) fn severity(status: &str) -> u8 {
    match status {
        "operational" => 0,
        "under_maintenance" => 1,
        "degraded_performance" => 2,
        "partial_outage" => 3,
        "major_outage" => 4,
        _ => 1,
    }
}
