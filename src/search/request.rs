//! A search as people ask it (query-string words from the API, the page or the CLI) turned
//! into a [`SearchRequest`]. One parser for every caller, so that `?impact=major` on the API,
//! the page and `aftermath search --impact major` can never disagree.
//!
//! Rule: every problem is reported at once, each naming its field; an empty value means the
//! filter is not set, and any other service must be a slug.

use crate::domain::time::parse_time;
use crate::domain::{Impact, IncidentStatus, ServiceSlug, ValidationError};

use super::{SearchRequest, Sort};

/// The words of a search, as they arrived.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchWords<'a> {
    pub q: &'a str,
    pub service: Option<&'a str>,
    pub impact: Option<&'a str>,
    pub status: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub sort: Option<&'a str>,
    /// Exact matching: no relaxing, typo expansion, aliases or date reading.
    pub strict: bool,
}

/// Turns the words into a request (limit and offset are the caller's to set).
pub fn parse_request<'a>(words: &SearchWords<'a>) -> Result<SearchRequest, Vec<ValidationError>> {
    let mut errors = Vec::new();
    // As the API has always read them: an empty value is no filter (the page's form sends one).
    let given = |v: Option<&'a str>| v.filter(|s| !s.is_empty());
    let request = SearchRequest {
        q: words.q.to_string(),
        // A slug, as every service field is: `service=0.5` names no service and is refused
        // rather than matching nothing.
        service: given(words.service)
            .and_then(|v| keep(&mut errors, ServiceSlug::parse("service", v)))
            .map(|s| s.as_str().to_string()),
        impact: given(words.impact)
            .and_then(|v| keep(&mut errors, enumerated::<Impact>("impact", v))),
        status: given(words.status)
            .and_then(|v| keep(&mut errors, enumerated::<IncidentStatus>("status", v))),
        since: given(words.since).and_then(|v| keep(&mut errors, parse_time("since", v))),
        until: given(words.until).and_then(|v| keep(&mut errors, parse_time("until", v))),
        sort: given(words.sort).and_then(|v| keep(&mut errors, sort(v))),
        strict: words.strict,
        ..Default::default()
    };
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(errors)
    }
}

/// The value, or `None` with its error kept.
fn keep<T>(errors: &mut Vec<ValidationError>, result: Result<T, ValidationError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn enumerated<T>(field: &'static str, raw: &str) -> Result<T, ValidationError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    raw.parse::<T>()
        .map_err(|e| ValidationError::new(field, e.to_string()))
}

fn sort(raw: &str) -> Result<Sort, ValidationError> {
    match raw {
        "relevance" => Ok(Sort::Relevance),
        "date" => Ok(Sort::Date),
        other => Err(ValidationError::new(
            "sort",
            format!("{other:?} is not relevance or date"),
        )),
    }
}
