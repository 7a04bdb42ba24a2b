//! Operations: health, metrics and the OpenAPI document.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::problem::{ApiError, Problem};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(healthz)))
        .service(web::resource("/metrics").route(web::get().to(super::metrics::metrics)))
        .service(web::resource("/api/openapi.json").route(web::get().to(openapi_json)));
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    database: &'static str,
    /// Whether this instance is the leader that runs the minute jobs (always, on SQLite).
    leader: bool,
    /// Age in seconds of the oldest outbox row this instance's search index has not applied;
    /// 0 when it is caught up.
    index_lag_seconds: f64,
    /// Outbox rows committed after this instance's index position.
    index_behind_rows: i64,
}

/// Healthy when the database answers; also says whether this instance leads, and how far its
/// search index lags.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backend = state.db.backend();
    let position = state.search.position().unwrap_or_default();
    let lag = state
        .db_run(move |conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1")?;
            crate::db::outbox::lag(conn, position)
        })
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let database = match backend {
        crate::db::Backend::Sqlite => "sqlite",
        crate::db::Backend::Postgres => "postgres",
    };
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        database,
        leader: state.leader.is_leader(),
        index_lag_seconds: lag.seconds(chrono::Utc::now()),
        index_behind_rows: lag.behind_rows,
    }))
}

/// Prometheus text exposition; described here so the document lists every route.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[allow(dead_code)]
fn metrics_doc() {}

#[utoipa::path(get, path = "/api/openapi.json", tag = "ops",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(super::api::openapi::document())
}
