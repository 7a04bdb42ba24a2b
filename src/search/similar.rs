//! "Similar past outages": more-like-this over the same index, from the incident's own stored
//! title and text.

use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue, Term, Value};

use super::query::Hit;
use super::{Live, SearchError};
use crate::search::document::from_tantivy;

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
    let text = |field| {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let title = OwnedValue::Str(text(f.title));
    let body = OwnedValue::Str(text(f.body));
    let like = MoreLikeThisQuery::builder()
        .with_min_doc_frequency(1)
        .with_min_term_frequency(1)
        .with_max_query_terms(25)
        .with_min_word_length(3)
        .with_document_fields(vec![
            (f.title_en, vec![title.clone()]),
            (f.title_fr, vec![title]),
            (f.body_en, vec![body.clone()]),
            (f.body_fr, vec![body]),
        ]);
    let query = BooleanQuery::new(vec![
        (Occur::Must, Box::new(like) as Box<dyn Query>),
        (
            Occur::MustNot,
            Box::new(TermQuery::new(id_term, IndexRecordOption::Basic)),
        ),
    ]);
    let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
    let mut hits = Vec::with_capacity(top.len());
    for (score, address) in top {
        let doc: TantivyDocument = searcher.doc(address)?;
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
        hits.push(Hit {
            incident_id: text(f.id),
            title: text(f.title),
            score,
            started_at: date(f.started_at),
            resolved_at: date(f.resolved_at),
            services: doc
                .get_all(f.service)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            impact: text(f.impact),
            status: text(f.status),
            snippet: Vec::new(),
        });
    }
    Ok(hits)
}
