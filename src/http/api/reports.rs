//! User reports over HTTP: `POST /api/v1/reports` (public, rate limited, answers 202 once the
//! report is durable) and the token holder's bulk routes `POST /api/v1/ingest/reports-jsonl`
//! and `POST /api/v1/ingest/services`.
//!
//! Rules: the per-request path stays in memory (rate limit, salted hash, known services) and
//! leaves storing to the group-commit writer (`jobs::report_writer`). The client is the peer
//! address: forwarded-for headers are not trusted, since anyone can send them. A `reported_at`
//! from the public is ignored: public reports are stamped with their arrival time.

use std::collections::HashSet;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::RwLock;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::correlate::reports::{self as bulk, BackfillError, BackfillReport, CatalogReport};
use crate::db::{self, Db};
use crate::domain::report::{self, NewReport, ReportFields};
use crate::http::AppState;
use crate::http::auth::WriteAccess;
use crate::http::problem::{ApiError, Problem};
use crate::jobs::report_writer::{IntakeError, ReportIntake};

/// What report intake keeps in memory, shared by every worker.
pub struct ReportsState {
    pub intake: ReportIntake,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    salt: Vec<u8>,
    known: RwLock<HashSet<String>>,
}

impl ReportsState {
    /// Starts the writer and reads the salt. `per_minute` reports per client address.
    pub fn start(db: &Db, per_minute: u32) -> anyhow::Result<Self> {
        let salt = db.run(bulk::reporter_salt)?;
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            intake: ReportIntake::start(db.clone())?,
            limiter: RateLimiter::keyed(Quota::per_minute(rate)),
            salt,
            known: RwLock::new(HashSet::new()),
        })
    }

    /// Forgets rate-limit state of addresses that have been quiet (bounded memory).
    pub fn forget_quiet_clients(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// Whether a client may file another report now.
    pub fn admit(&self, client: IpAddr) -> bool {
        self.limiter.check_key(&client).is_ok()
    }

    pub fn reporter_hash(&self, client: IpAddr, user_agent: &str) -> String {
        report::reporter_hash(&self.salt, &["public", &client.to_string(), user_agent])
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

/// The client address and user agent a public report is identified by (hashed).
pub fn client_of(req: &HttpRequest) -> (IpAddr, String) {
    let ip = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(512)
        .collect();
    (ip, ua)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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
    let (client, ua) = client_of(req);
    if !reports.admit(client) {
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
        reporter_hash: reports.reporter_hash(client, &ua),
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
