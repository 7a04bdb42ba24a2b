//! `GET /services/{slug}/feed.atom`: one service's incident history as Atom, the same document
//! as `/feed.atom?service={slug}` (the parent module's rules), at an address a feed reader can
//! be given from the service's page. An unknown service is a 404 problem.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{ATOM, render};
use crate::http::api::statuspage_v2::{self as v2, Which};
use crate::http::origin::origin;
use crate::http::problem::{ApiError, Problem};
use crate::http::{AppState, caching};

#[utoipa::path(get, path = "/services/{slug}/feed.atom", tag = "feeds", operation_id = "service_feed_atom",
    params(("slug" = String, Path, description = "A service slug")),
    responses((status = 200, description = "Atom 1.0 feed of the service's incidents", content_type = "application/atom+xml"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn service_atom(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let loaded = v2::load(&state, Some(slug.clone()), Which::Recent).await?;
    let origin = origin(&req, &state.config);
    let self_path = format!("/services/{slug}/feed.atom");
    let xml = render(&loaded, &origin.base, &origin.host, Some(&slug), &self_path)
        .map_err(ApiError::internal)?;
    Ok(caching::ok(loaded.updated_at).content_type(ATOM).body(xml))
}
