//! "Similar past outages": more-like-this over the same index, from the incident's own stored
//! title and text.

use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue, Term};

use super::query::{Hit, stored_text, to_hit};
use super::{Live, SearchError};

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
    let title = OwnedValue::Str(stored_text(&doc, f.title).to_string());
    let body = OwnedValue::Str(stored_text(&doc, f.body).to_string());
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
    top.into_iter()
        .map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            Ok(to_hit(live, &doc, score))
        })
        .collect()
}
