//! User reports over HTTP: `POST /api/v1/reports` (public, rate limited, answers 202 once the
//! report is durable) and the token holder's bulk routes `POST /api/v1/ingest/reports-jsonl`
//! and `POST /api/v1/ingest/services`.
//!
//! Rules:
//! - The per-request path stays in memory (rate limit, salted hash, known services) and leaves
//!   storing to the group-commit writer (`jobs::report_writer`).
//! - A `reported_at` from the public is ignored: public reports are stamped with their arrival
//!   time.
//! - One reporter is one address ([`crate::http::client`]): IPv4 as is, IPv6 by its /64, taken
//!   from `X-Forwarded-For` only behind a trusted proxy. The user agent is no part of it, since
//!   the client chooses it. The same key is hashed, deduplicated and rate limited.
//! - The limiter remembers at most [`REPORTERS_REMEMBERED`] reporters ([`crate::http::limiter`]).

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::RwLock;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use governor::Quota;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::correlate::reports::{self as bulk, BackfillError, BackfillReport, CatalogReport};
use crate::db::{self, Db};
use crate::domain::report::{self, NewReport, ReportFields};
use crate::http::AppState;
use crate::http::auth::WriteAccess;
use crate::http::client::{Reporter, client_address, reporter_key};
use crate::http::limiter::{BoundedLimiter, bounded_limiter};
use crate::http::problem::{ApiError, Problem};
use crate::jobs::report_writer::{IntakeError, ReportIntake};

/// The most reporters the rate limiter remembers at once: about 10 MiB. A reporter it has
/// forgotten starts again with a full minute's allowance; its reports still count once per
/// window, since deduplication is in the store.
pub const REPORTERS_REMEMBERED: usize = 100_000;

/// What report intake keeps in memory, shared by every worker.
pub struct ReportsState {
    pub intake: ReportIntake,
    limiter: BoundedLimiter<Reporter>,
    salt: Vec<u8>,
    known: RwLock<HashSet<String>>,
}

impl ReportsState {
    /// Starts the writer and reads the salt. `per_minute` reports per reporter.
    pub fn start(db: &Db, per_minute: u32) -> anyhow::Result<Self> {
        let salt = db.run(bulk::reporter_salt)?;
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            intake: ReportIntake::start(db.clone())?,
            limiter: bounded_limiter(Quota::per_minute(rate), REPORTERS_REMEMBERED),
            salt,
            known: RwLock::new(HashSet::new()),
        })
    }

    /// Forgets the rate-limit state of reporters that have been quiet. Memory is bounded by
    /// the limiter's capacity anyway; this keeps it small when nobody is flooding.
    pub fn forget_quiet_clients(&self) {
        self.limiter.retain_recent();
    }

    /// Whether a reporter may file another report now.
    pub fn admit(&self, reporter: Reporter) -> bool {
        self.limiter.check_key(&reporter).is_ok()
    }

    /// The salted hash a public reporter is stored as.
    pub fn reporter_hash(&self, reporter: Reporter) -> String {
        report::reporter_hash(&self.salt, &["public", &reporter.to_string()])
    }

    /// Whether a service exists, remembering the ones that do.
    pub async fn service_known(&self, state: &AppState, slug: &str) -> Result<bool, ApiError> {
        let cached = self.known.read().map(|k| k.contains(slug)).unwrap_or(false);
        if cached {
            return Ok(true);
        }
        let lookup = slug.to_string();
        let exists = state
            .db_run(move |conn| db::reports::service_exists(conn, &lookup))
            .await?;
        if exists && let Ok(mut known) = self.known.write() {
            known.insert(slug.to_string());
        }
        Ok(exists)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "service": "nimbus-us-east-1",
    "symptom": "login",
    "comment": "Cannot sign in since 9:00",
    "country": "FR"
})))]
pub struct FileReport {
    /// The service slug; it must exist.
    pub service: String,
    /// One of: outage, login, app, website, server_connection, payments, notifications, other.
    pub symptom: Option<String>,
    /// Plain text, at most 500 characters.
    pub comment: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    pub country: Option<String>,
    /// Ignored: public reports are stamped with their arrival time.
    #[schema(value_type = Option<String>)]
    pub reported_at: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportAccepted {
    pub accepted: bool,
    /// False for a duplicate (same reporter, service and 15-minute window).
    pub counted: bool,
    pub reported_at: String,
}

/// Validates and stores one public report; shared by the API and the `/report` form.
pub async fn accept_public(
    state: &AppState,
    reports: &ReportsState,
    req: &HttpRequest,
    fields: ReportFields<'_>,
) -> Result<ReportAccepted, ApiError> {
    let reporter = reporter_key(client_address(req, &state.config.trusted_proxies));
    if !reports.admit(reporter) {
        return Err(ApiError::TooManyRequests(
            "too many reports from this address; try again in a minute".into(),
        ));
    }
    let text = report::parse_fields(&fields)?;
    if !reports.service_known(state, text.service.as_str()).await? {
        return Err(ApiError::field(
            "service",
            format!("unknown service {:?}", text.service.as_str()),
        ));
    }
    let now = Utc::now();
    let new = NewReport {
        service: text.service,
        reported_at: now,
        symptom: text.symptom,
        comment: text.comment,
        country: text.country,
        reporter_hash: reports.reporter_hash(reporter),
        via: "public",
    };
    let counted = reports.intake.submit(new).await.map_err(|e| match e {
        IntakeError::Stopped => ApiError::Unavailable,
        other => ApiError::internal(other),
    })?;
    Ok(ReportAccepted {
        accepted: true,
        counted,
        reported_at: super::dto::rfc3339(now),
    })
}

#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = FileReport,
    responses((status = 202, body = ReportAccepted), (status = 400, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn file_report(
    state: web::Data<AppState>,
    reports: web::Data<ReportsState>,
    req: HttpRequest,
    body: web::Json<FileReport>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fields = ReportFields {
        service: &body.service,
        symptom: body.symptom.as_deref(),
        comment: body.comment.as_deref(),
        country: body.country.as_deref(),
    };
    let accepted = accept_public(&state, &reports, &req, fields).await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

fn backfill_error(e: BackfillError) -> ApiError {
    match e {
        BackfillError::Line(l) => ApiError::field("body", l.to_string()),
        BackfillError::Db(d) => d.into(),
        BackfillError::Partial {
            stored,
            total,
            source,
        } => {
            tracing::error!(
                stored,
                total,
                "a backfill stopped after storing part of its reports"
            );
            source.into()
        }
    }
}

#[utoipa::path(post, path = "/api/v1/ingest/reports-jsonl", tag = "reports", security(("bearer" = [])),
    request_body(content = String, description = "One report a line: {service, reported_at, reporter, symptom?, comment?, country?}", content_type = "application/x-ndjson"),
    responses((status = 200, body = BackfillReport), (status = 401, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(bytes = body.len()))]
pub async fn backfill_reports(
    state: web::Data<AppState>,
    _access: WriteAccess,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let report = crate::http::blocking(move || bulk::backfill(&db, &body, Utc::now()))
        .await?
        .map_err(backfill_error)?;
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(post, path = "/api/v1/ingest/services", tag = "services", security(("bearer" = [])),
    request_body(content = String, description = "A TOML catalog of [[service]] tables", content_type = "application/toml"),
    responses((status = 200, body = CatalogReport), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn ingest_catalog(
    state: web::Data<AppState>,
    _access: WriteAccess,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let services = crate::ingest::catalog::parse_catalog(&body)
        .map_err(|e| ApiError::field("body", e.to_string()))?;
    let report = state
        .db_write(move |conn| bulk::apply_catalog(conn, &services))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}
