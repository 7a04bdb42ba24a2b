//! `/search`: a query box, facets as links, snippets, and times as dates and durations.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::search_notice::Notice;
use super::view::{iso, utc};
use super::{Layout, html, page_error};
use crate::domain::milestones::humanize;
use crate::http::AppState;
use crate::search::{Hit, SearchResults};
use crate::search::{SearchWords, parse_request};

const PER_PAGE: usize = 20;

/// The page's own parameters; also what its links are built from.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SearchParams {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    impact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<usize>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    strict: bool,
}

impl SearchParams {
    fn href(&self) -> String {
        format!(
            "/search?{}",
            serde_urlencoded::to_string(self).unwrap_or_default()
        )
    }

    /// The same search with one change, from the first page.
    fn with(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut next = self.clone();
        next.page = None;
        change(&mut next);
        next.href()
    }
}

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub active: bool,
}

pub struct HitView {
    pub id: String,
    pub title: String,
    pub started: String,
    pub started_iso: String,
    pub duration: String,
    pub impact: String,
    pub status: String,
    pub services: Vec<String>,
    pub snippet: Vec<(String, bool)>,
    /// Hits downstream of this one in a cascade, nested under it.
    pub downstream: Vec<HitView>,
    /// "and 4 apps affected downstream", or empty.
    pub downstream_label: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    searched: bool,
    total: usize,
    hits: Vec<HitView>,
    facets: Vec<(&'static str, Vec<FacetLink>)>,
    filters: Vec<(String, String)>,
    warnings: Vec<String>,
    previous_href: Option<String>,
    next_href: Option<String>,
    by_date_href: String,
    by_relevance_href: String,
    sorted_by_date: bool,
    /// "Showing results that match some of your words", and which were dropped or widened.
    notice: Option<Notice>,
    /// The corrected query, and its link.
    did_you_mean: Option<(String, String)>,
}

pub async fn search_page(
    state: web::Data<AppState>,
    layout: Layout,
    params: web::Query<SearchParams>,
) -> HttpResponse {
    let p = params.into_inner();
    let mut request = match parse_request(&SearchWords {
        q: &p.q,
        service: p.service.as_deref(),
        impact: p.impact.as_deref(),
        status: p.status.as_deref(),
        since: p.since.as_deref(),
        until: p.until.as_deref(),
        sort: p.sort.as_deref(),
        strict: p.strict,
    }) {
        Ok(r) => r,
        Err(e) => return page_error(layout, e.into()),
    };
    let page = p.page.unwrap_or(1).max(1);
    request.limit = PER_PAGE;
    request.offset = (page - 1).saturating_mul(PER_PAGE);
    let request = match request.validated() {
        Ok(r) => r,
        Err(e) => return page_error(layout, e.into()),
    };
    state
        .search
        .wait_until_ready(crate::http::api::search::CONSISTENT_WAIT)
        .await;
    let search = state.search.clone();
    let results = match crate::http::blocking(move || search.query(&request)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return page_error(layout, e.into()),
        Err(e) => return page_error(layout, e.into()),
    };
    html(StatusCode::OK, &view(layout, &p, page, &results))
}

fn view(layout: Layout, p: &SearchParams, page: usize, r: &SearchResults) -> SearchPage {
    let mut filters = active_filters(p);
    filters.extend(read_filters(p, r));
    let pages = r.total.div_ceil(PER_PAGE);
    let sorted_by_date =
        p.sort.as_deref() == Some("date") || (p.q.trim().is_empty() && p.sort.is_none());
    let page_href = |n: usize| {
        let mut next = p.clone();
        next.page = Some(n);
        next.href()
    };
    SearchPage {
        layout,
        q: p.q.clone(),
        searched: !p.q.trim().is_empty() || !filters.is_empty(),
        total: r.total,
        hits: r.hits.iter().map(hit_view).collect(),
        facets: facet_groups(p, r),
        filters,
        warnings: r.warnings.clone(),
        previous_href: (page > 1).then(|| page_href(page - 1)),
        next_href: (page < pages).then(|| page_href(page + 1)),
        by_date_href: p.with(|n| n.sort = Some("date".into())),
        by_relevance_href: p.with(|n| n.sort = Some("relevance".into())),
        sorted_by_date,
        notice: super::search_notice::notice(r, &p.with(|n| n.strict = true)),
        did_you_mean: r
            .did_you_mean
            .as_ref()
            .map(|q| (q.clone(), p.with(|n| n.q = q.clone()))),
    }
}

/// Filters read from the query's words (a date), each with a link to the query without them.
fn read_filters(p: &SearchParams, r: &SearchResults) -> Vec<(String, String)> {
    r.filters_applied
        .iter()
        .map(|f| {
            let label = format!(
                "{}: {} ({} to {})",
                f.kind,
                f.text,
                f.since.format("%Y-%m-%d %H:%M"),
                f.until.format("%Y-%m-%d %H:%M")
            );
            let without = super::search_notice::without_words(&p.q, &f.text);
            (label, p.with(|n| n.q = without))
        })
        .collect()
}

/// Links that narrow the search by one facet value each, with their counts.
fn facet_links(
    p: &SearchParams,
    values: &[(String, u64)],
    active: Option<&str>,
    set: fn(&mut SearchParams, String),
) -> Vec<FacetLink> {
    values
        .iter()
        .map(|(value, count)| FacetLink {
            label: value.clone(),
            count: *count,
            active: active == Some(value.as_str()),
            href: p.with(|n| set(n, value.clone())),
        })
        .collect()
}

fn facet_groups(p: &SearchParams, r: &SearchResults) -> Vec<(&'static str, Vec<FacetLink>)> {
    let year_active = p.since.as_deref().and_then(|s| s.get(..4));
    vec![
        (
            "Service",
            facet_links(p, &r.facets.services, p.service.as_deref(), |n, v| {
                n.service = Some(v)
            }),
        ),
        ("Provider", provider_links(p, &r.facets.providers)),
        (
            "Impact",
            facet_links(p, &r.facets.impact, p.impact.as_deref(), |n, v| {
                n.impact = Some(v)
            }),
        ),
        (
            "Year",
            facet_links(p, &r.facets.year, year_active, |n, v| {
                n.since = Some(format!("{v}-01-01T00:00:00Z"));
                n.until = v
                    .parse::<i32>()
                    .ok()
                    .map(|y| format!("{}-01-01T00:00:00Z", y + 1));
            }),
        ),
    ]
}

/// Providers narrow through the query, since the API filters by service.
fn provider_links(p: &SearchParams, providers: &[(String, u64)]) -> Vec<FacetLink> {
    providers
        .iter()
        .map(|(value, count)| FacetLink {
            label: value.clone(),
            count: *count,
            active: p.q.contains(&format!("provider:{value}")),
            href: p.with(|n| n.q = format!("{} provider:{value}", n.q).trim().to_string()),
        })
        .collect()
}

/// The filters in force, each with a link that clears it.
fn active_filters(p: &SearchParams) -> Vec<(String, String)> {
    let mut filters = Vec::new();
    for (name, value, clear) in [
        (
            "service",
            &p.service,
            (|n: &mut SearchParams| n.service = None) as fn(&mut SearchParams),
        ),
        ("impact", &p.impact, |n| n.impact = None),
        ("status", &p.status, |n| n.status = None),
        ("since", &p.since, |n| n.since = None),
        ("until", &p.until, |n| n.until = None),
    ] {
        if let Some(v) = value {
            filters.push((format!("{name}: {v}"), p.with(clear)));
        }
    }
    filters
}

pub fn hit_view(h: &Hit) -> HitView {
    HitView {
        id: h.incident_id.clone(),
        title: h.title.clone(),
        started: h.started_at.map(utc).unwrap_or_default(),
        started_iso: h.started_at.map(iso).unwrap_or_default(),
        duration: match (h.started_at, h.resolved_at) {
            (Some(s), Some(r)) if r >= s => format!("lasted {}", humanize(r - s)),
            (Some(_), Some(_)) => String::new(),
            _ => "ongoing".into(),
        },
        impact: h.impact.as_str().to_string(),
        status: h.status.as_str().to_string(),
        services: h.services.clone(),
        snippet: h.snippet.clone(),
        downstream: h.downstream.iter().map(hit_view).collect(),
        downstream_label: match h.downstream.len() {
            0 => String::new(),
            1 => "and 1 app affected downstream".into(),
            n => format!("and {n} apps affected downstream"),
        },
    }
}
