//! `GET /api/v1/incidents`: a page of incidents, newest first, filtered.
//!
//! Rules: every filter is checked and all bad ones are named in one 422; `kind` defaults to
//! `incident`, so a list of outages (and what counts them) never holds planned maintenances
//! unless asked with `kind=maintenance` or `kind=all`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::super::dto::{IncidentJson, IncidentListJson};
use super::super::parse::Fields;
use crate::db::incidents::{self, Cursor, IncidentFilter};
use crate::domain::{IncidentKind, IncidentStatus, ServiceSlug, ValidationError};
use crate::http::AppState;
use crate::http::problem::{ApiError, Problem};

pub const MAX_PAGE: i64 = 200;
pub const DEFAULT_PAGE: i64 = 50;

/// The kinds `kind=` takes, `all` being both.
pub const KINDS: [&str; 3] = ["incident", "maintenance", "all"];

fn kind_filter(f: &mut Fields, raw: Option<&str>) -> Option<IncidentKind> {
    match raw {
        None => Some(IncidentKind::Incident),
        Some("all") => None,
        Some(word) => f.check(word.parse::<IncidentKind>().map_err(|_| {
            ValidationError::new("kind", format!("must be one of {}", KINDS.join(", ")))
        })),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// investigating | identified | monitoring | resolved | postmortem
    status: Option<String>,
    /// A service slug.
    service: Option<String>,
    /// RFC 3339; incidents that started at or after it.
    since: Option<String>,
    /// RFC 3339; incidents that started before it.
    until: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `incident` (the default: outages only, as Statuspage's `incidents.json`), `maintenance`
    /// (scheduled work only) or `all`.
    kind: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/incidents", params(ListQuery), tag = "incidents",
    responses((status = 200, body = IncidentListJson), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn list_incidents(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut f = Fields::default();
    let filter = IncidentFilter {
        status: f.enumerated::<IncidentStatus>("status", q.status.as_deref()),
        // A slug like every service field, so the document's pattern is the rule.
        service: q
            .service
            .as_deref()
            .and_then(|s| f.check(ServiceSlug::parse("service", s)))
            .map(|s| s.as_str().to_string()),
        since: f.time("since", q.since.as_deref()),
        until: f.time("until", q.until.as_deref()),
        kind: kind_filter(&mut f, q.kind.as_deref()),
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        f.errors.push(ValidationError::new(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let cursor = match q.cursor.as_deref() {
        Some(raw) => match Cursor::decode(raw) {
            Some(c) => Some(c),
            None => {
                f.errors.push(ValidationError::new(
                    "cursor",
                    "is not a cursor this API returned",
                ));
                None
            }
        },
        None => None,
    };
    f.finish()?;
    let page = state
        .db_run(move |conn| incidents::list(conn, &filter, limit, cursor.as_ref()))
        .await?;
    Ok(HttpResponse::Ok().json(IncidentListJson {
        items: page.items.iter().map(IncidentJson::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
