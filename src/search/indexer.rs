//! The indexer: the only code that writes the index.
//!
//! Rules:
//! - One indexer per process owns the `IndexWriter` (tantivy allows one writer per directory).
//! - It tails the outbox from the checkpoint stored in its last commit, reloads each named
//!   incident from the database, replaces its document whole (delete by id, then add), and commits
//!   a batch at a time with the new checkpoint as the payload. A crash at any point replays from
//!   the last durable checkpoint; replacing whole documents makes the replay harmless.
//! - After each commit it reloads the reader, then publishes how far it has caught up, which is
//!   what `consistent` searches wait on.
//! - When the outbox says rows after its position were pruned, it stops with
//!   [`SearchError::PrunedPast`] before applying anything: the caller rebuilds.

use std::collections::BTreeSet;

use chrono::Utc;
use tantivy::schema::Term;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use super::SearchError;
use super::document::{LanguageGuess, to_document};
use super::index_dir::{self, IndexRoot, Opened};
use super::schema::Fields;
use crate::db::outbox::{self, Position};
use crate::db::{Db, search_docs};

/// Outbox rows read per batch; a batch is one commit.
const BATCH: i64 = 500;
/// Incidents read per page during a rebuild.
const REBUILD_PAGE: usize = 1000;

/// An index this process writes.
pub struct Writable {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub generation: String,
    writer: IndexWriter<TantivyDocument>,
    position: Position,
    guess: LanguageGuess,
}

/// What one catch-up pass did.
#[derive(Debug, Default, Clone, Copy)]
pub struct CatchUp {
    pub incidents: usize,
    /// Set when everything committed before this mark is now searchable.
    pub horizon: Option<u64>,
}

pub fn reader_of(index: &Index) -> tantivy::Result<IndexReader> {
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
}

impl Writable {
    pub fn from_opened(opened: Opened) -> Result<Self, SearchError> {
        let writer = index_dir::writer(&opened.index)?;
        Ok(Self {
            reader: reader_of(&opened.index)?,
            position: opened.checkpoint.position(),
            index: opened.index,
            fields: opened.fields,
            generation: opened.generation,
            writer,
            guess: LanguageGuess::default(),
        })
    }

    /// How far it has applied the outbox.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Applies the outbox until it is drained (or `max_batches` were committed).
    pub fn catch_up(&mut self, db: &Db, max_batches: usize) -> Result<CatchUp, SearchError> {
        let mut done = CatchUp::default();
        for _ in 0..max_batches {
            let after = self.position;
            let tail = db.run(|conn| outbox::tail(conn, after, BATCH))?;
            if let Some(pruned_through) = tail.pruned_past {
                return Err(SearchError::PrunedPast {
                    position: after,
                    pruned_through,
                });
            }
            let drained = (tail.rows.len() as i64) < BATCH;
            if let Some((last, _)) = tail.rows.last() {
                let ids: BTreeSet<String> = tail
                    .rows
                    .iter()
                    .filter(|(_, row)| row.entity == outbox::Entity::Incident.as_str())
                    .map(|(_, row)| row.entity_id.clone())
                    .collect();
                let last = *last;
                done.incidents += self.replace(db, ids.into_iter().collect())?;
                index_dir::commit(&mut self.writer, last)?;
                self.reader.reload()?;
                self.position = last;
            }
            if drained {
                done.horizon = Some(tail.horizon);
                break;
            }
        }
        Ok(done)
    }

    /// Replaces the documents of these incidents with their current state; deletes the ones
    /// that are gone.
    fn replace(&mut self, db: &Db, ids: Vec<String>) -> Result<usize, SearchError> {
        let incidents = db.run(|conn| search_docs::load(conn, &ids))?;
        let now = Utc::now();
        for id in &ids {
            self.writer
                .delete_term(Term::from_field_text(self.fields.id, id));
        }
        for incident in &incidents {
            self.writer
                .add_document(to_document(&self.fields, &self.guess, incident, now))?;
        }
        Ok(ids.len())
    }
}

/// Builds a new generation from the database, makes it current, and returns it ready to tail
/// the outbox. `progress` hears (incidents done, incidents in all).
pub fn rebuild(
    db: &Db,
    root: &IndexRoot,
    progress: &dyn Fn(u64, u64),
) -> Result<(Writable, u64), SearchError> {
    let (index, fields, generation) = root.create_generation()?;
    let mut writer = index_dir::rebuild_writer(&index)?;
    // Taken before the scan: anything committed later is replayed from the outbox.
    let start = db.run(outbox::start_position)?;
    let total = db.run(crate::db::incidents::count)?.max(0) as u64;
    let guess = LanguageGuess::default();
    let now = Utc::now();
    let mut after: Option<String> = None;
    let mut done = 0u64;
    let mut entries = 0u64;
    loop {
        let page = db.run(|conn| search_docs::page_after(conn, after.as_deref(), REBUILD_PAGE))?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.to_string());
        for incident in &page {
            entries += incident.texts.len() as u64;
            writer.add_document(to_document(&fields, &guess, incident, now))?;
        }
        done += page.len() as u64;
        progress(done, total.max(done));
    }
    index_dir::commit(&mut writer, start)?;
    root.switch_to(&generation)?;
    let writable = Writable {
        reader: reader_of(&index)?,
        index,
        fields,
        generation,
        writer,
        position: start,
        guess,
    };
    Ok((writable, entries))
}
