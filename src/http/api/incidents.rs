//! `/api/v1/incidents`: list, create, read, patch, and post timeline updates. A single
//! incident carries its version as an `ETag`, and its writes take `If-Match` (`versions`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{IncidentJson, TimelineEntryJson, present};
use super::parse::{Fields, not_future};
use super::versions;
use crate::db::incidents::{self, IncidentDetail};
use crate::db::{DbConn, DbError};
use crate::db::{timeline, versions as db_versions};
use crate::domain::incident::IncidentPatch;
use crate::domain::{
    Body, Impact, IncidentId, IncidentStatus, NewIncident, NewUpdate, Origin, Precondition, Title,
};
use crate::http::auth::WriteAccess;
use crate::http::problem::{ApiError, Problem};
use crate::http::{AppState, caching};

mod list;
pub use list::*;

pub fn parse_id(raw: &str) -> Result<IncidentId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("{raw:?} is not an incident id")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "title": "Elevated API errors in us-east-1",
    "services": ["nimbus-us-east-1"],
    "status": "investigating",
    "impact": "major",
    "body": "We are investigating elevated error rates for API requests in us-east-1."
})))]
pub struct CreateIncident {
    title: String,
    /// Service slugs; unknown ones are created.
    services: Vec<String>,
    status: Option<String>,
    impact: Option<String>,
    started_at: Option<String>,
    /// The first update; the title is used when absent.
    body: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/incidents", request_body = CreateIncident, tag = "incidents",
    security(("bearer" = [])),
    responses((status = 201, body = IncidentJson), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn create_incident(
    state: web::Data<AppState>,
    access: WriteAccess,
    body: web::Json<CreateIncident>,
) -> Result<HttpResponse, ApiError> {
    let new = validate_new_incident(body.into_inner(), access.author())?;
    let detail = state
        .db_write(move |conn| {
            let id = incidents::create(conn, &new)?;
            incidents::get(conn, id)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/incidents/{}", detail.incident.id),
        ))
        .insert_header(versions::etag(detail.incident.version))
        .json(IncidentJson::from(&detail)))
}

pub fn validate_new_incident(c: CreateIncident, author: String) -> Result<NewIncident, ApiError> {
    let mut f = Fields::default();
    let title = f.check(Title::parse("title", &c.title));
    let mut services = f.slugs("services", &c.services);
    services.sort();
    services.dedup();
    if c.services.is_empty() {
        f.errors.push(crate::domain::ValidationError::new(
            "services",
            "name at least one service",
        ));
    }
    let status = f.enumerated::<IncidentStatus>("status", c.status.as_deref());
    let impact = f.enumerated::<Impact>("impact", c.impact.as_deref());
    let started_at = f
        .time("started_at", c.started_at.as_deref())
        .and_then(|t| f.check(not_future("started_at", t)));
    let body = c
        .body
        .as_deref()
        .and_then(|b| f.check(Body::parse("body", b)));
    f.finish()?;
    Ok(NewIncident {
        title: title.ok_or(ApiError::field("title", "is required"))?,
        services,
        status: status.unwrap_or(IncidentStatus::Investigating),
        impact: impact.unwrap_or(Impact::None),
        origin: Origin::Manual,
        started_at: started_at.unwrap_or_else(Utc::now),
        body,
        author: Some(author),
        source: "manual".into(),
    })
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (UUID)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag of this incident (`\"v7\"`): 304 while it is still current")),
    responses((status = 200, body = IncidentJson, headers(("ETag" = String, description = "The incident's version, as `\"v7\"`"))),
        (status = 304, description = "The incident is still at the version If-None-Match names", headers(("ETag" = String))),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn get_incident(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let detail = state
        .db_run(move |conn| incidents::get(conn, id))
        .await
        .map_err(not_found(id))?;
    let version = detail.incident.version;
    let modified = header::LastModified(caching::http_date(detail.incident.updated_at));
    if versions::not_modified(&req, version) {
        return Ok(HttpResponse::NotModified()
            .insert_header(versions::etag(version))
            .insert_header(modified)
            .finish());
    }
    // If-Modified-Since, and HEAD, are answered by `caching` from these two headers.
    Ok(HttpResponse::Ok()
        .insert_header(versions::etag(version))
        .insert_header(modified)
        .json(IncidentJson::from(&detail)))
}

fn not_found(id: IncidentId) -> impl Fn(ApiError) -> ApiError {
    move |e| match e {
        ApiError::NotFound(_) => ApiError::NotFound(format!("no incident with id {id}")),
        other => other,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "status": "monitoring",
    "impact": "minor",
    "mitigated_at": "2025-10-20T09:27:00Z"
})))]
pub struct PatchIncident {
    title: Option<String>,
    status: Option<String>,
    impact: Option<String>,
    started_at: Option<String>,
    /// A time, or null to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    detected_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    acknowledged_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    mitigated_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    resolved_at: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/api/v1/incidents/{id}", request_body = PatchIncident, tag = "incidents",
    security(("bearer" = [])), params(("id" = String, Path, description = "Incident id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "`*`, or ETags of this incident (`\"v7\"`): the change applies only while the incident is still at one of them, else 412")),
    responses((status = 200, body = IncidentJson, headers(("ETag" = String, description = "The incident's new version"))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem, description = "If-Match names another version; `current_version` and the ETag say which is current", headers(("ETag" = String))),
        (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(id = %id.as_str()))]
pub async fn patch_incident(
    state: web::Data<AppState>,
    _access: WriteAccess,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<PatchIncident>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let expected = versions::precondition(&req)?;
    let patch = validate_patch(body.into_inner())?;
    let detail = state
        .db_write_retrying(move |conn| apply_patch(conn, id, &patch, &expected))
        .await
        .map_err(not_found(id))?;
    Ok(HttpResponse::Ok()
        .insert_header(versions::etag(detail.incident.version))
        .json(IncidentJson::from(&detail)))
}

/// Applies a validated patch to the incident as it is now (if `expected` admits its version),
/// and returns the incident as it then is.
pub fn apply_patch(
    conn: &mut DbConn,
    id: IncidentId,
    patch: &IncidentPatch,
    expected: &Precondition,
) -> Result<IncidentDetail, DbError> {
    if incidents::patch(conn, id, patch, expected)? {
        // New times can make or break cascade links.
        crate::correlate::links::recompute_for(conn, id)?;
    }
    incidents::get(conn, id)
}

/// A PATCH body as a domain patch, every field error at once.
pub fn validate_patch(p: PatchIncident) -> Result<IncidentPatch, ApiError> {
    let mut f = Fields::default();
    let milestone = |f: &mut Fields, field: &'static str, v: Option<Option<String>>| match v {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => f.time(field, Some(&raw)).map(Some),
    };
    let patch = IncidentPatch {
        title: p
            .title
            .as_deref()
            .and_then(|t| f.check(Title::parse("title", t))),
        status: f.enumerated("status", p.status.as_deref()),
        impact: f.enumerated("impact", p.impact.as_deref()),
        started_at: f.time("started_at", p.started_at.as_deref()),
        detected_at: milestone(&mut f, "detected_at", p.detected_at),
        acknowledged_at: milestone(&mut f, "acknowledged_at", p.acknowledged_at),
        mitigated_at: milestone(&mut f, "mitigated_at", p.mitigated_at),
        resolved_at: milestone(&mut f, "resolved_at", p.resolved_at),
    };
    f.finish()?;
    if patch.is_empty() {
        return Err(ApiError::field("body", "name at least one field to change"));
    }
    Ok(patch)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "body": "A fix has been applied and error rates are recovering.",
    "status": "monitoring"
})))]
pub struct PostUpdate {
    body: String,
    status: Option<String>,
    impact: Option<String>,
    /// When it happened; now when absent. Never in the future.
    occurred_at: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates", request_body = PostUpdate, tag = "incidents",
    security(("bearer" = [])), params(("id" = String, Path, description = "Incident id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "`*`, or ETags of this incident (`\"v7\"`): the change applies only while the incident is still at one of them, else 412")),
    responses((status = 201, body = TimelineEntryJson, headers(("ETag" = String, description = "The incident's new version"))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem, description = "If-Match names another version; `current_version` and the ETag say which is current", headers(("ETag" = String))),
        (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(id = %id.as_str()))]
pub async fn post_update(
    state: web::Data<AppState>,
    access: WriteAccess,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<PostUpdate>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let expected = versions::precondition(&req)?;
    let update = validate_update(body.into_inner(), access.author())?;
    let (entry, version) = state
        .db_write_retrying(move |conn| {
            let entry = timeline::add_update(conn, id, &update, &expected)?;
            Ok((entry, db_versions::current(conn, id)?))
        })
        .await
        .map_err(not_found(id))?;
    Ok(HttpResponse::Created()
        .insert_header(versions::etag(version))
        .json(TimelineEntryJson::from(&entry)))
}

pub fn validate_update(u: PostUpdate, author: String) -> Result<NewUpdate, ApiError> {
    let mut f = Fields::default();
    let body = f.check(Body::parse("body", &u.body));
    let status = f.enumerated("status", u.status.as_deref());
    let impact = f.enumerated("impact", u.impact.as_deref());
    let occurred_at = f
        .time("occurred_at", u.occurred_at.as_deref())
        .and_then(|t| f.check(not_future("occurred_at", t)));
    f.finish()?;
    Ok(NewUpdate {
        body: body.ok_or(ApiError::field("body", "is required"))?,
        status,
        impact,
        occurred_at: occurred_at.unwrap_or_else(Utc::now),
        author: Some(author),
        source: "manual".into(),
    })
}

impl CreateIncident {
    /// Built by the web form, which shares the API's validation.
    pub fn from_form(
        title: String,
        services: Vec<String>,
        status: String,
        impact: String,
        body: String,
    ) -> Self {
        Self {
            title,
            services,
            status: Some(status),
            impact: Some(impact),
            started_at: None,
            body: Some(body),
        }
    }
}

impl PatchIncident {
    /// Built by the edit form, which shares the API's validation.
    pub fn from_form(title: String, status: String, impact: String) -> Self {
        Self {
            title: Some(title),
            status: Some(status),
            impact: Some(impact),
            started_at: None,
            detected_at: None,
            acknowledged_at: None,
            mitigated_at: None,
            resolved_at: None,
        }
    }
}

impl PostUpdate {
    pub fn from_form(body: String, status: Option<String>) -> Self {
        Self {
            body,
            status,
            impact: None,
            occurred_at: None,
        }
    }
}
