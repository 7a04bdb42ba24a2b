//! `/incidents/{id}/postmortem`: read, preview, edit, diff and regenerate a postmortem.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::forged;
use super::view::utc;
use super::{Layout, error_page, html, page_error};
use crate::db::postmortems::{self, Authorship, Visibility};
use crate::domain::IncidentId;
use crate::http::AppState;
use crate::http::api::incidents::parse_id;
use crate::http::api::postmortems::{latest, validate_markdown};
use crate::http::problem::ApiError;
use crate::markdown::{self, SafeHtml};
use crate::postmortem;

struct RevisionRow {
    revision: i32,
    status: String,
    author: String,
    created_at: String,
    generated: bool,
}

#[derive(Template)]
#[template(path = "postmortem_edit.html")]
struct EditPage {
    layout: Layout,
    id: String,
    title: String,
    revision: i32,
    status: String,
    author: String,
    created_at: String,
    rendered: SafeHtml,
    markdown: String,
    preview_mode: bool,
    error: Option<String>,
    notice: Option<String>,
    diff: Option<(i32, i32, String)>,
    revisions: Vec<RevisionRow>,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    from: Option<i32>,
    to: Option<i32>,
}

/// What the page shows besides the newest revision.
#[derive(Default)]
struct Extra {
    edited: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    diff: Option<(i32, i32)>,
}

async fn render(
    state: &AppState,
    layout: Layout,
    id: IncidentId,
    extra: Extra,
    status: StatusCode,
) -> HttpResponse {
    let (current, warning) = match latest(state, id).await {
        Ok(found) => found,
        Err(ApiError::NotFound(_)) => {
            return error_page(
                layout,
                StatusCode::NOT_FOUND,
                "There is no incident with this id.",
            );
        }
        Err(e) => return page_error(layout, e),
    };
    let diff_wanted = extra.diff;
    let loaded = state
        .db_run(move |conn| {
            let detail = crate::db::incidents::get(conn, id)?;
            let all = postmortems::list(conn, id)?;
            let diff = match diff_wanted {
                Some((a, b)) => Some((
                    postmortems::get(conn, id, a)?,
                    postmortems::get(conn, id, b)?,
                )),
                None => None,
            };
            Ok((detail, all, diff))
        })
        .await;
    let (detail, all, diff) = match loaded {
        Ok(v) => v,
        Err(ApiError::NotFound(_)) => {
            return error_page(layout, StatusCode::NOT_FOUND, "There is no such revision.");
        }
        Err(e) => return page_error(layout, e),
    };
    // Off the event loop, with a deadline.
    let diff = match diff {
        Some((a, b)) => crate::http::blocking(move || {
            let text =
                postmortem::diff(&a, &b).unwrap_or_else(|| postmortem::DIFF_TOO_LARGE.to_string());
            (a.revision, b.revision, text)
        })
        .await
        .ok(),
        None => None,
    };
    let preview_mode = extra.edited.is_some();
    let markdown = extra.edited.unwrap_or_else(|| current.markdown.clone());
    let page = EditPage {
        layout,
        id: id.to_string(),
        title: detail.incident.title.clone(),
        revision: current.revision,
        status: current.status.clone(),
        author: current.author.clone(),
        created_at: utc(current.created_at),
        rendered: markdown::render(postmortem::without_front_matter(&markdown)),
        markdown,
        preview_mode,
        error: extra.error,
        notice: extra.notice.or(warning),
        diff,
        revisions: all
            .into_iter()
            .map(|r| RevisionRow {
                revision: r.revision,
                status: r.status,
                author: r.author,
                created_at: utc(r.created_at),
                generated: r.generated,
            })
            .collect(),
    };
    html(status, &page)
}

pub async fn postmortem_page(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    q: web::Query<DiffQuery>,
) -> HttpResponse {
    let Ok(id) = parse_id(&id) else {
        return error_page(
            layout,
            StatusCode::NOT_FOUND,
            "There is no incident with this id.",
        );
    };
    let diff = match (q.from, q.to) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    render(
        &state,
        layout,
        id,
        Extra {
            diff,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    markdown: String,
    #[serde(default)]
    action: String,
    publish: Option<String>,
}

pub async fn save_postmortem(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<EditForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let Ok(id) = parse_id(&id) else {
        return error_page(
            layout,
            StatusCode::NOT_FOUND,
            "There is no incident with this id.",
        );
    };
    let Some(author) = layout.signed_in.clone() else {
        return HttpResponse::SeeOther()
            .insert_header((
                "Location",
                format!("/signin?next=/incidents/{id}/postmortem"),
            ))
            .finish();
    };
    let markdown = form.markdown.replace("\r\n", "\n");
    if let Err(e) = validate_markdown(&markdown) {
        let extra = Extra {
            edited: Some(markdown),
            error: Some(e.problem().detail),
            ..Default::default()
        };
        return render(&state, layout, id, extra, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if form.action == "preview" {
        return render(
            &state,
            layout,
            id,
            Extra {
                edited: Some(markdown),
                ..Default::default()
            },
            StatusCode::OK,
        )
        .await;
    }
    let publish = form.publish.as_deref() == Some("true");
    match state
        .db_write(move |conn| {
            postmortems::append(
                conn,
                id,
                &markdown,
                &author,
                Visibility::published_if(publish),
                Authorship::Person,
            )
        })
        .await
    {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/incidents/{id}/postmortem")))
            .finish(),
        Err(e) => page_error(layout, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn regenerate(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let Ok(id) = parse_id(&id) else {
        return error_page(
            layout,
            StatusCode::NOT_FOUND,
            "There is no incident with this id.",
        );
    };
    if layout.signed_in.is_none() {
        return HttpResponse::SeeOther()
            .insert_header((
                "Location",
                format!("/signin?next=/incidents/{id}/postmortem"),
            ))
            .finish();
    }
    let dir = state.config.template_dir.clone();
    match state
        .db_write(move |conn| postmortem::regenerate(conn, id, dir.as_deref()))
        .await
    {
        Ok((saved, _, _)) => {
            let from = (saved.revision - 1).max(1);
            HttpResponse::SeeOther()
                .insert_header((
                    "Location",
                    format!(
                        "/incidents/{id}/postmortem?from={from}&to={}",
                        saved.revision
                    ),
                ))
                .finish()
        }
        Err(e) => page_error(layout, e),
    }
}
