//! Saved searches matched against a batch of changed incidents (notifications, issue 21).
//!
//! Rules:
//! - The batch goes into an index in memory with the same schema, analyzers and documents as
//!   the real one ([`super::document::to_document`]), and each query runs as a `strict=true`
//!   search ([`super::query::run`]): every content word required, nothing relaxed or expanded,
//!   no dates. So an alert fires exactly for the incidents a search for its query would find
//!   among them.
//! - A query that keeps nothing (blank) matches every incident of the batch.

use std::collections::BTreeSet;

use chrono::Utc;
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
        if q.trim().is_empty() {
            return Ok(self.all.clone());
        }
        // The search itself, strict: the same reading of the words (stop words, phrases) as a
        // `strict=true` search, with no relaxing, typo expansion, aliases or dates.
        let request = query::SearchRequest {
            q: q.to_string(),
            limit: self.all.len().max(1),
            strict: true,
            // Every matching incident counts, downstream ones too.
            flat: true,
            ..Default::default()
        };
        let results = query::run(&self.live, &request)?;
        Ok(results
            .hits
            .into_iter()
            .map(|hit| hit.incident_id)
            .collect())
    }
}
