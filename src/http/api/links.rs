//! People's decisions on links: confirm or remove the link between two incidents. A decision
//! is kept through every later recomputation of the automatic links.

use actix_web::{HttpResponse, web};

use super::dto::IncidentJson;
use super::incidents::parse_id;
use crate::db::{self, DbError};
use crate::http::AppState;
use crate::http::auth::WriteAccess;
use crate::http::problem::{ApiError, Problem};

fn not_linked(e: ApiError) -> ApiError {
    match e {
        ApiError::NotFound(_) => ApiError::NotFound("these incidents are not linked".into()),
        other => other,
    }
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/links/{other}/confirm", tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Incident id"), ("other" = String, Path, description = "The linked incident's id")),
    responses((status = 200, body = IncidentJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn confirm_link(
    state: web::Data<AppState>,
    access: WriteAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (a, b) = (parse_id(&path.0)?, parse_id(&path.1)?);
    let by = access.author();
    let detail = state
        .db_write(move |conn| {
            db::links::confirm(conn, a, b, &by)?;
            db::incidents::get(conn, a)
        })
        .await
        .map_err(not_linked)?;
    Ok(HttpResponse::Ok().json(IncidentJson::from(&detail)))
}

#[utoipa::path(delete, path = "/api/v1/incidents/{id}/links/{other}", tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Incident id"), ("other" = String, Path, description = "The linked incident's id")),
    responses((status = 200, body = IncidentJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_link(
    state: web::Data<AppState>,
    access: WriteAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (a, b) = (parse_id(&path.0)?, parse_id(&path.1)?);
    let by = access.author();
    let detail = state
        .db_write(move |conn| {
            db::links::remove(conn, a, b, &by)?;
            db::incidents::get(conn, a)
        })
        .await
        .map_err(not_linked)?;
    Ok(HttpResponse::Ok().json(IncidentJson::from(&detail)))
}

/// Used by the page forms, which answer HTML.
pub fn decide(
    conn: &mut db::DbConn,
    a: crate::domain::IncidentId,
    b: crate::domain::IncidentId,
    confirm: bool,
    by: &str,
) -> Result<(), DbError> {
    if confirm {
        db::links::confirm(conn, a, b, by)
    } else {
        db::links::remove(conn, a, b, by)
    }
}
