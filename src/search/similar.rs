//! "Similar past outages": more-like-this over the same index, from the incident's own stored
//! title and text.
//!
//! Why not tantivy's `MoreLikeThisQuery`: it weighs terms with the count of live documents but
//! document frequencies that still include replaced (deleted) ones, and asserts that the first
//! is the larger. Every change replaces an incident's document, so on a small index it panicked
//! (a 500 on the incident page). The selection here is the same (the 25 terms of the incident
//! with the highest tf·idf, words of 3 characters or more) with both counts taken alike.

use std::collections::HashMap;
use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;

use tantivy::Searcher;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Term};

use super::hit::{Hit, stored_text, to_hit};
use super::{Live, SearchError};

/// Terms a similar incident is looked up by, and the shortest word worth one.
const MAX_TERMS: usize = 25;
const MIN_WORD_CHARS: usize = 3;

pub fn similar_to(live: &Live, incident_id: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
    let f = &live.fields;
    let searcher = live.reader.searcher();
    let id_term = Term::from_field_text(f.id, incident_id);
    let own = searcher.search(
        &TermQuery::new(id_term.clone(), IndexRecordOption::Basic),
        &TopDocs::with_limit(1).order_by_score(),
    )?;
    let Some((_, address)) = own.first() else {
        return Err(SearchError::NotFound);
    };
    let doc: TantivyDocument = searcher.doc(*address)?;
    let title = stored_text(&doc, f.title);
    let body = stored_text(&doc, f.body);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = characteristic_terms(
        live,
        &searcher,
        &[
            (f.title_en, title),
            (f.title_fr, title),
            (f.body_en, body),
            (f.body_fr, body),
        ],
    )?
    .into_iter()
    .map(|term| {
        let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
        (Occur::Should, q)
    })
    .collect();
    if clauses.is_empty() {
        return Ok(Vec::new());
    }
    clauses.truncate(MAX_TERMS);
    let like = BooleanQuery::new(clauses);
    let query = BooleanQuery::new(vec![
        (Occur::Must, Box::new(like) as Box<dyn Query>),
        (
            Occur::MustNot,
            Box::new(TermQuery::new(id_term, IndexRecordOption::Basic)),
        ),
    ]);
    let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
    top.into_iter()
        .map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            Ok(to_hit(live, &doc, score))
        })
        .collect()
}

/// The incident's terms with the highest tf·idf, best first.
fn characteristic_terms(
    live: &Live,
    searcher: &Searcher,
    texts: &[(Field, &str)],
) -> Result<Vec<Term>, SearchError> {
    let mut frequencies: HashMap<Term, usize> = HashMap::new();
    for (field, text) in texts {
        let mut analyzer = live.index.tokenizer_for_field(*field)?;
        let mut stream = analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            if token.text.chars().count() >= MIN_WORD_CHARS {
                *frequencies
                    .entry(Term::from_field_text(*field, &token.text))
                    .or_default() += 1;
            }
        }
    }
    // Deleted documents count on both sides, as they do in the document frequencies.
    let documents: u64 = searcher
        .segment_readers()
        .iter()
        .map(|s| u64::from(s.max_doc()))
        .sum();
    let mut scored: Vec<(f32, Term)> = Vec::with_capacity(frequencies.len());
    for (term, tf) in frequencies {
        let df = searcher.doc_freq(&term)?;
        if df == 0 {
            continue;
        }
        let n = documents.max(df);
        let idf = (1.0 + ((n - df) as f32 + 0.5) / (df as f32 + 0.5)).ln();
        scored.push((tf as f32 * idf, term));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(scored
        .into_iter()
        .map(|(_, term)| term)
        .take(MAX_TERMS)
        .collect())
}

#[cfg(test)]
mod tests {
    use tantivy::TantivyDocument;

    use super::*;

    fn add(writer: &mut tantivy::IndexWriter, live: &Live, id: &str, title: &str, body: &str) {
        let f = live.fields;
        writer.delete_term(Term::from_field_text(f.id, id));
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, id);
        doc.add_text(f.title, title);
        doc.add_text(f.title_en, title);
        doc.add_text(f.body, body);
        doc.add_text(f.body_en, body);
        writer.add_document(doc).unwrap();
    }

    #[test]
    fn similar_outages_are_found_when_replaced_documents_outnumber_live_ones() {
        let live = Live::in_memory().unwrap();
        let mut writer: tantivy::IndexWriter = live.index.writer(15_000_000).unwrap();
        let dns = "DNS resolution of the DynamoDB regional endpoint failed.";
        add(
            &mut writer,
            &live,
            "a",
            "DynamoDB DNS resolution failures",
            dns,
        );
        add(
            &mut writer,
            &live,
            "c",
            "Billing page typo",
            "A typo on the invoice page.",
        );
        // Every update replaces the whole document; the replaced ones still count in the
        // term statistics of their segment until it is merged.
        for i in 0..6 {
            let body = format!("Requests to DynamoDB failed to resolve in DNS. Update {i}.");
            add(
                &mut writer,
                &live,
                "b",
                "DynamoDB endpoint DNS errors",
                &body,
            );
        }
        writer.commit().unwrap();
        live.reader.reload().unwrap();
        let hits = similar_to(&live, "a", 5).unwrap();
        assert_eq!(hits[0].incident_id, "b");
        assert!(hits.iter().all(|h| h.incident_id != "a"));
    }
}
