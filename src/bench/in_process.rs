//! The in-process ingest of the generated corpus, as `aftermath ingest` runs it: documents are
//! parsed on a thread of their own while the calling thread applies the previous batch, one
//! transaction per batch with a savepoint per document.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::generator::Document;
use aftermath::correlate::{self, IngestError, Provenance};
use aftermath::db::Db;
use aftermath::domain::ServiceSlug;
use aftermath::ingest::{Format, ParsedDocument};

/// Documents applied per transaction.
pub(super) const BATCH_DOCS: usize = 20;

type Batch = Vec<(ParsedDocument, Option<ServiceSlug>, Provenance)>;

/// Parses and applies already generated documents; the time is that of parse and apply only
/// (generation is not part of ingest), wall-clock, both threads overlapping.
pub(super) fn apply(db: &Db, docs: &[Document]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (tx, rx) = mpsc::sync_channel::<Result<Batch, IngestError>>(2);
        scope.spawn(move || {
            for chunk in docs.chunks(BATCH_DOCS) {
                let parsed = chunk
                    .iter()
                    .map(|d| {
                        let doc = correlate::parse_bytes(Some(Format::Statuspage), &d.json)?;
                        Ok((doc, None, Provenance("bench".into())))
                    })
                    .collect();
                // The applier hung up after a failure: nothing left to parse for.
                if tx.send(parsed).is_err() {
                    break;
                }
            }
        });
        for batch in rx {
            for result in correlate::apply_batch(db, &batch?)? {
                result?;
            }
        }
        Ok(())
    })?;
    Ok(started.elapsed())
}
