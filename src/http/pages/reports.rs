//! The public "is it down?" form. It shares the API's validation, rate limit and group-commit
//! intake, carries the session's CSRF token like every form, and has a honeypot field: a post
//! that fills it is answered as accepted and dropped.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::forged;
use super::{Layout, html, page_error};
use crate::db::services;
use crate::domain::report::{ReportFields, SYMPTOMS};
use crate::http::AppState;
use crate::http::api::reports::{ReportsState, accept_public};
use crate::http::problem::ApiError;

#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    symptom: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    country: String,
    /// The honeypot: hidden from people, filled in by naive bots.
    #[serde(default)]
    website: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    layout: Layout,
    services: Vec<(String, String)>,
    symptoms: &'static [&'static str],
    form: ReportForm,
    errors: HashMap<String, String>,
    done: bool,
    counted: bool,
}

async fn render(
    state: &AppState,
    layout: Layout,
    form: ReportForm,
    errors: HashMap<String, String>,
    outcome: Option<bool>,
    status: StatusCode,
) -> HttpResponse {
    match state.db_run(services::list).await {
        Ok(list) => html(
            status,
            &ReportPage {
                layout,
                services: list
                    .into_iter()
                    .map(|s| (s.slug.to_string(), s.name))
                    .collect(),
                symptoms: SYMPTOMS,
                form,
                errors,
                done: outcome.is_some(),
                counted: outcome.unwrap_or(false),
            },
        ),
        Err(e) => page_error(layout, e),
    }
}

pub async fn report_form(state: web::Data<AppState>, layout: Layout) -> HttpResponse {
    let form = ReportForm {
        symptom: "outage".into(),
        ..Default::default()
    };
    render(&state, layout, form, HashMap::new(), None, StatusCode::OK).await
}

pub async fn file_report(
    state: web::Data<AppState>,
    reports: web::Data<ReportsState>,
    layout: Layout,
    req: HttpRequest,
    form: web::Form<ReportForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    if !form.website.is_empty() {
        // Looks accepted, so the bot learns nothing; nothing is stored.
        return render(
            &state,
            layout,
            form,
            HashMap::new(),
            Some(true),
            StatusCode::ACCEPTED,
        )
        .await;
    }
    let fields = ReportFields {
        service: &form.service,
        symptom: Some(form.symptom.as_str()),
        comment: Some(form.comment.as_str()),
        country: Some(form.country.as_str()),
    };
    match accept_public(&state, &reports, &req, fields).await {
        Ok(accepted) => {
            let kept = ReportForm {
                service: form.service,
                symptom: form.symptom,
                ..Default::default()
            };
            render(
                &state,
                layout,
                kept,
                HashMap::new(),
                Some(accepted.counted),
                StatusCode::ACCEPTED,
            )
            .await
        }
        Err(ApiError::Validation(errors)) => {
            let errors = errors.into_iter().map(|e| (e.field, e.message)).collect();
            render(
                &state,
                layout,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page_error(layout, e),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /incidents/{id}/links/{other}/{confirm|remove}` from the incident page (signed in).
pub async fn decide_link(
    state: web::Data<AppState>,
    layout: Layout,
    path: web::Path<(String, String, String)>,
    form: web::Form<DecisionForm>,
) -> HttpResponse {
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let (a, b, action) = path.into_inner();
    let Some(by) = layout.signed_in.clone() else {
        return HttpResponse::SeeOther()
            .insert_header(("Location", format!("/signin?next=/incidents/{a}")))
            .finish();
    };
    let confirm = match action.as_str() {
        "confirm" => true,
        "remove" => false,
        _ => return super::error_page(layout, StatusCode::NOT_FOUND, "There is no page here."),
    };
    let ids = crate::http::api::incidents::parse_id(&a)
        .and_then(|a| crate::http::api::incidents::parse_id(&b).map(|b| (a, b)));
    let Ok((ia, ib)) = ids else {
        return super::error_page(
            layout,
            StatusCode::NOT_FOUND,
            "There is no incident with this id.",
        );
    };
    match state
        .db_write(move |conn| crate::http::api::links::decide(conn, ia, ib, confirm, &by))
        .await
    {
        Ok(()) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/incidents/{ia}")))
            .finish(),
        Err(ApiError::NotFound(_)) => super::error_page(
            layout,
            StatusCode::NOT_FOUND,
            "These incidents are not linked.",
        ),
        Err(e) => page_error(layout, e),
    }
}
