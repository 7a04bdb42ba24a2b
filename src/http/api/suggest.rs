//! `/api/v1/search/suggest`: services, components and incident titles that match what has been
//! typed so far, for the search box (see `static/suggest.js`).
//!
//! Rules: a query over [`MAX_QUERY_CHARS`] is refused like a search; a last word shorter than
//! [`MIN_CHARS`] is answered, with nothing suggested, since the box asks on every keystroke and
//! one letter matches too much to help. The work is bounded (see `search::suggest`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::AppState;
use crate::http::api::search::CONSISTENT_WAIT;
use crate::http::problem::{ApiError, Problem};
use crate::search::query::MAX_QUERY_CHARS;
use crate::search::suggest::{MIN_CHARS, Suggestions};

#[derive(Debug, Deserialize, IntoParams)]
pub struct SuggestQuery {
    /// What has been typed; its last word is matched by prefix (2 characters at least).
    #[serde(default)]
    q: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestJson {
    /// Characters the last word needs before anything is suggested.
    pub min_chars: usize,
    /// Service slugs starting with the last word.
    pub services: Vec<String>,
    /// Component names with a word starting with it.
    pub components: Vec<String>,
    /// Incidents with a title word starting with it, best first.
    pub incidents: Vec<SuggestedIncidentJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedIncidentJson {
    pub incident_id: String,
    pub title: String,
}

fn suggest_json(s: Suggestions) -> SuggestJson {
    SuggestJson {
        min_chars: MIN_CHARS,
        services: s.services,
        components: s.components,
        incidents: s
            .incidents
            .into_iter()
            .map(|(incident_id, title)| SuggestedIncidentJson { incident_id, title })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/search/suggest", params(SuggestQuery), tag = "search",
    responses((status = 200, body = SuggestJson), (status = 400, body = Problem),
        (status = 503, body = Problem)))]
pub async fn suggest(
    state: web::Data<AppState>,
    query: web::Query<SuggestQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner().q;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the query is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    state.search.wait_until_ready(CONSISTENT_WAIT).await;
    let search = state.search.clone();
    let found = crate::http::blocking(move || search.suggest(&q)).await??;
    Ok(HttpResponse::Ok().json(suggest_json(found)))
}
