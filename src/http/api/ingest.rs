//! Ingest over HTTP: `POST /api/v1/ingest/{format}` (token) and the per-source webhook URL
//! `POST /api/v1/hooks/{source_id}/{secret}` (Statuspage cannot send headers, so the secret is
//! in the URL). A document lands whole or not at all.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::correlate::{self, IngestError, IngestReport, Provenance};
use crate::db::sources;
use crate::domain::ServiceSlug;
use crate::http::AppState;
use crate::http::auth::WriteAccess;
use crate::http::problem::{ApiError, Problem};
use crate::ingest::Format;

/// Status-page documents can be large (AWS's data.json runs to megabytes); webhooks are small.
pub const INGEST_LIMIT: usize = 16 * 1024 * 1024;
pub const WEBHOOK_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IngestQuery {
    /// The service the document is about, when the document does not say.
    service: Option<String>,
}

fn to_api(e: IngestError) -> ApiError {
    match e {
        IngestError::Db(db) => db.into(),
        other => ApiError::field("body", other.to_string()),
    }
}

#[tracing::instrument(skip_all, fields(format = format.as_str(), bytes = body.len(), via = %origin.0))]
async fn ingest(
    state: &AppState,
    format: Format,
    service: Option<ServiceSlug>,
    body: web::Bytes,
    origin: Provenance,
) -> Result<IngestReport, ApiError> {
    let db = state.db.clone();
    crate::http::blocking(move || {
        correlate::ingest_bytes(&db, Some(format), service.as_ref(), &body, &origin)
    })
    .await?
    .map_err(to_api)
}

#[utoipa::path(post, path = "/api/v1/ingest/{format}", tag = "ingest", security(("bearer" = [])),
    params(("format" = String, Path, description = "statuspage, atom, rss, aws-health, aws-datajson, gcp, slack, instatus, betterstack or checkly"), IngestQuery),
    request_body(content = String, description = "The document, as the source publishes it", content_type = "application/octet-stream"),
    responses((status = 200, body = IngestReport), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn ingest_document(
    state: web::Data<AppState>,
    access: WriteAccess,
    format: web::Path<String>,
    query: web::Query<IngestQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let format = Format::from_name(&format)
        .ok_or_else(|| ApiError::NotFound(format!("unknown format {:?}", format.as_str())))?;
    let service = match query.into_inner().service {
        Some(s) => Some(ServiceSlug::parse("service", &s)?),
        None => None,
    };
    let origin = Provenance(format!("api:{}", access.author()));
    let report = ingest(&state, format, service, body, origin).await?;
    Ok(HttpResponse::Ok().json(report))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[utoipa::path(post, path = "/api/v1/hooks/{source_id}/{secret}", tag = "ingest",
    params(("source_id" = String, Path, description = "The webhook source's id"), ("secret" = String, Path, description = "The secret `source add` printed")),
    request_body(content = String, description = "A Statuspage webhook body", content_type = "application/json"),
    responses((status = 200, body = IngestReport), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn receive_webhook(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (source_id, secret) = path.into_inner();
    let lookup = source_id.clone();
    let source = state
        .db_run(move |conn| sources::get(conn, &lookup))
        .await
        .ok();
    // An unknown source and a wrong secret look the same, so ids cannot be probed.
    let unknown = || ApiError::NotFound("no webhook at this address".into());
    let source = source
        .filter(|s| s.kind == "statuspage-webhook")
        .ok_or_else(unknown)?;
    if !source
        .secret
        .as_deref()
        .is_some_and(|s| constant_time_eq(s, &secret))
    {
        return Err(unknown());
    }
    let service = match source
        .service_slug
        .as_deref()
        .map(|s| ServiceSlug::parse("service", s))
    {
        Some(Ok(slug)) => Some(slug),
        _ => None,
    };
    let origin = Provenance(format!("webhook:{source_id}"));
    let result = ingest(&state, Format::Statuspage, service, body, origin).await;
    let error = result.as_ref().err().map(|e| e.problem().detail);
    let id = source_id.clone();
    state
        .db_write(move |conn| sources::record_outcome(conn, &id, error.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(result?))
}
