//! `/subscriptions`: notification subscriptions for signed-in users (issue 21): the list and a
//! form for a new one, and one subscription with its last 100 deliveries, a "send a test
//! event" button and, when paused, a notice with a resume button.
//!
//! Rules: as the API (`http::api::subscriptions`): a `write` session sees its own, an `admin`
//! one every one; someone else's is 404. Every form carries the CSRF token. A webhook's secret
//! is shown once, in the answer to the form that made it (`Cache-Control: no-store`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::forged;
use super::view::utc;
use super::{Layout, html, page_error};
use crate::db::deliveries::{self, Delivery};
use crate::db::subscriptions::{self, Subscription};
use crate::db::tokens::{self, TokenInfo};
use crate::db::{DbConn, DbError};
use crate::http::AppState;
use crate::http::api::subscriptions::{
    self as api, FilterJson, NewSubscriptionJson, RECENT_DELIVERIES,
};
use crate::http::problem::ApiError;

/// Registers the routes (each declared in `http::routes::ROUTES`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/subscriptions")
            .route(web::get().to(list_page))
            .route(web::post().to(create)),
    )
    .service(web::resource("/subscriptions/{id}").route(web::get().to(one_page)))
    .service(web::resource("/subscriptions/{id}/test").route(web::post().to(test)))
    .service(web::resource("/subscriptions/{id}/resume").route(web::post().to(resume)))
    .service(web::resource("/subscriptions/{id}/delete").route(web::post().to(delete)));
}

struct SubView {
    id: String,
    kind: &'static str,
    target: String,
    events: String,
    filter: String,
    confirmed: bool,
    paused: Option<String>,
}

impl From<&Subscription> for SubView {
    fn from(s: &Subscription) -> Self {
        let f = &s.filter;
        let mut filter = Vec::new();
        if !f.services.is_empty() {
            filter.push(format!("services: {}", f.services.join(", ")));
        }
        if !f.providers.is_empty() {
            filter.push(format!("providers: {}", f.providers.join(", ")));
        }
        if let Some(i) = f.min_impact {
            filter.push(format!("impact ≥ {}", i.as_str()));
        }
        if let Some(o) = f.origin {
            filter.push(format!("origin: {}", o.as_str()));
        }
        if let Some(q) = &f.query {
            filter.push(format!("search: {q}"));
        }
        Self {
            id: s.id.clone(),
            kind: s.kind.as_str(),
            target: s.target.clone(),
            events: s
                .events
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            filter: if filter.is_empty() {
                "every incident".into()
            } else {
                filter.join("; ")
            },
            confirmed: s.confirmed_at.is_some(),
            paused: s.paused_at.map(utc),
        }
    }
}

struct DeliveryView {
    created: String,
    event: String,
    incident_id: String,
    state: String,
    attempts: i32,
    last: String,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        let last = d.log.last().map_or(String::new(), |a| {
            let status = a.status_code.map_or("no answer".into(), |c| c.to_string());
            match &a.error {
                Some(e) => format!("{status}, {e}, {} ms", a.latency_ms),
                None => format!("{status}, {} ms", a.latency_ms),
            }
        });
        Self {
            created: utc(d.created_at),
            event: d.event.clone(),
            incident_id: d.incident_id.clone().unwrap_or_default(),
            state: d.state.clone(),
            attempts: d.attempts,
            last,
        }
    }
}

#[derive(Template)]
#[template(path = "subscriptions.html")]
struct ListPage {
    layout: Layout,
    subs: Vec<SubView>,
    /// A secret just made: shown this once.
    secret: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "subscription.html")]
struct OnePage {
    layout: Layout,
    sub: SubView,
    deliveries: Vec<DeliveryView>,
    notice: Option<String>,
}

/// The signed-in token (the route guard let only a live write session through).
fn signed_in(conn: &mut DbConn, layout_token: Option<String>) -> Result<TokenInfo, DbError> {
    let id = layout_token.ok_or(DbError::NotFound)?;
    tokens::live_by_id(conn, &id)?.ok_or(DbError::NotFound)
}

async fn render_list(
    state: &AppState,
    layout: Layout,
    secret: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let token = layout.token_id.clone();
    let subs = state
        .db_run(move |conn| {
            let owner = api::owner_for(&signed_in(conn, token)?);
            subscriptions::list(conn, owner.as_deref())
        })
        .await;
    match subs {
        Ok(subs) => {
            let page = ListPage {
                layout,
                subs: subs.iter().map(SubView::from).collect(),
                secret,
                error,
            };
            let mut res = html(status, &page);
            res.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(e) => page_error(layout, e),
    }
}

pub async fn list_page(state: web::Data<AppState>, layout: Layout) -> HttpResponse {
    render_list(&state, layout, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    target: String,
    /// Comma-separated service slugs.
    #[serde(default)]
    services: String,
    #[serde(default)]
    min_impact: String,
    #[serde(default)]
    query: String,
    /// Comma-separated event names; all when blank.
    #[serde(default)]
    events: String,
}

fn words(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn given(text: String) -> Option<String> {
    Some(text).filter(|t| !t.trim().is_empty())
}

/// `POST /subscriptions`: makes a subscription; a webhook's secret is shown once.
pub async fn create(
    state: web::Data<AppState>,
    layout: Layout,
    form: web::Form<NewForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let body = NewSubscriptionJson {
        kind: form.kind,
        target: form.target,
        filter: Some(FilterJson {
            services: words(&form.services),
            min_impact: given(form.min_impact),
            query: given(form.query),
            ..FilterJson::default()
        }),
        events: Some(words(&form.events)),
        format: None,
    };
    let (token, private) = (
        layout.token_id.clone(),
        state.config.private_sources.clone(),
    );
    let links = api::links(&state);
    let made = state
        .db_write(move |conn| {
            let owner = signed_in(conn, token)?;
            let new = api::parse_new(body, &owner, &private).map_err(invalid)?;
            api::store_new(conn, &new, &links)
        })
        .await;
    match made {
        Ok(sub) => render_list(&state, layout, sub.secret, None, StatusCode::CREATED).await,
        Err(e @ ApiError::Validation(_)) => {
            let message = e.problem().detail;
            render_list(
                &state,
                layout,
                None,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page_error(layout, e),
    }
}

/// A refused new subscription, carried through the transaction as the store's error.
fn invalid(e: ApiError) -> DbError {
    let message = e.problem().detail;
    DbError::Invalid {
        field: "subscription",
        message,
    }
}

async fn render_one(
    state: &AppState,
    layout: Layout,
    id: String,
    notice: Option<String>,
) -> HttpResponse {
    let token = layout.token_id.clone();
    let found = state
        .db_run(move |conn| {
            let owner = api::owner_for(&signed_in(conn, token)?);
            let sub = subscriptions::get(conn, &id, owner.as_deref())?;
            let list = deliveries::recent(conn, &id, RECENT_DELIVERIES)?;
            Ok((sub, list))
        })
        .await;
    match found {
        Ok((sub, list)) => html(
            StatusCode::OK,
            &OnePage {
                layout,
                sub: SubView::from(&sub),
                deliveries: list.iter().map(DeliveryView::from).collect(),
                notice,
            },
        ),
        Err(e) => page_error(layout, e),
    }
}

pub async fn one_page(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
) -> HttpResponse {
    render_one(&state, layout, id.into_inner(), None).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// What a button does to a subscription the session may see.
enum Action {
    Test,
    Resume,
    Delete,
}

async fn act(
    state: &AppState,
    layout: Layout,
    id: String,
    form: CsrfForm,
    action: Action,
) -> HttpResponse {
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let token = layout.token_id.clone();
    let links = api::links(state);
    let target = id.clone();
    let done = state
        .db_write(move |conn| {
            let owner = api::owner_for(&signed_in(conn, token)?);
            let owner = owner.as_deref();
            match action {
                Action::Test => {
                    api::queue_test(conn, &target, owner, &links).map(|_| "A test event is queued.")
                }
                Action::Resume => subscriptions::resume(conn, &target, owner).map(|_| "Resumed."),
                Action::Delete => subscriptions::delete(conn, &target, owner).map(|()| ""),
            }
        })
        .await;
    match done {
        Ok("") => HttpResponse::SeeOther()
            .insert_header(("Location", "/subscriptions"))
            .finish(),
        Ok(notice) => render_one(state, layout, id, Some(notice.into())).await,
        Err(e) => page_error(layout, e),
    }
}

pub async fn test(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    act(
        &state,
        layout,
        id.into_inner(),
        form.into_inner(),
        Action::Test,
    )
    .await
}

pub async fn resume(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    act(
        &state,
        layout,
        id.into_inner(),
        form.into_inner(),
        Action::Resume,
    )
    .await
}

pub async fn delete(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    act(
        &state,
        layout,
        id.into_inner(),
        form.into_inner(),
        Action::Delete,
    )
    .await
}
