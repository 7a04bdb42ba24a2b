//! `/admin/sources`: every polled source and webhook with its last success and last error, and
//! the forms that add and remove them.
//!
//! Rules: admins only (webhook addresses carry their secret; `http::routes` asks for the admin
//! scope before these handlers run). Every form carries the CSRF token; what a form adds is
//! checked as `aftermath source add` checks it (`domain::source`), and each change writes the
//! audit log with the signed-in token's name.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::forged;
use super::view::utc;
use super::{Layout, html, page_error};
use crate::db::sources::{self, SourceRow};
use crate::domain::ServiceSlug;
use crate::domain::milestones::humanize;
use crate::domain::source::{SourceSpec, WEBHOOK_KIND, parse_interval};
use crate::http::AppState;
use crate::http::problem::ApiError;
use crate::ingest::Format;

struct SourceView {
    id: String,
    kind: String,
    service: String,
    location: String,
    interval: String,
    last_success: String,
    last_error: Option<String>,
}

impl From<SourceRow> for SourceView {
    fn from(s: SourceRow) -> Self {
        let when = |t: Option<chrono::NaiveDateTime>| {
            t.map_or_else(|| "never".to_string(), |t| utc(t.and_utc()))
        };
        Self {
            location: match (&s.url, s.hook_path()) {
                (Some(url), _) => url.clone(),
                (None, Some(path)) => format!("POST {path}"),
                (None, None) => "—".into(),
            },
            interval: s.poll_interval_secs.map_or_else(
                || "on delivery".into(),
                |i| humanize(chrono::Duration::seconds(i64::from(i))),
            ),
            last_success: when(s.last_success_at),
            last_error: s.last_error.map(|e| match s.last_error_at {
                Some(t) => format!(
                    "{e} ({}, {} failure(s) in a row)",
                    utc(t.and_utc()),
                    s.failures
                ),
                None => e,
            }),
            id: s.id,
            kind: s.kind,
            service: s.service_slug.unwrap_or_default(),
        }
    }
}

/// The add form, as typed, with what was wrong.
#[derive(Debug, Default, Deserialize)]
pub struct SourceForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    interval: String,
    #[serde(skip)]
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    layout: Layout,
    sources: Vec<SourceView>,
    kinds: Vec<&'static str>,
    form: SourceForm,
}

fn kinds() -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = Format::ALL.iter().map(|f| f.as_str()).collect();
    kinds.push(WEBHOOK_KIND);
    kinds
}

async fn render(
    state: &AppState,
    layout: Layout,
    form: SourceForm,
    status: StatusCode,
) -> HttpResponse {
    let rows = match state.db_run(sources::list_configured).await {
        Ok(rows) => rows,
        Err(e) => return page_error(layout, e),
    };
    let sources = rows.into_iter().map(SourceView::from).collect();
    let page = SourcesPage {
        layout,
        sources,
        kinds: kinds(),
        form,
    };
    html(status, &page)
}

pub async fn sources_page(state: web::Data<AppState>, layout: Layout) -> HttpResponse {
    let form = SourceForm {
        interval: "5m".into(),
        ..Default::default()
    };
    render(&state, layout, form, StatusCode::OK).await
}

fn parse_form(form: &SourceForm) -> Result<SourceSpec, String> {
    let service = ServiceSlug::parse("service", form.service.trim()).map_err(|e| e.message)?;
    let webhook = form.kind.trim() == WEBHOOK_KIND;
    let interval = match form.interval.trim() {
        "" => None,
        _ if webhook => None,
        text => Some(parse_interval(text)?),
    };
    let url = Some(form.url.trim()).filter(|u| !u.is_empty() && !webhook);
    let formats: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
    SourceSpec::parse(&form.kind, url, service, interval, &formats)
        .map_err(|e| format!("{}: {}", e.field, e.message))
}

/// `POST /admin/sources`: adds a source, then shows the list (with a webhook's address).
pub async fn add_source(
    state: web::Data<AppState>,
    layout: Layout,
    form: web::Form<SourceForm>,
) -> HttpResponse {
    let mut form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let Some(actor) = layout.signed_in.clone() else {
        return forged(layout);
    };
    let checked = parse_form(&form).and_then(|spec| match spec.url.as_deref() {
        Some(url) => {
            crate::jobs::poller::address::check_source_url(url, &state.config.private_sources)
                .map(|()| spec)
        }
        None => Ok(spec),
    });
    let spec = match checked {
        Ok(spec) => spec,
        Err(message) => {
            form.error = Some(message);
            return render(&state, layout, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match state
        .db_write(move |conn| sources::add_by(conn, &actor, &spec))
        .await
    {
        Ok(_) => see_sources(),
        Err(ApiError::Conflict(message)) => {
            form.error = Some(message);
            render(&state, layout, form, StatusCode::CONFLICT).await
        }
        Err(e) => page_error(layout, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /admin/sources/{id}/remove`: no longer polled; a webhook's address stops working.
pub async fn remove_source(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let Some(actor) = layout.signed_in.clone() else {
        return forged(layout);
    };
    let id = id.into_inner();
    match state
        .db_write(move |conn| sources::remove_by(conn, &actor, &id))
        .await
    {
        Ok(_) => see_sources(),
        Err(e) => page_error(layout, e),
    }
}

fn see_sources() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/admin/sources"))
        .finish()
}
