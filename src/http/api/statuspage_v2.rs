//! Statuspage-compatible reads (`/api/v2/summary.json`, `/api/v2/incidents.json`,
//! `/api/v2/incidents/unresolved.json`; `status.json` and `components.json` in [`parity`], the
//! `scheduled-maintenances` reads in [`maintenances`]), so widgets and clients written for Atlassian Statuspage
//! work against Aftermath unchanged. Shapes follow formats.md §1a.
//!
//! Rules:
//! - `?service=SLUG` scopes everything to one service (404 problem when it does not exist);
//!   without it the whole store is one page named "Aftermath". Any other parameter is a 400.
//! - Times are ISO 8601 with milliseconds and `Z`, as Statuspage's UTC pages write them.
//! - Nothing is invented: components are the service's components as stored (their status word
//!   mapped to Statuspage's five); a value we do not have is `null`.
//! - Update statuses are Statuspage's incident words; an entry whose stored word is not one of
//!   them (a feed's "Update", a note) carries the incident's status at that point, or "update"
//!   before any status is known.
//! - Loading is shared with `/feed.atom` ([`load`]), so both tell the same story.
//! - Page URLs and shortlinks are absolute, from [`crate::http::origin`]: the public URL, or the
//!   request's own Host; a forwarded host only from a trusted proxy.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::db::incidents::IncidentDetail;
use crate::domain::{Impact, IncidentStatus};
use crate::http::origin::origin;
use crate::http::problem::{ApiError, Problem};
use crate::http::{AppState, caching};

mod load;
pub mod maintenances;
pub mod parity;
pub use load::{Loaded, ServiceComponents, Which, load, update_statuses};
pub use maintenances::{MaintenanceV2Json, MaintenancesV2Json};
pub use parity::{ComponentsV2Json, StatusV2Json, changed_at, components, status};
use parity::{component_status, severity};

/// Statuspage's `incidents.json` holds the 50 most recent incidents.
pub const RECENT: i64 = 50;
/// Unresolved incidents are listed whole; this only bounds one status's query.
const UNRESOLVED_PER_STATUS: i64 = 500;
const OPEN: [IncidentStatus; 3] = [
    IncidentStatus::Investigating,
    IncidentStatus::Identified,
    IncidentStatus::Monitoring,
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ScopeQuery {
    /// A service slug; without it, the whole store is one page.
    pub service: Option<String>,
}

/// ISO 8601 with milliseconds and `Z`.
pub fn iso_ms(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageJson {
    pub id: String,
    pub name: String,
    pub url: String,
    pub time_zone: &'static str,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusJson {
    /// none | minor | major | critical
    pub indicator: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentV2Json {
    pub id: String,
    pub name: String,
    /// operational | degraded_performance | partial_outage | major_outage | under_maintenance
    pub status: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub position: i64,
    pub description: Option<String>,
    pub showcase: bool,
    pub start_date: Option<String>,
    pub group_id: Option<String>,
    pub page_id: String,
    pub group: bool,
    pub only_show_if_degraded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateV2Json {
    pub id: String,
    pub status: String,
    pub body: String,
    pub incident_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub display_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentV2Json {
    pub id: String,
    pub name: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub monitoring_at: Option<String>,
    pub resolved_at: Option<String>,
    pub impact: String,
    pub shortlink: Option<String>,
    pub started_at: String,
    pub page_id: String,
    /// Newest first.
    pub incident_updates: Vec<UpdateV2Json>,
    pub components: Vec<ComponentV2Json>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentsV2Json {
    pub page: PageJson,
    pub incidents: Vec<IncidentV2Json>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryV2Json {
    pub page: PageJson,
    pub status: StatusJson,
    pub components: Vec<ComponentV2Json>,
    /// Unresolved incidents only.
    pub incidents: Vec<IncidentV2Json>,
    /// Maintenances not completed yet.
    pub scheduled_maintenances: Vec<MaintenanceV2Json>,
}

/// A stable 12-character id (Statuspage's length) for a thing we key by name only.
fn short_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())[..12].to_string()
}

struct Ctx {
    base: String,
    page_id: String,
    /// Component objects by (service slug, name), and the summary's list in order.
    by_name: HashMap<(String, String), ComponentV2Json>,
    listed: Vec<ComponentV2Json>,
}

fn ctx(base: String, loaded: &Loaded) -> Ctx {
    let page_id = loaded
        .service
        .as_ref()
        .map_or_else(|| "aftermath".to_string(), |s| s.slug.to_string());
    let (mut by_name, mut listed) = (HashMap::new(), Vec::new());
    // The whole-store page groups each service's components, as Statuspage groups by region.
    let grouped = loaded.service.is_none();
    for ServiceComponents {
        slug,
        name: service_name,
        items: comps,
    } in &loaded.components
    {
        let group_id = grouped.then(|| short_id(&[slug]));
        let mut ids = Vec::new();
        for comp in comps {
            let (name, status) = (&comp.name, &comp.status);
            let c = ComponentV2Json {
                id: short_id(&[slug, name]),
                name: name.clone(),
                status: component_status(status),
                created_at: Some(iso_ms(comp.created_at)),
                updated_at: Some(iso_ms(comp.updated_at)),
                position: listed.len() as i64 + 1,
                description: None,
                showcase: true,
                start_date: None,
                group_id: group_id.clone(),
                page_id: page_id.clone(),
                group: false,
                only_show_if_degraded: false,
                components: None,
            };
            ids.push(c.id.clone());
            by_name.insert((slug.clone(), name.clone()), c.clone());
            listed.push(c);
        }
        if let Some(gid) = group_id {
            let worst = comps
                .iter()
                .map(|c| component_status(&c.status))
                .max_by_key(|s| severity(s));
            let first = comps.iter().map(|c| c.created_at).min();
            let last = comps.iter().map(|c| c.updated_at).max();
            listed.push(ComponentV2Json {
                id: gid,
                name: service_name.clone(),
                status: worst.unwrap_or_else(|| "operational".into()),
                created_at: first.map(iso_ms),
                updated_at: last.map(iso_ms),
                position: listed.len() as i64 + 1,
                description: None,
                showcase: true,
                start_date: None,
                group_id: None,
                page_id: page_id.clone(),
                group: true,
                only_show_if_degraded: false,
                components: Some(ids),
            });
        }
    }
    Ctx {
        base,
        page_id,
        by_name,
        listed,
    }
}

fn page(ctx: &Ctx, loaded: &Loaded) -> PageJson {
    PageJson {
        id: ctx.page_id.clone(),
        name: loaded
            .service
            .as_ref()
            .map_or_else(|| "Aftermath".to_string(), |s| s.name.clone()),
        url: ctx.base.clone(),
        time_zone: "Etc/UTC",
        updated_at: iso_ms(loaded.updated_at.unwrap_or_else(Utc::now)),
    }
}

fn incident(ctx: &Ctx, d: &IncidentDetail) -> IncidentV2Json {
    let i = &d.incident;
    let id = i.id.to_string();
    let statuses = update_statuses(&d.timeline);
    let monitoring_at = statuses
        .iter()
        .find(|(_, s)| *s == Some(IncidentStatus::Monitoring))
        .map(|(e, _)| iso_ms(e.occurred_at));
    let updates = statuses
        .iter()
        .rev()
        .map(|(e, s)| UpdateV2Json {
            id: e.id.to_string(),
            status: s.map_or("update", IncidentStatus::as_str).to_string(),
            body: e.body.clone(),
            incident_id: id.clone(),
            created_at: iso_ms(e.recorded_at),
            updated_at: iso_ms(e.edited_at.unwrap_or(e.recorded_at)),
            display_at: iso_ms(e.occurred_at),
        })
        .collect();
    IncidentV2Json {
        name: i.title.clone(),
        status: i.status.as_str().into(),
        created_at: iso_ms(i.created_at),
        updated_at: iso_ms(i.updated_at),
        monitoring_at,
        resolved_at: i.milestones.resolved.map(iso_ms),
        impact: i.impact.as_str().into(),
        shortlink: Some(format!("{}/incidents/{id}", ctx.base)),
        started_at: iso_ms(i.milestones.started.unwrap_or(i.created_at)),
        page_id: ctx.page_id.clone(),
        incident_updates: updates,
        components: d
            .components
            .iter()
            .filter_map(|key| ctx.by_name.get(key).cloned())
            .collect(),
        id,
    }
}

/// The page's indicator: the worst impact among the unresolved incidents. Maintenances are
/// planned work, not outages, so they never set it (as on Statuspage).
fn status_of(unresolved: &[IncidentDetail]) -> StatusJson {
    let worst = unresolved
        .iter()
        .filter(|d| !maintenances::is_maintenance(d))
        .map(|d| d.incident.impact)
        .max();
    let (indicator, description) = match worst {
        None | Some(Impact::None) => ("none", "All Systems Operational"),
        Some(Impact::Minor) => ("minor", "Minor Service Outage"),
        Some(Impact::Major) => ("major", "Partial System Outage"),
        Some(Impact::Critical) => ("critical", "Major System Outage"),
    };
    StatusJson {
        indicator,
        description,
    }
}

async fn incidents_doc(
    state: &AppState,
    req: &HttpRequest,
    service: Option<String>,
    which: Which,
) -> Result<HttpResponse, ApiError> {
    let loaded = load(state, service, which).await?;
    let ctx = ctx(origin(req, &state.config).base, &loaded);
    Ok(caching::ok(changed_at(&loaded)).json(IncidentsV2Json {
        page: page(&ctx, &loaded),
        // Maintenances are listed apart (`summary.json`, `scheduled-maintenances*.json`).
        incidents: loaded
            .incidents
            .iter()
            .filter(|d| !maintenances::is_maintenance(d))
            .map(|d| incident(&ctx, d))
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v2/summary.json", params(ScopeQuery), tag = "statuspage",
    responses((status = 200, body = SummaryV2Json), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn summary(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut loaded = load(&state, query.into_inner().service, Which::Unresolved).await?;
    let ctx = ctx(origin(&req, &state.config).base, &loaded);
    let (planned, outages): (Vec<_>, Vec<_>) = std::mem::take(&mut loaded.incidents)
        .into_iter()
        .partition(maintenances::is_maintenance);
    let scheduled_maintenances = planned
        .iter()
        .map(|d| maintenances::maintenance(d, incident(&ctx, d)))
        .collect();
    Ok(caching::ok(changed_at(&loaded)).json(SummaryV2Json {
        page: page(&ctx, &loaded),
        status: status_of(&outages),
        incidents: outages.iter().map(|d| incident(&ctx, d)).collect(),
        components: ctx.listed,
        scheduled_maintenances,
    }))
}

#[utoipa::path(get, path = "/api/v2/incidents.json", params(ScopeQuery), tag = "statuspage",
    responses((status = 200, body = IncidentsV2Json), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn incidents_recent(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    incidents_doc(
        &state,
        &req,
        query.into_inner().service,
        Which::RecentIncidents,
    )
    .await
}

#[utoipa::path(get, path = "/api/v2/incidents/unresolved.json", params(ScopeQuery), tag = "statuspage",
    responses((status = 200, body = IncidentsV2Json), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn incidents_unresolved(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    incidents_doc(&state, &req, query.into_inner().service, Which::Unresolved).await
}
