//! Where the index lives on disk: `DATA_DIR/index/<generation>/`, with the file `CURRENT` naming
//! the generation in use.
//!
//! A rebuild writes a new generation beside the old one and then swaps `CURRENT` by rename, so
//! the old index keeps serving until the new one is complete. Each generation's last commit
//! carries its checkpoint (schema version and outbox position) as the commit payload, so the
//! checkpoint and the documents it covers become durable together.
//!
//! `DATA_DIR/index/replica-id` names this index among the outbox's readers (`db::replicas`):
//! made once, kept across restarts and rebuilds, so a restart is the same replica.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::{IndexWriterOptions, LogMergePolicy};
use tantivy::{Index, IndexWriter, TantivyDocument};

use super::SearchError;
use super::analyzers;
use super::schema::{self, Fields, SCHEMA_VERSION};
use crate::db::outbox::Position;

const CURRENT: &str = "CURRENT";
const REPLICA_ID: &str = "replica-id";

/// What a commit payload records.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    pub schema_version: u32,
    pub txid: u64,
    pub seq: i64,
}

impl Checkpoint {
    pub fn at(position: Position) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            txid: position.txid,
            seq: position.seq,
        }
    }

    pub fn position(&self) -> Position {
        Position {
            txid: self.txid,
            seq: self.seq,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IndexRoot {
    root: PathBuf,
}

/// An index opened with this schema and analyzers.
pub struct Opened {
    pub index: Index,
    pub fields: Fields,
    pub generation: String,
    pub checkpoint: Checkpoint,
}

impl IndexRoot {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("index"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The generation `CURRENT` names, if any.
    pub fn current(&self) -> Option<String> {
        let name = std::fs::read_to_string(self.root.join(CURRENT)).ok()?;
        let name = name.trim();
        (!name.is_empty() && !name.contains(['/', '\\']) && name != "..").then(|| name.to_string())
    }

    /// This index's replica id, made (a new UUID) on first use.
    pub fn replica_id(&self) -> Result<String, SearchError> {
        let path = self.root.join(REPLICA_ID);
        match std::fs::read_to_string(&path) {
            Ok(text) => match uuid::Uuid::parse_str(text.trim()) {
                Ok(id) => return Ok(id.to_string()),
                Err(_) => {
                    tracing::warn!(path = %path.display(), "the replica id is unreadable; making a new one");
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        std::fs::create_dir_all(&self.root)?;
        let id = uuid::Uuid::now_v7().to_string();
        let tmp = self.root.join(format!("{REPLICA_ID}.tmp"));
        std::fs::write(&tmp, &id)?;
        std::fs::rename(&tmp, &path)?;
        Ok(id)
    }

    /// The outbox position the current generation's last commit records, read without opening
    /// the index; `None` when there is no readable one.
    pub fn stored_position(&self) -> Option<Position> {
        let meta = self.root.join(self.current()?).join("meta.json");
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(meta).ok()?).ok()?;
        let checkpoint: Checkpoint = serde_json::from_str(meta.get("payload")?.as_str()?).ok()?;
        Some(checkpoint.position())
    }

    /// Opens the current generation, or says why it cannot be used.
    pub fn open_current(&self) -> Result<Opened, SearchError> {
        let generation = self.current().ok_or(SearchError::Absent)?;
        let path = self.root.join(&generation);
        if !path.is_dir() {
            return Err(SearchError::Unusable(format!(
                "the index directory {} is missing",
                path.display()
            )));
        }
        let index = Index::open_in_dir(&path)
            .map_err(|e| SearchError::Unusable(format!("cannot open {}: {e}", path.display())))?;
        let fields = Fields::from_schema(&index.schema())
            .map_err(|e| SearchError::Unusable(format!("its schema is not this version's: {e}")))?;
        let payload = index
            .load_metas()
            .map_err(|e| SearchError::Unusable(format!("cannot read its metadata: {e}")))?
            .payload;
        let checkpoint: Checkpoint = payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .ok_or_else(|| SearchError::Unusable("it has no checkpoint".into()))?;
        // A field changed without a version bump still means a rebuild.
        let expected = serde_json::to_string(&schema::build().0).unwrap_or_default();
        let found = serde_json::to_string(&index.schema()).unwrap_or_default();
        if expected != found {
            return Err(SearchError::Unusable(
                "its fields differ from this version's schema".into(),
            ));
        }
        if checkpoint.schema_version != SCHEMA_VERSION {
            return Err(SearchError::Unusable(format!(
                "it was built with schema version {}, this is {SCHEMA_VERSION}",
                checkpoint.schema_version
            )));
        }
        analyzers::register(&index);
        Ok(Opened {
            index,
            fields,
            generation,
            checkpoint,
        })
    }

    /// A new, empty generation (not yet current).
    pub fn create_generation(&self) -> Result<(Index, Fields, String), SearchError> {
        let generation = format!(
            "v{SCHEMA_VERSION}-{}",
            Utc::now().format("%Y%m%dT%H%M%S%.6fZ")
        );
        let path = self.root.join(&generation);
        std::fs::create_dir_all(&path)?;
        let (schema, fields) = schema::build();
        let dir = MmapDirectory::open(&path).map_err(|e| SearchError::Index(e.to_string()))?;
        // Every hit of a page reads its stored document for the snippet, and a read
        // decompresses the whole block around it: small blocks keep that to the document.
        let settings = tantivy::IndexSettings {
            docstore_blocksize: 4_096,
            ..Default::default()
        };
        let index = Index::create(dir, schema, settings)?;
        analyzers::register(&index);
        Ok((index, fields, generation))
    }

    /// Makes `generation` current (atomic rename).
    pub fn switch_to(&self, generation: &str) -> Result<(), SearchError> {
        let tmp = self.root.join(format!("{CURRENT}.tmp"));
        std::fs::write(&tmp, generation)?;
        std::fs::rename(&tmp, self.root.join(CURRENT))?;
        Ok(())
    }

    /// Removes generations other than the current one that no writer holds; best effort.
    pub fn remove_stale(&self) {
        let current = self.current();
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if !entry.path().is_dir() || Some(&name) == current.as_ref() || !name.starts_with('v') {
                continue;
            }
            // A generation whose writer lock is taken still serves another process.
            let held = Index::open_in_dir(entry.path())
                .and_then(|index| writer(&index))
                .is_err();
            if (!held || !entry.path().join("meta.json").exists())
                && let Err(e) = std::fs::remove_dir_all(entry.path())
            {
                tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove an old index generation");
            }
        }
    }
}

/// The one writer of an index. One indexing thread and one merge thread: this runs beside the
/// web server on small machines, and batches are committed whole.
pub fn writer(index: &Index) -> tantivy::Result<IndexWriter<TantivyDocument>> {
    writer_with_budget(index, 64_000_000)
}

/// The writer of a full rebuild: a larger buffer leaves one or two large segments instead of
/// five, and every query pays per segment. The cap only matters while documents pile up
/// between commits; the tailing that follows commits small batches.
pub fn rebuild_writer(index: &Index) -> tantivy::Result<IndexWriter<TantivyDocument>> {
    writer_with_budget(index, 400_000_000)
}

fn writer_with_budget(
    index: &Index,
    bytes: usize,
) -> tantivy::Result<IndexWriter<TantivyDocument>> {
    let writer = index.writer_with_options(
        IndexWriterOptions::builder()
            .memory_budget_per_thread(bytes)
            .num_worker_threads(1)
            .num_merge_threads(1)
            .build(),
    )?;
    // Tailing commits small segments often; merge them in fours rather than eights, and fold
    // away replaced documents once they are half a segment, to keep queries on few segments.
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(4);
    policy.set_del_docs_ratio_before_merge(0.5);
    writer.set_merge_policy(Box::new(policy));
    Ok(writer)
}

/// Commits what the writer holds, with the checkpoint it reaches.
pub fn commit(writer: &mut IndexWriter<TantivyDocument>, at: Position) -> Result<(), SearchError> {
    let payload = serde_json::to_string(&Checkpoint::at(at))
        .map_err(|e| SearchError::Index(e.to_string()))?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}
