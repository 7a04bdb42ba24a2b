//! The incident edit form (title, status, impact) and what both incident forms do when someone
//! else changed the incident since the form was opened.
//!
//! Rules:
//! - Each form carries the incident's version it was rendered from (a hidden `version` field).
//!   A post is applied only while the incident is still at that version, checked under the row
//!   lock in the write's transaction (`db::versions`); a form without one applies as the API
//!   does without `If-Match`.
//! - A stale post changes nothing. The form comes back (409) with what the person sent, a
//!   notice that someone changed the incident since they opened it, the incident's current
//!   value beside each field where it differs from theirs, and the current version: sending it
//!   again applies theirs.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::forms::{field_errors, to_signin};
use super::session::forged;
use super::{Layout, error_page, html, page_error};
use crate::db::incidents::{self, IncidentDetail};
use crate::domain::{Impact, IncidentId, IncidentStatus, Precondition};
use crate::http::AppState;
use crate::http::api::incidents::{PatchIncident, apply_patch, parse_id, validate_patch};
use crate::http::problem::ApiError;

/// What a form's hidden `version` field asks of the incident.
pub fn expected(version: &str) -> Precondition {
    match version.trim().parse::<i64>() {
        Ok(v) => Precondition::OneOf(vec![v]),
        Err(_) => Precondition::Any,
    }
}

/// A field of a stale form whose current value differs from what the person sent.
pub fn differs(now: &str, sent: &str) -> Option<String> {
    (now != sent).then(|| now.to_string())
}

#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub impact: String,
}

/// The incident's current values, beside the fields where they differ from the person's.
#[derive(Debug, Default)]
pub struct Theirs {
    pub title: Option<String>,
    pub status: Option<String>,
    pub impact: Option<String>,
}

#[derive(Template)]
#[template(path = "edit_incident.html")]
struct EditPage {
    layout: Layout,
    id: String,
    /// The version the form carries: the one it was opened at, or after a conflict the
    /// incident's current one (the person has now seen it).
    version: String,
    form: EditForm,
    errors: HashMap<String, String>,
    conflict: bool,
    theirs: Theirs,
    statuses: &'static [&'static str],
    impacts: &'static [&'static str],
}

/// Why the form is shown again, if it is.
enum Again {
    /// Opened afresh: the incident's values and version.
    Fresh,
    /// Refused for these field errors: as sent, at the version it was opened at.
    Invalid(HashMap<String, String>),
    /// The incident changed since the form was opened.
    Stale,
}

fn edit_page(
    layout: Layout,
    detail: &IncidentDetail,
    form: EditForm,
    again: Again,
) -> HttpResponse {
    let i = &detail.incident;
    let (status, version, errors, theirs) = match again {
        Again::Fresh => (
            StatusCode::OK,
            i.version.to_string(),
            HashMap::new(),
            Theirs::default(),
        ),
        Again::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            form.version.clone(),
            errors,
            Theirs::default(),
        ),
        Again::Stale => {
            let theirs = Theirs {
                title: differs(&i.title, &form.title),
                status: differs(i.status.as_str(), &form.status),
                impact: differs(i.impact.as_str(), &form.impact),
            };
            (
                StatusCode::CONFLICT,
                i.version.to_string(),
                HashMap::new(),
                theirs,
            )
        }
    };
    let page = EditPage {
        layout,
        id: i.id.to_string(),
        version,
        form,
        errors,
        conflict: status == StatusCode::CONFLICT,
        theirs,
        statuses: IncidentStatus::NAMES,
        impacts: Impact::NAMES,
    };
    html(status, &page)
}

async fn load(state: &AppState, id: IncidentId) -> Result<IncidentDetail, ApiError> {
    state.db_run(move |conn| incidents::get(conn, id)).await
}

fn no_incident(layout: Layout) -> HttpResponse {
    error_page(
        layout,
        StatusCode::NOT_FOUND,
        "There is no incident with this id.",
    )
}

pub async fn edit_form(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
) -> HttpResponse {
    let Ok(id) = parse_id(&id) else {
        return no_incident(layout);
    };
    match load(&state, id).await {
        Ok(detail) => {
            let i = &detail.incident;
            let form = EditForm {
                title: i.title.clone(),
                status: i.status.as_str().into(),
                impact: i.impact.as_str().into(),
                ..Default::default()
            };
            edit_page(layout, &detail, form, Again::Fresh)
        }
        Err(ApiError::NotFound(_)) => no_incident(layout),
        Err(e) => page_error(layout, e),
    }
}

pub async fn save_edit(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<EditForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    if layout.signed_in.is_none() {
        return to_signin(&format!("/incidents/{id}/edit"));
    }
    let Ok(id) = parse_id(&id) else {
        return no_incident(layout);
    };
    let request =
        PatchIncident::from_form(form.title.clone(), form.status.clone(), form.impact.clone());
    let patch = match validate_patch(request) {
        Ok(patch) => patch,
        Err(e) => return rejected(&state, layout, id, form, e).await,
    };
    let expected = expected(&form.version);
    match state
        .db_write_retrying(move |conn| apply_patch(conn, id, &patch, &expected))
        .await
    {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/incidents/{id}")))
            .finish(),
        Err(e) => rejected(&state, layout, id, form, e).await,
    }
}

/// The form again after a refused post: with its field errors, or, when the incident changed
/// since it was opened, beside the incident's current values. Anything else is an error page.
async fn rejected(
    state: &AppState,
    layout: Layout,
    id: IncidentId,
    form: EditForm,
    e: ApiError,
) -> HttpResponse {
    let again = match (&e, field_errors(&e)) {
        (ApiError::PreconditionFailed { .. }, _) => Again::Stale,
        (_, Some(errors)) => Again::Invalid(errors),
        (ApiError::NotFound(_), None) => return no_incident(layout),
        (_, None) => return page_error(layout, e),
    };
    match load(state, id).await {
        Ok(detail) => edit_page(layout, &detail, form, again),
        Err(e) => page_error(layout, e),
    }
}

/// What the update form shows beside the person's update when the incident changed since the
/// page was opened: where the incident stands now and its newest entry.
pub struct UpdateTheirs {
    pub status: &'static str,
    pub latest_at: String,
    pub latest_source: String,
    pub latest_body: crate::markdown::SafeHtml,
}

impl UpdateTheirs {
    pub fn of(detail: &IncidentDetail) -> Self {
        let latest = detail.timeline.iter().max_by_key(|e| e.recorded_at);
        Self {
            status: detail.incident.status.as_str(),
            latest_at: latest
                .map(|e| super::view::utc(e.occurred_at))
                .unwrap_or_default(),
            latest_source: latest.map(|e| e.source.clone()).unwrap_or_default(),
            latest_body: crate::markdown::render(latest.map_or("", |e| e.body.as_str())),
        }
    }
}
