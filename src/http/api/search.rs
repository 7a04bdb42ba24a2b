//! `/api/v1/search`: full-text search over every incident, and similar past outages.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::incidents::parse_id;
use crate::http::AppState;
use crate::http::problem::{ApiError, Problem};
use crate::search::{Hit, SearchError, SearchResults, SearchWords, parse_request};

/// How long a `consistent` search waits for the index to catch up at most.
pub const CONSISTENT_WAIT: Duration = Duration::from_secs(5);
pub const DEFAULT_LIMIT: usize = 20;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Terms, "phrases", AND / OR / NOT (or - and +), and field:value for service, provider,
    /// region, component, status and impact. Empty lists everything, newest first.
    #[serde(default)]
    q: String,
    /// A service slug.
    service: Option<String>,
    /// none | minor | major | critical
    impact: Option<String>,
    /// investigating | identified | monitoring | resolved | postmortem
    status: Option<String>,
    /// RFC 3339; incidents that started at or after it.
    since: Option<String>,
    /// RFC 3339; incidents that started before it.
    until: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<usize>,
    /// At most 10,000.
    offset: Option<usize>,
    /// relevance (default with a query) | date (newest first; default without one)
    sort: Option<String>,
    /// Wait (up to 5 s) until every write made before this request is searchable.
    #[serde(default)]
    consistent: bool,
    /// Exact matching: every word required as written, with no relaxing, typo expansion,
    /// product-name aliases or date reading.
    #[serde(default)]
    strict: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitJson {
    pub incident_id: String,
    pub title: String,
    /// BM25 score; 0 when sorted by date.
    pub score: f32,
    pub started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub services: Vec<String>,
    pub impact: String,
    pub status: String,
    /// HTML: the matched passage, escaped, with the matched terms in `<b>`.
    pub snippet: String,
    /// Hits downstream of this one in a cascade (each has an `upstream` link to it), nested
    /// here rather than listed apart, best first. Absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub downstream: Vec<SearchHitJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetCountJson {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsJson {
    pub services: Vec<FacetCountJson>,
    pub providers: Vec<FacetCountJson>,
    pub impact: Vec<FacetCountJson>,
    pub year: Vec<FacetCountJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchJson {
    /// Matching incidents, downstream ones nested in `hits` included.
    pub total: usize,
    /// The results: `limit` and `offset` count these, not the hits nested in them.
    pub hits: Vec<SearchHitJson>,
    pub facets: FacetsJson,
    /// Parts of the query that were not understood and were left out.
    pub warnings: Vec<String>,
    /// False when `consistent` was asked for and the index did not catch up in time.
    pub consistent: bool,
    /// Fewer than 10 incidents had every word: these hits match some of them (about two
    /// thirds).
    pub relaxed: bool,
    /// The query with its misspelt words replaced by the likeliest spelling in the index.
    pub did_you_mean: Option<String>,
    /// Filters read from the query's words (a date became a time filter).
    pub filters_applied: Vec<FilterAppliedJson>,
    /// Stop words left out of the words every hit must have.
    pub dropped_words: Vec<String>,
    /// Words that match no incident, even spelt differently: left out.
    pub unmatched_words: Vec<String>,
    /// Words searched with their synonyms (`alias`) or near spellings (`typo`).
    pub expanded: Vec<ExpansionJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FilterAppliedJson {
    /// `date`
    pub kind: String,
    /// The words of the query that said it.
    pub text: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpansionJson {
    /// The word or name as typed.
    pub word: String,
    /// `alias` | `typo`
    pub kind: String,
    /// What it was searched as, best first.
    pub to: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarJson {
    pub items: Vec<SearchHitJson>,
}

pub fn hit_json(h: &Hit) -> SearchHitJson {
    SearchHitJson {
        incident_id: h.incident_id.clone(),
        title: h.title.clone(),
        score: h.score,
        started_at: h.started_at,
        resolved_at: h.resolved_at,
        services: h.services.clone(),
        impact: h.impact.as_str().to_string(),
        status: h.status.as_str().to_string(),
        snippet: h.snippet_html(),
        downstream: h.downstream.iter().map(hit_json).collect(),
    }
}

fn counts(list: &[(String, u64)]) -> Vec<FacetCountJson> {
    list.iter()
        .map(|(value, count)| FacetCountJson {
            value: value.clone(),
            count: *count,
        })
        .collect()
}

pub fn results_json(r: &SearchResults, consistent: bool) -> SearchJson {
    SearchJson {
        total: r.total,
        hits: r.hits.iter().map(hit_json).collect(),
        facets: FacetsJson {
            services: counts(&r.facets.services),
            providers: counts(&r.facets.providers),
            impact: counts(&r.facets.impact),
            year: counts(&r.facets.year),
        },
        warnings: r.warnings.clone(),
        consistent,
        relaxed: r.relaxed,
        did_you_mean: r.did_you_mean.clone(),
        filters_applied: r
            .filters_applied
            .iter()
            .map(|f| FilterAppliedJson {
                kind: f.kind.to_string(),
                text: f.text.clone(),
                since: f.since,
                until: f.until,
            })
            .collect(),
        dropped_words: r.dropped.clone(),
        unmatched_words: r.plan.unmatched.clone(),
        expanded: r
            .plan
            .concepts
            .iter()
            .filter_map(|c| {
                let (kind, to) = c.expanded.as_ref()?;
                Some(ExpansionJson {
                    word: c.typed.clone(),
                    kind: kind.to_string(),
                    to: to.clone(),
                })
            })
            .collect(),
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::BadRequest(m) => ApiError::BadRequest(m),
            SearchError::NotFound => ApiError::NotFound("the incident is not in the index".into()),
            SearchError::NotReady => ApiError::Unavailable,
            SearchError::Db(db) => db.into(),
            other => ApiError::internal(other),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/search", params(SearchQuery), tag = "search",
    responses((status = 200, body = SearchJson), (status = 400, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
#[tracing::instrument(skip_all, fields(q_chars = query.q.chars().count()))]
pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut request = parse_request(&SearchWords {
        q: &q.q,
        service: q.service.as_deref(),
        impact: q.impact.as_deref(),
        status: q.status.as_deref(),
        since: q.since.as_deref(),
        until: q.until.as_deref(),
        sort: q.sort.as_deref(),
        strict: q.strict,
    })?;
    request.limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    request.offset = q.offset.unwrap_or(0);
    let request = request.validated()?;
    let consistent = if q.consistent {
        state.search.wait_until_consistent(CONSISTENT_WAIT).await?
    } else {
        state.search.wait_until_ready(CONSISTENT_WAIT).await;
        true
    };
    let search = state.search.clone();
    let results = crate::http::blocking(move || search.query(&request)).await??;
    Ok(HttpResponse::Ok().json(results_json(&results, consistent)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SimilarQuery {
    /// 1 to 20, default 5.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/similar", params(("id" = String, Path), SimilarQuery),
    tag = "search", responses((status = 200, body = SimilarJson), (status = 404, body = Problem)))]
pub async fn similar(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<SimilarQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?.to_string();
    let limit = query.limit.unwrap_or(5);
    if !(1..=20).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 20"));
    }
    let search = state.search.clone();
    let hits = crate::http::blocking(move || search.similar(&id, limit)).await??;
    Ok(HttpResponse::Ok().json(SimilarJson {
        items: hits.iter().map(hit_json).collect(),
    }))
}
