//! Suggestions while typing: services, components and incident titles with a word that starts
//! as the query's last word does.
//!
//! Rules:
//! - The prefix is the query's last word, read by each field's own analyzer (lower-cased, folded,
//!   stemmed for titles), so "dyn" meets "DynamoDB" and "Services" meets "service". Shorter than
//!   [`MIN_CHARS`], it suggests nothing: one letter matches too much to help.
//! - The work is bounded whatever the index holds: each segment's dictionary is walked over at
//!   most [`MAX_SCANNED`] terms from the prefix, at most [`MAX_TERMS`] of them (the most
//!   frequent) are searched, and at most [`PER_KIND`] suggestions of each kind come back.
//! - The words before the last one only rank the titles; they filter nothing.

use std::collections::{BTreeMap, BTreeSet};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Term, Value};
use tantivy::{Searcher, TantivyDocument};

use super::{Live, SearchError};

/// Characters a prefix needs before anything is suggested.
pub const MIN_CHARS: usize = 2;
/// Suggestions of each kind at most.
pub const PER_KIND: usize = 5;
/// Longest query read, in characters; suggestions need only its end.
pub const MAX_CHARS: usize = 200;
/// Dictionary terms looked at per segment and field.
const MAX_SCANNED: usize = 256;
/// Terms a prefix is searched as, per field.
const MAX_TERMS: usize = 16;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Suggestions {
    /// Service slugs.
    pub services: Vec<String>,
    /// Component names, as written.
    pub components: Vec<String>,
    /// (incident id, title), best first.
    pub incidents: Vec<(String, String)>,
}

/// Suggestions for what has been typed so far.
pub fn suggest(live: &Live, q: &str) -> Result<Suggestions, SearchError> {
    let tail: String = {
        let chars: Vec<char> = q.chars().collect();
        chars[chars.len().saturating_sub(MAX_CHARS)..]
            .iter()
            .collect()
    };
    let tail = tail.trim_end();
    let Some(last) = tail.split_whitespace().last() else {
        return Ok(Suggestions::default());
    };
    if last.chars().count() < MIN_CHARS {
        return Ok(Suggestions::default());
    }
    let searcher = live.reader.searcher();
    let f = &live.fields;
    let services = prefixed(&searcher, f.service, &last.to_lowercase())?
        .into_iter()
        .take(PER_KIND)
        .map(|(term, _)| term)
        .collect();
    Ok(Suggestions {
        services,
        components: components(live, &searcher, last)?,
        incidents: incidents(live, &searcher, tail, last)?,
    })
}

/// Component names with a word starting with `last`.
fn components(live: &Live, searcher: &Searcher, last: &str) -> Result<Vec<String>, SearchError> {
    let field = live.fields.component;
    let Some(prefix) = last_token(live, field, last)? else {
        return Ok(Vec::new());
    };
    let Some(query) = any_term(field, prefixed(searcher, field, &prefix)?) else {
        return Ok(Vec::new());
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (_, address) in searcher.search(
        query.as_ref(),
        &TopDocs::with_limit(PER_KIND * 2).order_by_score(),
    )? {
        let doc: TantivyDocument = searcher.doc(address)?;
        for name in doc.get_all(field).filter_map(|v| v.as_str()) {
            let starts = words_of(live, field, name)?
                .iter()
                .any(|w| w.starts_with(&prefix));
            if starts && out.len() < PER_KIND && seen.insert(name.to_lowercase()) {
                out.push(name.to_string());
            }
        }
    }
    Ok(out)
}

/// Incidents whose title has a word starting with `last`, ranked with the words before it.
fn incidents(
    live: &Live,
    searcher: &Searcher,
    tail: &str,
    last: &str,
) -> Result<Vec<(String, String)>, SearchError> {
    let f = &live.fields;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut prefixes: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for field in [f.title_en, f.title_fr] {
        if let Some(prefix) = last_token(live, field, last)?
            && let Some(q) = any_term(field, prefixed(searcher, field, &prefix)?)
        {
            prefixes.push((Occur::Should, q));
        }
        // `tail` ends with `last`, trimmed: what precedes it is the words before.
        let before = tail.len().saturating_sub(last.len());
        for word in words_of(live, field, &tail[..before])? {
            let term = Term::from_field_text(field, &word);
            clauses.push((
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            ));
        }
    }
    if prefixes.is_empty() {
        return Ok(Vec::new());
    }
    clauses.push((Occur::Must, Box::new(BooleanQuery::new(prefixes))));
    let query = BooleanQuery::new(clauses);
    let mut out = Vec::new();
    for (_, address) in searcher.search(&query, &TopDocs::with_limit(PER_KIND).order_by_score())? {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        out.push((text(f.id), text(f.title)));
    }
    Ok(out)
}

/// The terms of `field` that start with `prefix`, with how many documents have each: the
/// [`MAX_TERMS`] most frequent, alphabetically.
fn prefixed(
    searcher: &Searcher,
    field: Field,
    prefix: &str,
) -> Result<Vec<(String, u64)>, SearchError> {
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for segment in searcher.segment_readers() {
        let index = segment.inverted_index(field)?;
        let mut stream = index.terms().range().ge(prefix.as_bytes()).into_stream()?;
        let mut scanned = 0;
        while scanned < MAX_SCANNED && stream.advance() {
            scanned += 1;
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if !term.starts_with(prefix) {
                break;
            }
            *found.entry(term.to_string()).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    let mut terms: Vec<(String, u64)> = found.into_iter().collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.truncate(MAX_TERMS);
    terms.sort();
    Ok(terms)
}

fn any_term(field: Field, terms: Vec<(String, u64)>) -> Option<Box<dyn Query>> {
    if terms.is_empty() {
        return None;
    }
    let should = terms
        .into_iter()
        .map(|(t, _)| {
            let q = TermQuery::new(
                Term::from_field_text(field, &t),
                IndexRecordOption::WithFreqs,
            );
            (Occur::Should, Box::new(q) as Box<dyn Query>)
        })
        .collect();
    Some(Box::new(BooleanQuery::new(should)))
}

/// The tokens of `text` under `field`'s analyzer.
fn words_of(live: &Live, field: Field, text: &str) -> Result<Vec<String>, SearchError> {
    let mut analyzer = live.index.tokenizer_for_field(field)?;
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    Ok(out)
}

/// The last token of `word` under `field`'s analyzer, if it keeps any and it is long enough.
fn last_token(live: &Live, field: Field, word: &str) -> Result<Option<String>, SearchError> {
    Ok(words_of(live, field, word)?
        .pop()
        .filter(|t| t.chars().count() >= MIN_CHARS))
}
