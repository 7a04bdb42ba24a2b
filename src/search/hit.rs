//! A hit as the caller sees it, built from its stored document, with its snippet and the hits
//! nested under it.

use chrono::{DateTime, Utc};
use tantivy::query::BooleanQuery;
use tantivy::schema::Value;
use tantivy::{Searcher, TantivyDocument};

use super::cascade::{Group, Ranked};
use super::document::from_tantivy;
use super::snippets::Snippets;
use super::{Live, SearchError};
use crate::domain::{Impact, IncidentStatus};

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub incident_id: String,
    pub title: String,
    pub score: f32,
    pub started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub services: Vec<String>,
    pub impact: Impact,
    pub status: IncidentStatus,
    /// The matched passage as pieces, `true` for the highlighted ones; unescaped text.
    pub snippet: Vec<(String, bool)>,
    /// Hits downstream of this one in a cascade, nested under it (see `cascade`).
    pub downstream: Vec<Hit>,
}

impl Hit {
    /// The snippet as HTML: every piece escaped, matches in `<b>`.
    pub fn snippet_html(&self) -> String {
        let mut out = String::new();
        for (text, hit) in &self.snippet {
            if *hit {
                out.push_str("<b>");
            }
            // Writing into a String cannot fail.
            let _ = pulldown_cmark_escape::escape_html(&mut out, text);
            if *hit {
                out.push_str("</b>");
            }
        }
        out
    }
}

/// The hits of the page, each with its snippet cut from its stored text, and its downstream
/// hits nested.
pub(super) fn hits(
    live: &Live,
    searcher: &Searcher,
    query: &BooleanQuery,
    groups: Vec<Group>,
) -> Result<Vec<Hit>, SearchError> {
    let snippets = Snippets::new(searcher, query, live)?;
    let one = |(score, address): Ranked| -> Result<Hit, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let mut hit = to_hit(live, &doc, score);
        hit.snippet = snippets.cut(stored_text(&doc, live.fields.body));
        Ok(hit)
    };
    let mut hits = Vec::with_capacity(groups.len());
    for group in groups {
        let mut hit = one(group.lead)?;
        for ranked in group.downstream {
            hit.downstream.push(one(ranked)?);
        }
        hits.push(hit);
    }
    Ok(hits)
}

/// A hit from a stored document, without its snippet.
pub(super) fn to_hit(live: &Live, doc: &TantivyDocument, score: f32) -> Hit {
    let f = &live.fields;
    let text = |field| {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let date = |field| {
        doc.get_first(field)
            .and_then(|v| v.as_datetime())
            .and_then(from_tantivy)
    };
    Hit {
        incident_id: text(f.id),
        title: text(f.title),
        score,
        started_at: date(f.started_at),
        resolved_at: date(f.resolved_at),
        services: doc
            .get_all(f.service)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        // The index stores only the domain's own words (`as_str`), written by this version
        // (another version's index is rebuilt), so these parse; the fallbacks are never shown.
        impact: text(f.impact).parse().unwrap_or(Impact::None),
        status: text(f.status)
            .parse()
            .unwrap_or(IncidentStatus::Investigating),
        snippet: Vec::new(),
        downstream: Vec::new(),
    }
}

/// The stored text of a field, empty when absent.
pub(super) fn stored_text(doc: &TantivyDocument, field: tantivy::schema::Field) -> &str {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
}
