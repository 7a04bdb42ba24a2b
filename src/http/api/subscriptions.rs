//! Notification subscriptions over the API (issue 21): `/api/v1/subscriptions`.
//!
//! Rules:
//! - A `write` token manages its own subscriptions; an `admin` token sees and manages every
//!   one. Someone else's subscription is 404, as if it did not exist.
//! - A webhook's secret is in the answer to its creation and to a rotation, and nowhere else.
//! - Bad input is 422 problem+json naming the field, and changes nothing: an unknown kind,
//!   event or format, a bad filter, a target of the wrong shape or a private address (unless
//!   `AFTERMATH_ALLOW_PRIVATE_SOURCES` allows it; a mail target is not an address we reach).
//! - An email subscription starts unconfirmed: its confirmation mail is queued with it, and
//!   nothing else is sent until the link in it is followed.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::rfc3339;
use crate::config::PrivateSources;
use crate::db::deliveries::{self, Delivery, NewDelivery};
use crate::db::subscriptions::{self, NewSubscription, Subscription};
use crate::db::tokens::{Scope, TokenInfo};
use crate::db::{DbConn, DbError};
use crate::domain::subscription::{self as spec, Filter, Format, Kind};
use crate::domain::{Impact, Origin, ValidationError};
use crate::http::AppState;
use crate::http::auth::WriteAccess;
use crate::http::problem::{ApiError, Problem};
use crate::jobs::notifications::render::{self, Links, email};

/// Registers the routes (each declared in `http::routes::ROUTES`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/subscriptions")
            .route(web::get().to(list_subscriptions))
            .route(web::post().to(create_subscription)),
    )
    .service(
        web::resource("/api/v1/subscriptions/{id}")
            .route(web::get().to(get_subscription))
            .route(web::delete().to(delete_subscription)),
    )
    .service(
        web::resource("/api/v1/subscriptions/{id}/rotate-secret")
            .route(web::post().to(rotate_secret)),
    )
    .service(web::resource("/api/v1/subscriptions/{id}/resume").route(web::post().to(resume)))
    .service(web::resource("/api/v1/subscriptions/{id}/test").route(web::post().to(send_test)))
    .service(
        web::resource("/api/v1/subscriptions/{id}/deliveries")
            .route(web::get().to(list_deliveries)),
    );
}

/// Which incidents a subscription hears about; every part is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterJson {
    /// Any of these service slugs.
    #[serde(default)]
    pub services: Vec<String>,
    /// Any of these providers.
    #[serde(default)]
    pub providers: Vec<String>,
    /// none | minor | major | critical: at least this impact.
    pub min_impact: Option<String>,
    /// status_page | user_reports | manual
    pub origin: Option<String>,
    /// A saved search, matched as a strict search matches.
    pub query: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "kind": "webhook",
    "target": "https://hooks.example.com/aftermath",
    "filter": {"services": ["nimbus-us-east-1"], "min_impact": "major"},
    "events": ["incident.created", "incident.resolved"]
})))]
pub struct NewSubscriptionJson {
    /// webhook | slack | email
    pub kind: String,
    /// An http(s) URL (webhook, slack) or a mail address (email).
    pub target: String,
    #[serde(default)]
    pub filter: Option<FilterJson>,
    /// Any of incident.created, incident.updated, incident.resolved, spike.started,
    /// link.created, postmortem.published; all of them when absent.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// statuspage (default) | aftermath: the body of a webhook.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionJson {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub format: String,
    pub filter: serde_json::Value,
    pub events: Vec<String>,
    /// Whether it hears events: an email subscription is unconfirmed until its link is followed.
    pub confirmed: bool,
    /// Set when its target failed for 3 days; `POST …/resume` resumes it.
    pub paused_at: Option<String>,
    pub created_at: String,
    /// Only in the answer to a creation or a rotation: the Standard Webhooks secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl SubscriptionJson {
    fn of(s: &Subscription) -> Self {
        let f = &s.filter;
        let mut filter = serde_json::Map::new();
        if !f.services.is_empty() {
            filter.insert("services".into(), f.services.clone().into());
        }
        if !f.providers.is_empty() {
            filter.insert("providers".into(), f.providers.clone().into());
        }
        if let Some(i) = f.min_impact {
            filter.insert("min_impact".into(), i.as_str().into());
        }
        if let Some(o) = f.origin {
            filter.insert("origin".into(), o.as_str().into());
        }
        if let Some(q) = &f.query {
            filter.insert("query".into(), q.clone().into());
        }
        Self {
            id: s.id.clone(),
            kind: s.kind.as_str().into(),
            target: s.target.clone(),
            format: s.format.as_str().into(),
            filter: filter.into(),
            events: s.events.iter().map(|e| e.as_str().to_string()).collect(),
            confirmed: s.confirmed_at.is_some(),
            paused_at: s.paused_at.map(rfc3339),
            created_at: rfc3339(s.created_at),
            secret: None,
        }
    }

    fn with_secret(s: &Subscription) -> Self {
        Self {
            secret: s.secret.clone(),
            ..Self::of(s)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionListJson {
    pub items: Vec<SubscriptionJson>,
}

fn parse_filter(f: FilterJson) -> Result<Filter, ValidationError> {
    let parse_in = |e: ValidationError| ValidationError::new("filter", e.message);
    Filter {
        services: f.services,
        providers: f.providers,
        min_impact: f
            .min_impact
            .map(|i| {
                i.parse::<Impact>()
                    .map_err(|e| ValidationError::new("filter", format!("min_impact: {e}")))
            })
            .transpose()?,
        origin: f
            .origin
            .map(|o| {
                o.parse::<Origin>()
                    .map_err(|e| ValidationError::new("filter", format!("origin: {e}")))
            })
            .transpose()?,
        query: f.query,
    }
    .checked()
    .map_err(parse_in)
}

/// A new subscription as the API and the page ask for it, checked; a private target is
/// refused unless allowed.
pub fn parse_new(
    body: NewSubscriptionJson,
    owner: &TokenInfo,
    private: &PrivateSources,
) -> Result<NewSubscription, ApiError> {
    let kind = Kind::parse(&body.kind)?;
    let format = body
        .format
        .as_deref()
        .map(Format::parse)
        .transpose()?
        .unwrap_or(Format::Statuspage);
    let target = spec::check_target(kind, &body.target)?;
    if kind != Kind::Email {
        crate::jobs::poller::address::check_source_url(&target, private)
            .map_err(|e| ApiError::field("target", e))?;
    }
    Ok(NewSubscription {
        owner_token_id: owner.id.clone(),
        owner_name: owner.name.clone(),
        kind,
        target,
        format,
        filter: parse_filter(body.filter.unwrap_or_default())?,
        events: spec::parse_events(&body.events.unwrap_or_default())?,
    })
}

/// Stores a new subscription; an email one gets its confirmation mail queued with it.
pub fn store_new(
    conn: &mut DbConn,
    new: &NewSubscription,
    links: &Links,
) -> Result<Subscription, DbError> {
    let sub = subscriptions::create(conn, new)?;
    if sub.kind == Kind::Email {
        let confirmation = NewDelivery {
            subscription_id: sub.id.clone(),
            event: deliveries::CONFIRMATION.into(),
            incident_key: String::new(),
            body: email::confirmation(&sub, links).to_json(),
        };
        deliveries::enqueue(conn, &[confirmation], chrono::Utc::now())?;
    }
    Ok(sub)
}

/// Whose subscriptions the caller may see: its own, or every one for an admin.
fn owner_of(access: &WriteAccess) -> Option<String> {
    owner_for(&access.0)
}

/// Whose subscriptions this token may see: its own, or every one for an admin.
pub fn owner_for(token: &TokenInfo) -> Option<String> {
    (!token.scope.includes(Scope::Admin)).then(|| token.id.clone())
}

pub fn links(state: &AppState) -> Links {
    Links::new(state.config.public_url.as_deref())
}

#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "notifications", security(("bearer" = [])),
    request_body = NewSubscriptionJson,
    responses((status = 201, body = SubscriptionJson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_subscription(
    state: web::Data<AppState>,
    access: WriteAccess,
    body: web::Json<NewSubscriptionJson>,
) -> Result<HttpResponse, ApiError> {
    let new = parse_new(body.into_inner(), &access.0, &state.config.private_sources)?;
    let links = links(&state);
    let sub = state
        .db_write(move |conn| store_new(conn, &new, &links))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/subscriptions/{}", sub.id)))
        .json(SubscriptionJson::with_secret(&sub)))
}

#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = SubscriptionListJson), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_subscriptions(
    state: web::Data<AppState>,
    access: WriteAccess,
) -> Result<HttpResponse, ApiError> {
    let owner = owner_of(&access);
    let subs = state
        .db_run(move |conn| subscriptions::list(conn, owner.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(SubscriptionListJson {
        items: subs.iter().map(SubscriptionJson::of).collect(),
    }))
}

fn not_found(e: ApiError) -> ApiError {
    match e {
        ApiError::NotFound(_) => ApiError::NotFound("no subscription with this id".into()),
        other => other,
    }
}

/// Whether a handler's work on one subscription reads or writes.
#[derive(Debug, Clone, Copy)]
enum Tx {
    Read,
    Write,
}

/// Runs `f` with the subscription id of the path and whose subscriptions the caller may see
/// (`None`: an admin's, every one), in one transaction: the one place that says "your own, or
/// 404". `f` passes both to the `db::subscriptions` call, which answers not found for another
/// owner's subscription.
async fn on_own<T: Send + 'static>(
    state: &AppState,
    access: &WriteAccess,
    id: web::Path<String>,
    tx: Tx,
    f: impl FnOnce(&mut DbConn, &str, Option<&str>) -> Result<T, DbError> + Send + 'static,
) -> Result<T, ApiError> {
    let (owner, id) = (owner_of(access), id.into_inner());
    let work = move |conn: &mut DbConn| f(conn, &id, owner.as_deref());
    let done = match tx {
        Tx::Read => state.db_run(work).await,
        Tx::Write => state.db_write(work).await,
    };
    done.map_err(not_found)
}

#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, body = SubscriptionJson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn get_subscription(
    state: web::Data<AppState>,
    access: WriteAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sub = on_own(&state, &access, id, Tx::Read, subscriptions::get).await?;
    Ok(HttpResponse::Ok().json(SubscriptionJson::of(&sub)))
}

#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 204, description = "Removed, with its deliveries"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_subscription(
    state: web::Data<AppState>,
    access: WriteAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    on_own(&state, &access, id, Tx::Write, subscriptions::delete).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/rotate-secret", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, body = SubscriptionJson, description = "With the new secret; the old one stays valid 24 hours"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    access: WriteAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sub = on_own(&state, &access, id, Tx::Write, subscriptions::rotate_secret).await?;
    Ok(HttpResponse::Ok().json(SubscriptionJson::with_secret(&sub)))
}

#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/resume", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, body = SubscriptionJson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn resume(
    state: web::Data<AppState>,
    access: WriteAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sub = on_own(&state, &access, id, Tx::Write, subscriptions::resume).await?;
    Ok(HttpResponse::Ok().json(SubscriptionJson::of(&sub)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedJson {
    /// The delivery's id: its `webhook-id`.
    pub delivery_id: String,
}

#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/test", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 202, body = QueuedJson, description = "A test event is queued"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn send_test(
    state: web::Data<AppState>,
    access: WriteAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let links = links(&state);
    let queued = on_own(&state, &access, id, Tx::Write, move |conn, id, owner| {
        queue_test(conn, id, owner, &links)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(QueuedJson {
        delivery_id: queued,
    }))
}

/// Queues a test event for a subscription `owner` may see; returns the delivery id.
pub fn queue_test(
    conn: &mut DbConn,
    id: &str,
    owner: Option<&str>,
    links: &Links,
) -> Result<String, DbError> {
    let sub = subscriptions::get(conn, id, owner)?;
    let now = chrono::Utc::now();
    let test = NewDelivery {
        subscription_id: sub.id.clone(),
        event: deliveries::TEST.into(),
        incident_key: String::new(),
        body: render::test_body(&sub, links, now),
    };
    let ids = deliveries::enqueue(conn, &[test], now)?;
    Ok(ids.into_iter().next().unwrap_or_default())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptJson {
    pub attempted_at: String,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryJson {
    pub id: String,
    pub event: String,
    pub incident_id: Option<String>,
    /// pending | delivered | dead
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Every attempt, oldest first.
    pub log: Vec<AttemptJson>,
}

impl From<&Delivery> for DeliveryJson {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id.clone(),
            event: d.event.clone(),
            incident_id: d.incident_id.clone(),
            state: d.state.clone(),
            attempts: d.attempts,
            next_attempt_at: (d.state == deliveries::State::Pending.as_str())
                .then(|| rfc3339(d.next_attempt_at)),
            last_error: d.last_error.clone(),
            created_at: rfc3339(d.created_at),
            finished_at: d.finished_at.map(rfc3339),
            log: d
                .log
                .iter()
                .map(|a| AttemptJson {
                    attempted_at: rfc3339(a.attempted_at),
                    status_code: a.status_code,
                    latency_ms: a.latency_ms,
                    error: a.error.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryListJson {
    /// The last 100, newest first.
    pub items: Vec<DeliveryJson>,
}

/// How many deliveries a subscription's list shows.
pub const RECENT_DELIVERIES: i64 = 100;

#[utoipa::path(get, path = "/api/v1/subscriptions/{id}/deliveries", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, body = DeliveryListJson), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    access: WriteAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let list = on_own(&state, &access, id, Tx::Read, |conn, id, owner| {
        subscriptions::get(conn, id, owner)?;
        deliveries::recent(conn, id, RECENT_DELIVERIES)
    })
    .await?;
    Ok(HttpResponse::Ok().json(DeliveryListJson {
        items: list.iter().map(DeliveryJson::from).collect(),
    }))
}
