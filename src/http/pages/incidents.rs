//! The start page, the incident list and the incident page (its parts: `views`).

mod views;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::forms::UpdateForm;
use super::maintenances::{Planned, planned};
use super::view::{IncidentItem, utc};
use super::{Layout, error_page, html, page_error};
use crate::db::incidents::{self, Cursor, IncidentFilter};
use crate::domain::link::web_link;
use crate::domain::{IncidentKind, IncidentStatus};
use crate::http::AppState;
use crate::http::api::incidents::parse_id;
pub use views::{EntryView, LinkView, MilestoneView, ServiceView};
use views::{duration_views, link_views, milestone_views, service_views, timeline_view};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    ongoing: Vec<IncidentItem>,
    recent: Vec<IncidentItem>,
    spikes: Vec<SpikeView>,
    planned: Planned,
}

/// A report spike still open.
pub struct SpikeView {
    pub service: String,
    pub since: String,
    pub peak_count: i64,
    pub baseline: String,
    pub incident_id: String,
}

pub async fn home(state: web::Data<AppState>, layout: Layout) -> HttpResponse {
    let result = state
        .db_run(|conn| {
            // What is down and what was: outages only; planned work is listed apart.
            let outages = IncidentFilter {
                kind: Some(IncidentKind::Incident),
                ..Default::default()
            };
            let mut ongoing = Vec::new();
            for status in [
                IncidentStatus::Investigating,
                IncidentStatus::Identified,
                IncidentStatus::Monitoring,
            ] {
                let filter = IncidentFilter {
                    status: Some(status),
                    ..outages.clone()
                };
                ongoing.extend(incidents::list(conn, &filter, 50, None)?.items);
            }
            ongoing.sort_by_key(|i| std::cmp::Reverse(i.milestones.started));
            let recent = incidents::list(conn, &outages, 60, None)?.items;
            let spikes = crate::db::spikes::open_spikes(conn)?;
            let planned = planned(conn, None)?;
            Ok((ongoing, recent, spikes, planned))
        })
        .await;
    match result {
        Ok((ongoing, recent, spikes, planned)) => {
            let spikes = spikes
                .into_iter()
                .map(|s| SpikeView {
                    since: utc(s.onset()),
                    peak_count: s.peak_count,
                    baseline: format!("{:.1}", s.baseline),
                    incident_id: s.incident_id.unwrap_or_default(),
                    service: s.service_slug,
                })
                .collect();
            let recent = recent
                .iter()
                .filter(|i| i.status.is_closed())
                .take(20)
                .map(IncidentItem::from)
                .collect();
            let ongoing = ongoing.iter().map(IncidentItem::from).collect();
            html(
                StatusCode::OK,
                &HomePage {
                    layout,
                    ongoing,
                    recent,
                    spikes,
                    planned,
                },
            )
        }
        Err(e) => page_error(layout, e),
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    layout: Layout,
    items: Vec<IncidentItem>,
    statuses: &'static [&'static str],
    status: String,
    service: String,
    /// `incident`, `maintenance` or `all`, as the API's `kind=` (outages by default).
    kind: &'static str,
    kinds: [(&'static str, &'static str); 3],
    next_href: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    service: Option<String>,
    kind: Option<String>,
    cursor: Option<String>,
}

/// The page's kinds with their labels; an unknown one reads as the first, as none does.
const KINDS: [(&str, &str); 3] = [
    ("incident", "outages"),
    ("maintenance", "maintenances"),
    ("all", "both"),
];

fn kind_of(raw: Option<&str>) -> (&'static str, Option<IncidentKind>) {
    match raw {
        Some("maintenance") => ("maintenance", Some(IncidentKind::Maintenance)),
        Some("all") => ("all", None),
        _ => ("incident", Some(IncidentKind::Incident)),
    }
}

pub async fn list_page(
    state: web::Data<AppState>,
    layout: Layout,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    let status_text = q
        .status
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_default();
    let service = q
        .service
        .clone()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_default();
    let (kind, kind_filter) = kind_of(q.kind.as_deref());
    let filter = IncidentFilter {
        status: status_text.parse().ok(),
        service: (!service.is_empty()).then(|| service.clone()),
        kind: kind_filter,
        ..Default::default()
    };
    let cursor = q.cursor.as_deref().and_then(Cursor::decode);
    match state
        .db_run(move |conn| incidents::list(conn, &filter, 30, cursor.as_ref()))
        .await
    {
        Ok(page) => {
            let next_href = page
                .next_cursor
                .map(|c| next_page(&c, &status_text, &service, kind));
            let items = page.items.iter().map(IncidentItem::from).collect();
            html(
                StatusCode::OK,
                &ListPage {
                    layout,
                    items,
                    statuses: IncidentStatus::NAMES,
                    status: status_text,
                    service,
                    kind,
                    kinds: KINDS,
                    next_href,
                },
            )
        }
        Err(e) => page_error(layout, e),
    }
}

/// The pager's link: the next cursor with the filters that are set.
fn next_page(cursor: &str, status: &str, service: &str, kind: &str) -> String {
    let pairs = [
        ("cursor", cursor),
        ("status", status),
        ("service", service),
        ("kind", kind),
    ];
    let set: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    format!(
        "/incidents?{}",
        serde_urlencoded::to_string(set).unwrap_or_default()
    )
}

#[derive(Template)]
#[template(path = "incident.html")]
pub struct IncidentPage {
    pub layout: Layout,
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub impact: &'static str,
    pub origin: String,
    pub url: Option<String>,
    pub services: Vec<ServiceView>,
    pub milestones: Vec<MilestoneView>,
    pub durations: Vec<(&'static str, String)>,
    pub links: Vec<LinkView>,
    /// Cascade links: what caused this incident and what it caused.
    pub upstream: Vec<LinkView>,
    pub downstream: Vec<LinkView>,
    pub comments: Vec<super::cascade::CommentView>,
    pub has_reports: bool,
    pub timeline: Vec<EntryView>,
    pub statuses: &'static [&'static str],
    pub form: UpdateForm,
    /// The version the update form carries (`edit` module rules).
    pub version: String,
    /// After a conflict: the incident as it now stands, beside the person's update.
    pub theirs: Option<super::edit::UpdateTheirs>,
    pub similar: Vec<super::search::HitView>,
}

/// Builds the incident page; the update form's state comes from the caller (empty, or a rejected post).
pub async fn render_incident(
    state: &AppState,
    layout: Layout,
    raw_id: &str,
    form: UpdateForm,
    status: StatusCode,
) -> HttpResponse {
    let id = match parse_id(raw_id) {
        Ok(id) => id,
        Err(_) => {
            return error_page(
                layout,
                StatusCode::NOT_FOUND,
                "There is no incident with this id.",
            );
        }
    };
    let detail = match state.db_run(move |conn| incidents::get(conn, id)).await {
        Ok(d) => d,
        Err(crate::http::problem::ApiError::NotFound(_)) => {
            return error_page(
                layout,
                StatusCode::NOT_FOUND,
                "There is no incident with this id.",
            );
        }
        Err(e) => return page_error(layout, e),
    };
    let cascade = match state
        .db_run(move |conn| super::cascade::cascade_facts(conn, id))
        .await
    {
        Ok(c) => c,
        Err(e) => return page_error(layout, e),
    };
    let i = &detail.incident;
    let (links, upstream, downstream) = link_views(&detail, &cascade.linked);
    let page = IncidentPage {
        similar: similar_outages(state, i.id.to_string()).await,
        layout,
        id: i.id.to_string(),
        title: i.title.clone(),
        status: i.status.as_str(),
        impact: i.impact.as_str(),
        origin: i.origin.as_str().replace('_', " "),
        url: i.url.as_deref().and_then(web_link),
        services: service_views(&detail.components),
        milestones: milestone_views(&i.milestones),
        durations: duration_views(&i.milestones),
        links,
        upstream,
        downstream,
        comments: cascade.comments,
        has_reports: cascade.has_reports,
        timeline: timeline_view(&detail.timeline),
        statuses: IncidentStatus::NAMES,
        version: match form.version.as_str() {
            v if v.is_empty() || form.conflict => i.version.to_string(),
            v => v.to_string(),
        },
        theirs: form
            .conflict
            .then(|| super::edit::UpdateTheirs::of(&detail)),
        form,
    };
    html(status, &page)
}

pub async fn incident_page(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
) -> HttpResponse {
    render_incident(&state, layout, &id, UpdateForm::default(), StatusCode::OK).await
}

/// Past incidents most like this one; the page goes on without them when the index is not ready.
async fn similar_outages(state: &AppState, id: String) -> Vec<super::search::HitView> {
    let search = state.search.clone();
    match crate::http::blocking(move || search.similar(&id, 5)).await {
        Ok(Ok(hits)) => hits.iter().map(super::search::hit_view).collect(),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "no similar outages shown");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}
