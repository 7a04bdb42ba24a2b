//! This index's row among the outbox's readers (`db::replicas`): it says where the index is,
//! so that the outbox is pruned only behind it.
//!
//! Rules: the row is written before the server answers (so it exists from the first request
//! on), then again when the position moves (at most once per [`MOVED_GAP`]) and at least every
//! heartbeat interval. The position written is one the index has committed, never ahead of it.
//! A failed beat is logged and tried again at the next pass; it never stops indexing. On SQLite
//! a beat waits for the one write lock; a long write holding it also holds the outbox rows the
//! indexer would read next, so the wait costs the index nothing.

use std::time::{Duration, Instant};

use super::SearchError;
use super::index_dir::IndexRoot;
use crate::db::outbox::Position;
use crate::db::{Db, DbError, replicas};

/// The shortest gap between two beats that only report progress: a busy store moves the
/// position at every batch, and each beat is a write.
const MOVED_GAP: Duration = Duration::from_secs(1);

pub(super) struct Registration {
    id: String,
    host: String,
    every: Duration,
    last: Option<(Instant, Position)>,
}

impl Registration {
    /// Registers this index at `position` now.
    pub(super) fn register(
        db: &Db,
        root: &IndexRoot,
        every: Duration,
        position: Position,
    ) -> Result<Self, SearchError> {
        let mut me = Self {
            id: root.replica_id()?,
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            every,
            last: None,
        };
        me.beat(db, position)?;
        tracing::info!(replica = %me.id, host = %me.host, ?position, "search index registered as an outbox reader");
        Ok(me)
    }

    /// Beats if it is time: the position moved, or the heartbeat interval passed.
    pub(super) fn maybe_beat(&mut self, db: &Db, position: Position) {
        let due = self.last.is_none_or(|(at, last)| {
            let since = at.elapsed();
            since >= self.every || (position != last && since >= MOVED_GAP.min(self.every))
        });
        if due && let Err(e) = self.beat(db, position) {
            tracing::warn!(replica = %self.id, error = %e, "cannot record this index's outbox position; retrying");
        }
    }

    fn beat(&mut self, db: &Db, position: Position) -> Result<(), DbError> {
        db.write(|conn| {
            replicas::beat(
                conn,
                &self.id,
                replicas::INDEX,
                &self.host,
                position,
                chrono::Utc::now(),
            )
        })?;
        self.last = Some((Instant::now(), position));
        Ok(())
    }
}
