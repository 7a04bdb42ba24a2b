//! Running a search: read the query (`understand`), search a plain one as people type it
//! (`plain`) or parse one with syntax leniently, filter, collect hits, the total and facet
//! counts in one pass, and cut snippets from the stored text.
//!
//! Rules: a query never fails because of its syntax (tantivy's lenient parser keeps what it can
//! and the rest comes back as warnings); only limits that protect the server (length, page depth)
//! are refused, with a clear message.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Term};
use tantivy::{DocAddress, Order, Searcher};

use super::cascade;
use super::document::to_tantivy;
use super::facet_counts::FacetCounter;
pub use super::hit::Hit;
use super::plain::Plan;
use super::understand;
use super::{Live, SearchError};
use crate::domain::{Impact, IncidentStatus};

pub const MAX_QUERY_CHARS: usize = 1000;
/// The service names of the incidents linked to a hit ("Nimbus Cloud" on Snapgram's outage)
/// say less about it than its own words: they count half as much as its body.
pub const CASCADE_BOOST: f32 = 0.5;
/// Components name what broke ("Git Operations", "Amazon Elastic Compute Cloud (N. Virginia)"),
/// often where the posts only say "increased error rates": a hit whose component has the words
/// is about them more surely than one whose title has them (2.0), whatever the kind of query
/// (1.5 before 2026-12-08; 3.0 lifted the judged queries' nDCG@10 from 0.842 to 0.853).
pub const COMPONENT_BOOST: f32 = 3.0;
pub const MAX_LIMIT: usize = 100;
/// Deeper pages cost more than they are worth; people refine the query instead.
pub const MAX_OFFSET: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// By score; the default when there is a query.
    #[default]
    Relevance,
    /// Newest first; the default with no query.
    Date,
}

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    pub service: Option<String>,
    pub impact: Option<Impact>,
    pub status: Option<IncidentStatus>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: usize,
    pub offset: usize,
    pub sort: Option<Sort>,
    /// Exact matching: no relaxing, typo expansion, aliases or date reading.
    pub strict: bool,
    /// The clock for dates such as "yesterday"; the real one when `None`.
    pub now: Option<DateTime<Utc>>,
    /// Every hit as its own result, none nested under the cascade it belongs to.
    pub flat: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    pub services: Vec<(String, u64)>,
    pub providers: Vec<(String, u64)>,
    pub impact: Vec<(String, u64)>,
    pub year: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// What the lenient parser dropped or could not understand.
    pub warnings: Vec<String>,
    /// The strict query found too little, and the hits match only some of the words.
    pub relaxed: bool,
    /// The query with its typos corrected, when it had some.
    pub did_you_mean: Option<String>,
    /// Filters read from the query's words (a date), which the caller did not set.
    pub filters_applied: Vec<AppliedFilter>,
    /// Stop words left out of the required words.
    pub dropped: Vec<String>,
    /// How the words were searched (for `--explain` and the page's notice).
    pub plan: Plan,
}

/// A filter read from the query: for now, the period a date named.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedFilter {
    /// `date`.
    pub kind: &'static str,
    /// The words that said it, as typed.
    pub text: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl SearchRequest {
    /// Checks the limits; returns the request with defaults applied.
    pub fn validated(self) -> Result<Self, SearchError> {
        if self.q.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::BadRequest(format!(
                "the query is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(SearchError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        if self.offset > MAX_OFFSET {
            return Err(SearchError::BadRequest(format!(
                "offset must be at most {MAX_OFFSET}; narrow the search instead"
            )));
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            return Err(SearchError::BadRequest("since must be before until".into()));
        }
        Ok(self)
    }
}

pub fn run(live: &Live, request: &SearchRequest) -> Result<SearchResults, SearchError> {
    let now = request.now.unwrap_or_else(Utc::now);
    let reading = understand::read(&request.q, request.strict, now);
    if reading.advanced {
        let (text_query, warnings) = parse_text(live, &request.q);
        let mut results = execute(live, &live.reader.searcher(), request, text_query)?;
        results.warnings = warnings;
        return Ok(results);
    }
    super::plain::run(live, request, &reading)
}

/// Runs `text_query` (everything when `None`) under the request's filters.
pub(super) fn execute(
    live: &Live,
    searcher: &Searcher,
    request: &SearchRequest,
    text_query: Option<Box<dyn Query>>,
) -> Result<SearchResults, SearchError> {
    let sort = request.sort.unwrap_or(if text_query.is_some() {
        Sort::Relevance
    } else {
        Sort::Date
    });
    let clauses = clauses(live, request, text_query);
    let single_word = clauses.len() == 1 && is_single_word(clauses[0].1.as_ref());
    let query = BooleanQuery::new(clauses);
    let mut window = cascade::window(request, false);
    let (ranked, total, facets) = collect(searcher, &query, sort, single_word, window)?;
    let (mut groups, short) = cascade::page(live, searcher, request, ranked, window)?;
    if short {
        window = cascade::window(request, true);
        let (ranked, _, _) = collect(searcher, &query, sort, single_word, window)?;
        groups = cascade::page(live, searcher, request, ranked, window)?.0;
    }
    let hits = super::hit::hits(live, searcher, &query, groups)?;
    Ok(SearchResults {
        total,
        hits,
        facets,
        ..Default::default()
    })
}

/// How many incidents `text_query` finds under the request's filters.
pub(super) fn count(
    live: &Live,
    searcher: &Searcher,
    request: &SearchRequest,
    text_query: Box<dyn Query>,
) -> Result<usize, SearchError> {
    let query = BooleanQuery::new(clauses(live, request, Some(text_query)));
    Ok(searcher.search(&query, &Count)?)
}

/// The text query (everything, when there is none) and one clause per filter of `request`,
/// all required.
fn clauses(
    live: &Live,
    request: &SearchRequest,
    text_query: Option<Box<dyn Query>>,
) -> Vec<(Occur, Box<dyn Query>)> {
    let f = &live.fields;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Must,
        text_query.unwrap_or_else(|| Box::new(AllQuery)),
    )];
    if let Some(service) = &request.service {
        clauses.push((Occur::Must, keyword(f.service, service)));
    }
    if let Some(impact) = request.impact {
        clauses.push((Occur::Must, keyword(f.impact, impact.as_str())));
    }
    if let Some(status) = request.status {
        clauses.push((Occur::Must, keyword(f.status, status.as_str())));
    }
    if request.since.is_some() || request.until.is_some() {
        let bound = |t: Option<DateTime<Utc>>, inclusive: bool| match t {
            None => Bound::Unbounded,
            Some(t) if inclusive => {
                Bound::Included(Term::from_field_date(f.started_at, to_tantivy(t)))
            }
            Some(t) => Bound::Excluded(Term::from_field_date(f.started_at, to_tantivy(t))),
        };
        clauses.push((
            Occur::Must,
            Box::new(RangeQuery::new(
                bound(request.since, true),
                bound(request.until, false),
            )),
        ));
    }
    clauses
}

/// The best `window` documents with their scores (0 when sorted by date), the total and the
/// facet counts.
type Collected = (Vec<(f32, DocAddress)>, usize, Facets);

fn collect(
    searcher: &Searcher,
    query: &BooleanQuery,
    sort: Sort,
    single_word: bool,
    window: usize,
) -> Result<Collected, SearchError> {
    let facets = FacetCounter;
    let top = TopDocs::with_limit(window.max(1));
    Ok(match sort {
        // One word with no filter is a union of its fields: alone, the top-k collector skips
        // the blocks that cannot make the page (block-max WAND), and counting every match
        // without scores is a second, cheaper pass. Anything else intersects, where nothing is
        // skipped, and one pass that scores and counts at once costs less than two.
        Sort::Relevance if single_word => {
            let addresses = searcher.search(query, &top.order_by_score())?;
            let (total, facets) = searcher.search(query, &(Count, facets))?;
            (addresses, total, facets)
        }
        Sort::Relevance => searcher.search(query, &(top.order_by_score(), Count, facets))?,
        Sort::Date => {
            let (docs, total, counts) = searcher.search(
                query,
                &(
                    top.order_by_fast_field::<tantivy::DateTime>("started_at", Order::Desc),
                    Count,
                    facets,
                ),
            )?;
            let addresses = docs.into_iter().map(|(_, a)| (0.0, a)).collect();
            (addresses, total, counts)
        }
    })
}

/// Whether a text query is one word (in any number of fields), with no phrase.
fn is_single_word(query: &dyn Query) -> bool {
    let mut words: Vec<(tantivy::schema::Field, bool)> = Vec::new();
    let mut phrase = false;
    query.query_terms(&mut |term, positions| {
        phrase |= positions;
        words.push((term.field(), positions));
    });
    let mut fields: Vec<_> = words.iter().map(|(f, _)| *f).collect();
    fields.sort();
    fields.dedup();
    !phrase && !words.is_empty() && fields.len() == words.len()
}

/// The text part of a query, or `None` for an empty one (which lists everything).
pub fn parse_text(live: &Live, q: &str) -> (Option<Box<dyn Query>>, Vec<String>) {
    let q = q.trim();
    if q.is_empty() {
        return (None, Vec::new());
    }
    let (q, mut warnings) = match flattened(q) {
        Some(flat) => (
            flat,
            vec![format!(
                "parentheses nested deeper than {MAX_NESTING} were read as spaces"
            )],
        ),
        None => (q.to_string(), Vec::new()),
    };
    let f = &live.fields;
    // Components count more than titles: see COMPONENT_BOOST.
    let mut parser = QueryParser::for_index(
        &live.index,
        vec![
            f.title_en,
            f.title_fr,
            f.body_en,
            f.body_fr,
            f.component,
            f.cascade,
        ],
    );
    parser.set_conjunction_by_default();
    parser.set_field_boost(f.title_en, 2.0);
    parser.set_field_boost(f.title_fr, 2.0);
    parser.set_field_boost(f.component, COMPONENT_BOOST);
    parser.set_field_boost(f.cascade, CASCADE_BOOST);
    let (query, errors) = parser.parse_query_lenient(&q);
    warnings.extend(errors.iter().map(|e| e.to_string()));
    (Some(query), warnings)
}

/// The parser recurses once per parenthesis: deeper nesting than this is read as plain words.
const MAX_NESTING: usize = 32;

/// `q` without its parentheses when they nest deeper than [`MAX_NESTING`].
fn flattened(q: &str) -> Option<String> {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for c in q.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        deepest = deepest.max(depth);
    }
    (deepest > MAX_NESTING).then(|| q.replace(['(', ')'], " "))
}

fn keyword(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, &value.to_lowercase()),
        IndexRecordOption::Basic,
    ))
}
