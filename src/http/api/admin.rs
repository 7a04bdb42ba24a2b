//! Administration over the API, for `admin` tokens only: `/api/v1/sources` (polled status pages
//! and webhooks, whose addresses carry their secret) and `/api/v1/tokens`.
//!
//! Rules:
//! - Every handler takes [`AdminAccess`]; `http::routes` has refused anyone else already.
//! - A token's secret is in the answer to its creation and nowhere else, ever.
//! - Each change writes the audit log, with the acting token's name, in its own transaction.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::rfc3339;
use crate::db::sources::{self, SourceRow};
use crate::db::tokens::{self, Scope, TokenInfo};
use crate::domain::ServiceSlug;
use crate::domain::source::{SourceSpec, parse_interval};
use crate::http::AppState;
use crate::http::auth::AdminAccess;
use crate::http::problem::{ApiError, Problem};
use crate::ingest::Format;

/// Registers the administration routes (each declared in `http::routes::ROUTES`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/sources")
            .route(web::get().to(list_sources))
            .route(web::post().to(add_source)),
    )
    .service(web::resource("/api/v1/sources/{id}").route(web::delete().to(remove_source)))
    .service(
        web::resource("/api/v1/tokens")
            .route(web::get().to(list_tokens))
            .route(web::post().to(create_token)),
    )
    .service(web::resource("/api/v1/tokens/{id}").route(web::delete().to(revoke_token)));
}

/// How often to poll: seconds, or text such as `30s`, `5m`, `1h`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum IntervalJson {
    Seconds(u32),
    Text(String),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "kind": "statuspage",
    "url": "https://status.example.com/api/v2/incidents.json",
    "service": "example-app",
    "interval": "5m"
})))]
pub struct NewSourceJson {
    /// A format name to poll (statuspage, atom, rss, aws-health, gcp, …) or statuspage-webhook.
    kind: String,
    /// The page to poll; not for a webhook.
    url: Option<String>,
    /// The service this source reports on (created if new).
    service: String,
    /// How often to poll (default 5m); not for a webhook.
    interval: Option<IntervalJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceJson {
    pub id: String,
    pub kind: String,
    pub url: Option<String>,
    pub service: Option<String>,
    /// Seconds between polls; null for a webhook.
    pub interval: Option<i32>,
    /// Where Statuspage delivers, with the secret: only for a webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_path: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
}

impl From<&SourceRow> for SourceJson {
    fn from(s: &SourceRow) -> Self {
        Self {
            id: s.id.clone(),
            kind: s.kind.clone(),
            url: s.url.clone(),
            service: s.service_slug.clone(),
            interval: s.poll_interval_secs,
            hook_path: s.hook_path(),
            last_success_at: s.last_success_at.map(|t| rfc3339(t.and_utc())),
            last_error: s.last_error.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceListJson {
    pub items: Vec<SourceJson>,
}

#[utoipa::path(get, path = "/api/v1/sources", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = SourceListJson), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_sources(
    state: web::Data<AppState>,
    _access: AdminAccess,
) -> Result<HttpResponse, ApiError> {
    let rows = state.db_run(sources::list_configured).await?;
    Ok(HttpResponse::Ok().json(SourceListJson {
        items: rows.iter().map(SourceJson::from).collect(),
    }))
}

/// What a [`NewSourceJson`] asks for, checked as `aftermath source add` checks it.
fn parse_source(body: NewSourceJson) -> Result<SourceSpec, ApiError> {
    let service = ServiceSlug::parse("service", &body.service)?;
    let interval = match body.interval {
        None => None,
        Some(IntervalJson::Seconds(secs)) => Some(secs),
        Some(IntervalJson::Text(text)) => {
            Some(parse_interval(&text).map_err(|e| ApiError::field("interval", e))?)
        }
    };
    let formats: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
    let webhook = body.kind == crate::domain::source::WEBHOOK_KIND;
    if webhook && (body.url.is_some() || interval.is_some()) {
        return Err(ApiError::field(
            "kind",
            "a webhook has no url and no interval: it is pushed to us",
        ));
    }
    Ok(SourceSpec::parse(
        &body.kind,
        body.url.as_deref(),
        service,
        interval,
        &formats,
    )?)
}

#[utoipa::path(post, path = "/api/v1/sources", tag = "admin", security(("bearer" = [])),
    request_body = NewSourceJson,
    responses((status = 201, body = SourceJson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_source(
    state: web::Data<AppState>,
    access: AdminAccess,
    body: web::Json<NewSourceJson>,
) -> Result<HttpResponse, ApiError> {
    let spec = parse_source(body.into_inner())?;
    // As `source add`: a literal private address is refused at once, unless allowed.
    if let Some(url) = spec.url.as_deref() {
        crate::jobs::poller::address::check_source_url(url, &state.config.private_sources)
            .map_err(|e| ApiError::field("url", e))?;
    }
    let actor = access.actor();
    let row = state
        .db_write(move |conn| sources::add_by(conn, &actor, &spec))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/sources/{}", row.id)))
        .json(SourceJson::from(&row)))
}

#[utoipa::path(delete, path = "/api/v1/sources/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The source's id")),
    responses((status = 204, description = "No longer polled; a webhook's address stops working"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_source(
    state: web::Data<AppState>,
    access: AdminAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = access.actor();
    let id = id.into_inner();
    state
        .db_write(move |conn| sources::remove_by(conn, &actor, &id))
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound("no source with this id".into()),
            other => other,
        })?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "status-bot", "scope": "write"})))]
pub struct NewTokenJson {
    /// Who or what uses the token; the author of what it writes.
    name: String,
    /// read | write | admin
    scope: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenJson {
    pub id: String,
    pub name: String,
    /// read | write | admin
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<&TokenInfo> for TokenJson {
    fn from(t: &TokenInfo) -> Self {
        Self {
            id: t.id.clone(),
            name: t.name.clone(),
            scope: t.scope.as_str().into(),
            created_at: rfc3339(t.created_at),
            revoked_at: t.revoked_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenListJson {
    pub items: Vec<TokenJson>,
}

/// A new token, with its secret: shown this once, never stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenJson {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub token: String,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = TokenListJson), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_tokens(
    state: web::Data<AppState>,
    _access: AdminAccess,
) -> Result<HttpResponse, ApiError> {
    let all = state.db_run(tokens::list).await?;
    Ok(HttpResponse::Ok().json(TokenListJson {
        items: all.iter().map(TokenJson::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])),
    request_body = NewTokenJson,
    responses((status = 201, body = CreatedTokenJson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_token(
    state: web::Data<AppState>,
    access: AdminAccess,
    body: web::Json<NewTokenJson>,
) -> Result<HttpResponse, ApiError> {
    let NewTokenJson { name, scope } = body.into_inner();
    let scope: Scope = scope.parse().map_err(|e| ApiError::field("scope", e))?;
    let actor = access.actor();
    let (token, raw) = state
        .db_write(move |conn| tokens::create_by(conn, &actor, &name, scope))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedTokenJson {
            id: token.id,
            name: token.name,
            scope: token.scope.as_str().into(),
            token: raw,
        }))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked: it stops working at once, sessions included"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_token(
    state: web::Data<AppState>,
    access: AdminAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = access.actor();
    let id = id.into_inner();
    state
        .db_write(move |conn| tokens::revoke_id_by(conn, &actor, &id))
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound("no live token with this id".into()),
            other => other,
        })?;
    Ok(HttpResponse::NoContent().finish())
}
