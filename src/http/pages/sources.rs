//! `/admin/sources`: every polled source and webhook with its last success and last error, for
//! admins only (webhook addresses carry their secret; `http::routes` asks for the admin scope).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::view::utc;
use super::{Layout, html, page_error};
use crate::db::sources;
use crate::domain::milestones::humanize;
use crate::http::AppState;

struct SourceView {
    kind: String,
    service: String,
    location: String,
    interval: String,
    last_success: String,
    last_error: Option<String>,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    layout: Layout,
    sources: Vec<SourceView>,
}

pub async fn sources_page(state: web::Data<AppState>, layout: Layout) -> HttpResponse {
    if layout.signed_in.is_none() {
        return HttpResponse::SeeOther()
            .insert_header(("Location", "/signin?next=/admin/sources"))
            .finish();
    }
    let rows = match state.db_run(sources::list_configured).await {
        Ok(rows) => rows,
        Err(e) => return page_error(layout, e),
    };
    let when = |t: Option<chrono::NaiveDateTime>| {
        t.map_or_else(|| "never".to_string(), |t| utc(t.and_utc()))
    };
    let sources = rows
        .into_iter()
        .map(|s| SourceView {
            location: match (&s.url, &s.secret) {
                (Some(url), _) => url.clone(),
                (None, Some(secret)) => format!("POST /api/v1/hooks/{}/{secret}", s.id),
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
            kind: s.kind,
            service: s.service_slug.unwrap_or_default(),
        })
        .collect();
    html(StatusCode::OK, &SourcesPage { layout, sources })
}
