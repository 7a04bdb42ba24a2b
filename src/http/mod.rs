//! The face to the web: the JSON API under `/api/v1`, server-rendered pages, health and metrics.
//!
//! Rules: handlers parse input into domain commands, run storage work on the blocking pool through
//! [`AppState::db_run`] / [`AppState::db_write`] (or [`blocking`]), and answer; no SQL and no
//! business rule lives here. Blocking work runs inside the request's span, so one request's log
//! lines can be read together; no span field ever holds a secret (token, cookie, hook secret).

pub mod api;
pub mod auth;
pub mod caching;
pub mod client;
pub mod cors;
pub mod feeds;
pub mod head;
pub mod headers;
pub mod limiter;
pub mod metrics;
pub mod ops;
pub mod origin;
pub mod pages;
pub mod problem;
pub mod request_log;
pub mod routes;

use std::sync::Arc;

use actix_web::web;

use crate::config::Config;
use crate::db::{Db, DbConn, DbError};
use problem::ApiError;

/// Everything a handler needs, shared by all workers.
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: metrics::Metrics,
    pub search: crate::search::Search,
    /// Whether this instance runs the minute jobs, for `/healthz` and `/metrics`.
    pub leader: crate::jobs::leader::Leader,
}

impl AppState {
    /// Read-only storage work on the blocking pool.
    pub async fn db_run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = self.db.clone();
        Ok(blocking(move || db.run(f)).await??)
    }

    /// One write transaction on the blocking pool. After it commits, this process's indexer is
    /// woken, so the change is searchable in milliseconds rather than at the next poll.
    pub async fn db_write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = self.db.clone();
        let value = blocking(move || db.write(f)).await??;
        self.search.wake();
        Ok(value)
    }

    /// [`AppState::db_write`] that runs `f` again when the database ended the transaction to
    /// break a deadlock (`Db::write_retrying`): for the incident writes people wait on.
    pub async fn db_write_retrying<T: Send + 'static>(
        &self,
        f: impl FnMut(&mut DbConn) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = self.db.clone();
        let value = blocking(move || db.write_retrying(f)).await??;
        self.search.wake();
        Ok(value)
    }
}

/// `web::block` that carries the caller's tracing span (the request's, with its id, method and
/// route) onto the blocking thread, so a request's log lines read together wherever they ran.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, actix_web::error::BlockingError> {
    let span = tracing::Span::current();
    web::block(move || span.in_scope(f)).await
}

/// Request body limits: JSON bodies are small documents; forms are smaller still.
pub const JSON_LIMIT: usize = 256 * 1024;
pub const FORM_LIMIT: usize = 64 * 1024;

/// Registers every route. Extractor rejections are routed into problem+json here. What each route
/// needs from its caller is declared in [`routes::ROUTES`] and enforced by [`routes::guard`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .error_handler(problem::json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(problem::query_error))
    .app_data(web::PathConfig::default().error_handler(problem::path_error))
    .app_data(web::FormConfig::default().limit(FORM_LIMIT))
    .app_data(web::PayloadConfig::default().limit(JSON_LIMIT))
    .configure(api::configure)
    .configure(api::admin::configure)
    .configure(api::subscriptions::configure)
    .configure(pages::subscription_links::configure)
    .configure(pages::subscriptions::configure)
    .configure(feeds::configure)
    .configure(ops::configure)
    .configure(pages::configure);
}
