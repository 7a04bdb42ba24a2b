//! The forms a signed-in person files incidents with. They share the JSON API's validation and
//! show its field errors next to the fields; every post checks the session's CSRF token first.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::incidents::render_incident;
use super::session::forged;
use super::{Layout, html, page_error};
use crate::db::{incidents, services, timeline};
use crate::domain::{Impact, IncidentStatus};
use crate::http::AppState;
use crate::http::api::incidents::{
    CreateIncident, PostUpdate, parse_id, validate_new_incident, validate_update,
};
use crate::http::problem::ApiError;

pub fn field_errors(e: &ApiError) -> Option<HashMap<String, String>> {
    match e {
        ApiError::Validation(errors) => Some(
            errors
                .iter()
                .map(|f| (f.field.clone(), f.message.clone()))
                .collect(),
        ),
        _ => None,
    }
}

pub fn to_signin(next: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/signin?next={next}")))
        .finish()
}

#[derive(Debug, Default, Deserialize)]
pub struct IncidentForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub services: String,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub body: String,
    #[serde(skip)]
    pub errors: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "new_incident.html")]
struct NewIncidentPage {
    layout: Layout,
    form: IncidentForm,
    known_services: Vec<String>,
    statuses: &'static [&'static str],
    impacts: &'static [&'static str],
}

async fn new_incident_page(
    state: &AppState,
    layout: Layout,
    form: IncidentForm,
    status: StatusCode,
) -> HttpResponse {
    let known = state
        .db_run(services::list)
        .await
        .map(|l| l.iter().map(|s| s.slug.to_string()).collect());
    match known {
        Ok(known_services) => html(
            status,
            &NewIncidentPage {
                layout,
                form,
                known_services,
                statuses: IncidentStatus::NAMES,
                impacts: Impact::NAMES,
            },
        ),
        Err(e) => page_error(layout, e),
    }
}

pub async fn new_incident_form(state: web::Data<AppState>, layout: Layout) -> HttpResponse {
    if layout.signed_in.is_none() {
        return to_signin("/incidents/new");
    }
    let form = IncidentForm {
        impact: "minor".into(),
        status: "investigating".into(),
        ..Default::default()
    };
    new_incident_page(&state, layout, form, StatusCode::OK).await
}

pub async fn create_incident(
    state: web::Data<AppState>,
    layout: Layout,
    form: web::Form<IncidentForm>,
) -> HttpResponse {
    let mut form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let Some(author) = layout.signed_in.clone() else {
        return to_signin("/incidents/new");
    };
    let services: Vec<String> = form
        .services
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let request = CreateIncident::from_form(
        form.title.clone(),
        services,
        form.status.clone(),
        form.impact.clone(),
        form.body.clone(),
    );
    let new = match validate_new_incident(request, author) {
        Ok(new) => new,
        Err(e) => {
            let Some(errors) = field_errors(&e) else {
                return page_error(layout, e);
            };
            form.errors = errors;
            return new_incident_page(&state, layout, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match state
        .db_write(move |conn| incidents::create(conn, &new))
        .await
    {
        Ok(id) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/incidents/{id}")))
            .finish(),
        Err(e) => page_error(layout, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    pub csrf_token: String,
    /// The incident's version the page was rendered from (`edit` module rules).
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub body: String,
    #[serde(skip)]
    pub errors: HashMap<String, String>,
    /// The incident changed since the page was opened: nothing was posted.
    #[serde(skip)]
    pub conflict: bool,
}

pub async fn post_update(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<UpdateForm>,
) -> HttpResponse {
    let mut form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let Some(author) = layout.signed_in.clone() else {
        return to_signin(&format!("/incidents/{id}"));
    };
    let Ok(incident) = parse_id(&id) else {
        return super::error_page(
            layout,
            StatusCode::NOT_FOUND,
            "There is no incident with this id.",
        );
    };
    let status = Some(form.status.clone()).filter(|s| !s.is_empty());
    let update = match validate_update(PostUpdate::from_form(form.body.clone(), status), author) {
        Ok(u) => u,
        Err(e) => {
            let Some(errors) = field_errors(&e) else {
                return page_error(layout, e);
            };
            form.errors = errors;
            return render_incident(&state, layout, &id, form, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let expected = super::edit::expected(&form.version);
    match state
        .db_write_retrying(move |conn| timeline::add_update(conn, incident, &update, &expected))
        .await
    {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/incidents/{incident}")))
            .finish(),
        Err(ApiError::PreconditionFailed { .. }) => {
            form.conflict = true;
            render_incident(&state, layout, &id, form, StatusCode::CONFLICT).await
        }
        Err(ApiError::NotFound(_)) => super::error_page(
            layout,
            StatusCode::NOT_FOUND,
            "There is no incident with this id.",
        ),
        Err(e) => page_error(layout, e),
    }
}
