//! `/api/v1/incidents/{id}/postmortem`: the draft (generated on first request), new revisions,
//! and the revision list; `/incidents/{id}/postmortem.md|.html` downloads.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::rfc3339;
use super::incidents::parse_id;
use crate::db::postmortems::{self, Authorship, Revision, Visibility};
use crate::domain::IncidentId;
use crate::http::AppState;
use crate::http::auth::WriteAccess;
use crate::http::problem::{ApiError, Problem};
use crate::postmortem;

/// Large enough for a postmortem of a 10,000-entry incident.
pub const MARKDOWN_MAX_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct PostmortemJson {
    incident_id: String,
    revision: i32,
    /// `draft` or `published`.
    status: String,
    markdown: String,
    author: String,
    created_at: String,
    /// Written by the generator, not a person.
    generated: bool,
    /// Why a template override was not used, when it was not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

fn to_json(r: Revision, warning: Option<String>) -> PostmortemJson {
    PostmortemJson {
        incident_id: r.incident_id.to_string(),
        revision: r.revision,
        status: r.status,
        markdown: r.markdown,
        author: r.author,
        created_at: rfc3339(r.created_at),
        generated: r.generated,
        warnings: warning.into_iter().collect(),
    }
}

fn not_found(id: IncidentId) -> impl Fn(ApiError) -> ApiError {
    move |e| match e {
        ApiError::NotFound(_) => ApiError::NotFound(format!("no incident with id {id}")),
        other => other,
    }
}

/// The newest revision, drafting revision 1 first when there is none.
pub async fn latest(
    state: &AppState,
    id: IncidentId,
) -> Result<(Revision, Option<String>), ApiError> {
    // Reading a postmortem that exists takes no write lock: only the first read, which
    // drafts and stores revision 1, writes.
    let found = state
        .db_run(move |conn| crate::db::postmortems::latest(conn, id))
        .await
        .map_err(not_found(id))?;
    if let Some(revision) = found {
        return Ok((revision, None));
    }
    let dir = state.config.template_dir.clone();
    state
        .db_write(move |conn| postmortem::latest_or_draft(conn, id, dir.as_deref()))
        .await
        .map_err(not_found(id))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/postmortem", tag = "postmortems",
    params(("id" = String, Path, description = "Incident id (UUID)")),
    responses((status = 200, body = PostmortemJson), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn get_postmortem(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let (revision, warning) = latest(&state, id).await?;
    Ok(HttpResponse::Ok().json(to_json(revision, warning)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "markdown": "# Elevated API errors\n\n## Summary\n\nA faulty deploy raised error rates for 42 minutes.\n",
    "publish": false
})))]
pub struct SavePostmortem {
    markdown: String,
    /// Marks this revision final.
    #[serde(default)]
    publish: bool,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/postmortem", tag = "postmortems", security(("bearer" = [])),
    request_body = SavePostmortem, params(("id" = String, Path, description = "Incident id (UUID)")),
    responses((status = 201, body = PostmortemJson), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(id = %id.as_str()))]
pub async fn save_postmortem(
    state: web::Data<AppState>,
    access: WriteAccess,
    id: web::Path<String>,
    body: web::Json<SavePostmortem>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let SavePostmortem { markdown, publish } = body.into_inner();
    validate_markdown(&markdown)?;
    let author = access.author();
    let saved = state
        .db_write(move |conn| {
            crate::db::incidents::get(conn, id)?;
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
        .map_err(not_found(id))?;
    Ok(HttpResponse::Created().json(to_json(saved, None)))
}

pub fn validate_markdown(markdown: &str) -> Result<(), ApiError> {
    if markdown.trim().is_empty() {
        return Err(ApiError::field("markdown", "must not be empty"));
    }
    if markdown.len() > MARKDOWN_MAX_BYTES {
        return Err(ApiError::field(
            "markdown",
            format!("must be at most {MARKDOWN_MAX_BYTES} bytes"),
        ));
    }
    if markdown
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::field(
            "markdown",
            "must not contain control characters",
        ));
    }
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionListJson {
    items: Vec<PostmortemJson>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/postmortem/revisions", tag = "postmortems",
    params(("id" = String, Path, description = "Incident id (UUID)")),
    responses((status = 200, body = RevisionListJson), (status = 404, body = Problem)))]
pub async fn list_revisions(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let items = state
        .db_run(move |conn| {
            crate::db::incidents::get(conn, id)?;
            postmortems::list(conn, id)
        })
        .await
        .map_err(not_found(id))?;
    Ok(HttpResponse::Ok().json(RevisionListJson {
        items: items.into_iter().map(|r| to_json(r, None)).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    from: i32,
    to: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffJson {
    from: i32,
    to: i32,
    /// A unified diff of the two Markdown texts.
    diff: String,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/postmortem/diff", tag = "postmortems",
    params(("id" = String, Path, description = "Incident id (UUID)"), DiffQuery),
    responses((status = 200, body = DiffJson), (status = 404, body = Problem)))]
pub async fn diff_revisions(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<DiffQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let DiffQuery { from, to } = q.into_inner();
    let (a, b) = state
        .db_run(move |conn| {
            Ok((
                postmortems::get(conn, id, from)?,
                postmortems::get(conn, id, to)?,
            ))
        })
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => {
                ApiError::NotFound(format!("incident {id} has no revision {from} or {to}"))
            }
            other => other,
        })?;
    let diff = crate::http::blocking(move || postmortem::diff(&a, &b))
        .await?
        .ok_or_else(|| ApiError::field("to", postmortem::DIFF_TOO_LARGE))?;
    Ok(HttpResponse::Ok().json(DiffJson { from, to, diff }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegeneratedJson {
    #[serde(flatten)]
    revision: PostmortemJson,
    /// What the new draft changed against the revision before it, as a unified diff.
    changes: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/postmortem/regenerate", tag = "postmortems",
    security(("bearer" = [])), params(("id" = String, Path, description = "Incident id (UUID)")),
    responses((status = 201, body = RegeneratedJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn regenerate(
    state: web::Data<AppState>,
    _access: WriteAccess,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let dir = state.config.template_dir.clone();
    let (revision, changes, warning) = state
        .db_write(move |conn| postmortem::regenerate(conn, id, dir.as_deref()))
        .await
        .map_err(not_found(id))?;
    Ok(HttpResponse::Created().json(RegeneratedJson {
        revision: to_json(revision, warning),
        changes,
    }))
}

/// `GET /incidents/{id}/postmortem.md`: the newest revision as a download.
pub async fn download_markdown(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let (revision, _) = latest(&state, id).await?;
    let detail = state
        .db_run(move |conn| crate::db::incidents::get(conn, id))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}\"",
                postmortem::file_name(&detail, "md")
            ),
        ))
        .body(revision.markdown))
}

/// `GET /incidents/{id}/postmortem.html`: a standalone page with a print stylesheet.
pub async fn download_html(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let (revision, _) = latest(&state, id).await?;
    let detail = state
        .db_run(move |conn| crate::db::incidents::get(conn, id))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", postmortem::standalone_csp()))
        .body(postmortem::standalone_html(
            &format!("Postmortem: {}", detail.incident.title),
            &revision.markdown,
        )))
}
