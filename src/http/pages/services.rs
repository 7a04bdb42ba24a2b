//! The service page: what it is, what it depends on, and its incident history.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::maintenances::{Planned, planned};
use super::view::IncidentItem;
use super::{Layout, error_page, html, page_error};
use crate::db::incidents::{self, IncidentFilter};
use crate::db::services;
use crate::http::AppState;
use crate::http::problem::ApiError;

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    layout: Layout,
    slug: String,
    name: String,
    kind: &'static str,
    provider: Option<String>,
    region: Option<String>,
    status_page_url: Option<String>,
    depends_on: Vec<String>,
    dependents: Vec<String>,
    items: Vec<IncidentItem>,
    planned: Planned,
}

pub async fn service_page(
    state: web::Data<AppState>,
    layout: Layout,
    slug: web::Path<String>,
) -> HttpResponse {
    let slug = slug.into_inner();
    let result = state
        .db_run(move |conn| {
            let service = services::get(conn, &slug)?;
            let dependents: Vec<String> = services::list(conn)?
                .into_iter()
                .filter(|s| s.depends_on.contains(&service.slug))
                .map(|s| s.slug.to_string())
                .collect();
            let filter = IncidentFilter {
                service: Some(slug.clone()),
                ..Default::default()
            };
            // History holds planned work too, marked as such, as Statuspage's history does.
            let history = incidents::list(conn, &filter, 50, None)?.items;
            let planned = planned(conn, Some(&slug))?;
            Ok((service, dependents, history, planned))
        })
        .await;
    match result {
        Ok((s, dependents, history, planned)) => html(
            StatusCode::OK,
            &ServicePage {
                layout,
                slug: s.slug.to_string(),
                name: s.name,
                kind: s.kind.as_str(),
                provider: s.provider,
                region: s.region,
                // Checked again: a link stored by an older version must not reach an href.
                status_page_url: s
                    .status_page_url
                    .as_deref()
                    .and_then(crate::domain::link::web_link),
                depends_on: s.depends_on.iter().map(ToString::to_string).collect(),
                dependents,
                items: history.iter().map(IncidentItem::from).collect(),
                planned,
            },
        ),
        Err(ApiError::NotFound(_)) => error_page(
            layout,
            StatusCode::NOT_FOUND,
            "There is no service with this name.",
        ),
        Err(e) => page_error(layout, e),
    }
}
