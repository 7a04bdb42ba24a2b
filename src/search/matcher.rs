//! Saved searches matched against a batch of changed incidents (notifications, issue 21).
//!
//! Rules:
//! - The batch goes into an index in memory with the same schema, analyzers and documents as
//!   the real one ([`super::document::to_document`]), and each query is parsed by the same
//!   parser as a search ([`super::query::parse_text`]): all words required, nothing relaxed,
//!   no dates. So an alert fires exactly for the incidents a search for its query would find
//!   among them.
//! - A query that keeps nothing (blank) matches every incident of the batch.

use std::collections::BTreeSet;

use chrono::Utc;
use tantivy::collector::DocSetCollector;
use tantivy::{Index, TantivyDocument};

use super::document::{LanguageGuess, to_document};
use super::{Live, SearchError, analyzers, indexer, query, schema};
use crate::domain::SearchableIncident;

/// The smallest writer budget tantivy accepts; a batch is small.
const BUDGET: usize = 15_000_000;

/// The changed incidents of one batch, searchable.
pub struct BatchIndex {
    live: Live,
    all: BTreeSet<String>,
}

impl BatchIndex {
    pub fn build(incidents: &[SearchableIncident]) -> Result<Self, SearchError> {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        analyzers::register(&index);
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, BUDGET)?;
        let guess = LanguageGuess::default();
        let now = Utc::now();
        for incident in incidents {
            writer.add_document(to_document(&fields, &guess, incident, now))?;
        }
        writer.commit()?;
        let reader = indexer::reader_of(&index)?;
        reader.reload()?;
        Ok(Self {
            live: Live {
                index,
                reader,
                fields,
            },
            all: incidents.iter().map(|i| i.id.to_string()).collect(),
        })
    }

    /// The ids of the incidents `q` matches.
    pub fn matching(&self, q: &str) -> Result<BTreeSet<String>, SearchError> {
        let (parsed, _warnings) = query::parse_text(&self.live, q);
        let Some(parsed) = parsed else {
            return Ok(self.all.clone());
        };
        let searcher = self.live.reader.searcher();
        let found = searcher.search(parsed.as_ref(), &DocSetCollector)?;
        let mut ids = BTreeSet::new();
        for address in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            ids.insert(query::stored_text(&doc, self.live.fields.id).to_string());
        }
        Ok(ids)
    }
}
