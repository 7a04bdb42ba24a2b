//! Bulk ingest of document files: what `aftermath ingest FILE…` and the benchmark's corpus phase
//! both run, so the figure the benchmark prints is the one a user gets.
//!
//! Reading and parsing run on a thread of their own while the calling thread applies the
//! previous batch: parsing is about half the work of a small document, and a machine with two
//! cores would otherwise leave one idle. Each batch is one transaction with a savepoint per
//! document (see [`super::apply_batch`]), so a bad file is still rolled back alone. Batches are
//! written on a connection of the run's own, tuned for one long writer
//! ([`Db::dedicated_writer`]).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use super::{IngestError, IngestReport, Origin, apply_batch_in, parse_bytes};
use crate::db::{Db, DbConn};
use crate::domain::ServiceSlug;
use crate::ingest::{Format, ParsedDocument};

/// Files per transaction. Small enough that the first batch, parsed before anything can be
/// applied, is a small part of the run; large enough that commits stay rare. Measured on the
/// real corpus (1,360 files): 32 beat 64 and 64 beat 256; the wait for the first batch, when
/// one core idles, costs more than the commits a larger batch saves.
const BATCH: usize = 32;
/// Parsed batches waiting to be applied: the parser may run this far ahead, no further, so
/// memory stays bounded whatever the number of files.
const QUEUE: usize = 2;

/// What a run of [`ingest_files`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FilesSummary {
    pub files: usize,
    pub failed: usize,
    /// New timeline entries.
    pub entries: usize,
    /// Wall-clock time from the first read to the last commit, cascade links included.
    pub seconds: f64,
}

type Parsed = (PathBuf, Result<ParsedDocument, String>);

/// Reads, parses and applies `files` in order; `on_file` hears about each one as it lands.
/// A file that cannot be read or parsed, or whose document fails, is reported and counted, and
/// the others still land; only a failure of the store itself stops the run.
pub fn ingest_files(
    db: &Db,
    format: Option<Format>,
    service: Option<&ServiceSlug>,
    files: &[PathBuf],
    mut on_file: impl FnMut(&Path, Result<&IngestReport, &str>),
) -> Result<FilesSummary, IngestError> {
    let started = Instant::now();
    let changed_since = chrono::Utc::now();
    let mut summary = FilesSummary {
        files: files.len(),
        ..Default::default()
    };
    std::thread::scope(|scope| -> Result<(), IngestError> {
        let (tx, rx) = mpsc::sync_channel::<Vec<Parsed>>(QUEUE);
        scope.spawn(move || {
            for chunk in files.chunks(BATCH) {
                let parsed = chunk.iter().map(|p| (p.clone(), read(p, format))).collect();
                // The applier hung up after a store failure: nothing left to parse for.
                if tx.send(parsed).is_err() {
                    break;
                }
            }
        });
        // The pool's connections serve when a connection of its own cannot be had.
        let mut own = match db.dedicated_writer() {
            Ok(conn) => Some(conn),
            Err(e) => {
                tracing::warn!(error = %e, "ingest uses pooled connections");
                None
            }
        };
        for batch in rx {
            apply_parsed(db, own.as_mut(), service, batch, &mut summary, &mut on_file)?;
        }
        Ok(())
    })?;
    // Cascade links around whatever changed.
    db.write(|conn| super::links::recompute_changed_since(conn, changed_since))?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn read(path: &Path, format: Option<Format>) -> Result<ParsedDocument, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    parse_bytes(format, &bytes).map_err(|e| e.to_string())
}

fn apply_parsed(
    db: &Db,
    own: Option<&mut DbConn>,
    service: Option<&ServiceSlug>,
    batch: Vec<Parsed>,
    summary: &mut FilesSummary,
    on_file: &mut impl FnMut(&Path, Result<&IngestReport, &str>),
) -> Result<(), IngestError> {
    let mut outcomes: Vec<(PathBuf, Option<String>)> = Vec::with_capacity(batch.len());
    let mut docs = Vec::with_capacity(batch.len());
    for (path, parsed) in batch {
        match parsed {
            Ok(doc) => {
                let origin = Origin(format!("file:{}", path.display()));
                docs.push((doc, service.cloned(), origin));
                outcomes.push((path, None));
            }
            Err(e) => outcomes.push((path, Some(e))),
        }
    }
    let apply = |conn: &mut DbConn| apply_batch_in(conn, &docs);
    let mut applied = match own {
        Some(conn) => crate::db::write_transaction(conn, apply)?,
        None => db.write(apply)?,
    }
    .into_iter();
    for (path, parse_error) in outcomes {
        let result = match parse_error {
            Some(e) => Err(e),
            // `apply_batch` answers once per document, in order.
            None => match applied.next() {
                Some(r) => r.map_err(|e| e.to_string()),
                None => Err("not applied".to_string()),
            },
        };
        match &result {
            Ok(report) => summary.entries += report.entries_added,
            Err(_) => summary.failed += 1,
        }
        on_file(&path, result.as_ref().map_err(String::as_str));
    }
    Ok(())
}
