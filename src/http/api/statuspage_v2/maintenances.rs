//! Scheduled maintenances in Statuspage's shape: `summary.json`'s `scheduled_maintenances`, and
//! Statuspage's three maintenance reads, each `{page, scheduled_maintenances}`:
//! `/api/v2/scheduled-maintenances.json` (the 50 most recent, any status),
//! `…/upcoming.json` (still `scheduled`) and `…/active.json` (`in_progress` or `verifying`).
//!
//! Rules:
//! - A maintenance is an incident of kind `maintenance` ([`crate::domain::IncidentKind`]); its
//!   status is the maintenance's own word (`scheduled`, `in_progress`, `verifying`,
//!   `completed`) and its impact `maintenance`, as Statuspage writes them.
//! - Maintenances are no outage: they are never in `incidents` nor in the page's indicator.
//! - Which list a maintenance is in follows its status as [`MaintenanceStatus::of`] reads it
//!   now, so one whose window has begun is active with no write (`super::changed_at` says so).
//! - `?service=` scopes as on the other v2 reads; conditional GET and CORS are the v2 routes'.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    ComponentV2Json, PageJson, ScopeQuery, UpdateV2Json, Which, changed_at, ctx, incident, iso_ms,
    load, page,
};
use crate::db::incidents::IncidentDetail;
use crate::domain::{IncidentKind, MaintenanceStatus};
use crate::http::origin::origin;
use crate::http::problem::{ApiError, Problem};
use crate::http::{AppState, caching};

#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceV2Json {
    pub id: String,
    pub name: String,
    /// scheduled | in_progress | verifying | completed
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub monitoring_at: Option<String>,
    pub resolved_at: Option<String>,
    /// Always `maintenance`.
    pub impact: String,
    pub shortlink: Option<String>,
    pub started_at: String,
    pub page_id: String,
    /// Newest first.
    pub incident_updates: Vec<UpdateV2Json>,
    pub components: Vec<ComponentV2Json>,
    pub scheduled_for: Option<String>,
    pub scheduled_until: Option<String>,
}

pub fn is_maintenance(d: &IncidentDetail) -> bool {
    d.incident.kind == IncidentKind::Maintenance
}

/// A maintenance, from its incident as `super::incident` writes it.
pub fn maintenance(d: &IncidentDetail, as_incident: super::IncidentV2Json) -> MaintenanceV2Json {
    let i = &d.incident;
    let status = MaintenanceStatus::of(i.status, i.scheduled_for, Utc::now());
    MaintenanceV2Json {
        id: as_incident.id,
        name: as_incident.name,
        status: status.as_str().into(),
        created_at: as_incident.created_at,
        updated_at: as_incident.updated_at,
        monitoring_at: as_incident.monitoring_at,
        resolved_at: as_incident.resolved_at,
        impact: "maintenance".into(),
        shortlink: as_incident.shortlink,
        started_at: as_incident.started_at,
        page_id: as_incident.page_id,
        incident_updates: as_incident.incident_updates,
        components: as_incident.components,
        scheduled_for: i.scheduled_for.map(iso_ms),
        scheduled_until: i.scheduled_until.map(iso_ms),
    }
}

/// `{page, scheduled_maintenances}`, as Statuspage's three maintenance reads answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenancesV2Json {
    pub page: PageJson,
    /// Newest start first.
    pub scheduled_maintenances: Vec<MaintenanceV2Json>,
}

/// The maintenances of `which` whose status `keep` accepts, as one document.
async fn document(
    state: &AppState,
    req: &HttpRequest,
    service: Option<String>,
    which: Which,
    keep: fn(MaintenanceStatus) -> bool,
) -> Result<HttpResponse, ApiError> {
    let loaded = load(state, service, which).await?;
    let ctx = ctx(origin(req, &state.config).base, &loaded);
    let now = Utc::now();
    let scheduled_maintenances = loaded
        .incidents
        .iter()
        .filter(|d| is_maintenance(d))
        .filter(|d| {
            let i = &d.incident;
            keep(MaintenanceStatus::of(i.status, i.scheduled_for, now))
        })
        .map(|d| maintenance(d, incident(&ctx, d)))
        .collect();
    Ok(caching::ok(changed_at(&loaded)).json(MaintenancesV2Json {
        page: page(&ctx, &loaded),
        scheduled_maintenances,
    }))
}

#[utoipa::path(get, path = "/api/v2/scheduled-maintenances.json", params(ScopeQuery),
    tag = "statuspage", operation_id = "statuspage_scheduled_maintenances",
    responses((status = 200, body = MaintenancesV2Json),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn all(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let service = query.into_inner().service;
    document(&state, &req, service, Which::Maintenances, |_| true).await
}

#[utoipa::path(get, path = "/api/v2/scheduled-maintenances/upcoming.json", params(ScopeQuery),
    tag = "statuspage", operation_id = "statuspage_upcoming_maintenances",
    responses((status = 200, body = MaintenancesV2Json),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn upcoming(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let service = query.into_inner().service;
    let keep = |s| s == MaintenanceStatus::Scheduled;
    document(&state, &req, service, Which::OpenMaintenances, keep).await
}

#[utoipa::path(get, path = "/api/v2/scheduled-maintenances/active.json", params(ScopeQuery),
    tag = "statuspage", operation_id = "statuspage_active_maintenances",
    responses((status = 200, body = MaintenancesV2Json),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn active(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let service = query.into_inner().service;
    let keep = |s| {
        matches!(
            s,
            MaintenanceStatus::InProgress | MaintenanceStatus::Verifying
        )
    };
    document(&state, &req, service, Which::OpenMaintenances, keep).await
}
