//! The readers of the outbox and where each one is (`index_replicas`).
//!
//! Rules:
//! - Every reader of the outbox registers here: each instance's search index (kind
//!   [`INDEX`]), and any other reader that comes (notifications will be one). Its row holds its
//!   position, and it beats (rewrites the row) at start, after it moves and every
//!   [`heartbeat_interval`] at least; a restart of the same reader is the same row.
//! - A registered position is one the reader has reached, never ahead of it: pruning
//!   (`outbox::prune`) deletes only rows every live reader's registered position has passed.
//! - A reader silent for longer than the outbox retention is forgotten by the pruner, and stops
//!   holding pruning back. If it comes back, its next outbox read says rows it never applied
//!   are gone (`outbox::Tail::pruned_past`), and it starts over from the store.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::convert::{from_db_time, to_db_time};
use super::error::DbError;
use super::outbox::Position;
use super::schema::index_replicas;

/// The kind of an instance's search index.
pub const INDEX: &str = "index";

/// One registered reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    pub id: String,
    pub kind: String,
    pub host: String,
    pub position: Position,
    pub heartbeat_at: DateTime<Utc>,
    pub registered_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = index_replicas)]
struct Row {
    id: String,
    kind: String,
    host: String,
    position_txid: i64,
    position_seq: i64,
    heartbeat_at: chrono::NaiveDateTime,
    registered_at: chrono::NaiveDateTime,
}

impl From<Row> for Replica {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            host: r.host,
            position: Position {
                txid: r.position_txid.max(0) as u64,
                seq: r.position_seq,
            },
            heartbeat_at: from_db_time(r.heartbeat_at),
            registered_at: from_db_time(r.registered_at),
        }
    }
}

/// How often a reader beats when the retention is `retention`: often enough that a live reader
/// is never taken for a silent one (several beats fit in the retention), and at most every 5 s.
pub fn heartbeat_interval(retention: Duration) -> Duration {
    (retention / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))
}

/// Registers the reader `id`, or records that it is alive at `position`. Call it in a write
/// transaction; `at` is the heartbeat's time.
pub fn beat(
    conn: &mut DbConn,
    id: &str,
    kind: &str,
    host: &str,
    position: Position,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let at = to_db_time(at);
    let txid = i64::try_from(position.txid).unwrap_or(i64::MAX);
    let updated = diesel::update(index_replicas::table.find(id))
        .set((
            index_replicas::kind.eq(kind),
            index_replicas::host.eq(host),
            index_replicas::position_txid.eq(txid),
            index_replicas::position_seq.eq(position.seq),
            index_replicas::heartbeat_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(index_replicas::table)
            .values((
                index_replicas::id.eq(id),
                index_replicas::kind.eq(kind),
                index_replicas::host.eq(host),
                index_replicas::position_txid.eq(txid),
                index_replicas::position_seq.eq(position.seq),
                index_replicas::heartbeat_at.eq(at),
                index_replicas::registered_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Every registered reader, oldest registration first.
pub fn list(conn: &mut DbConn) -> Result<Vec<Replica>, DbError> {
    let rows: Vec<Row> = index_replicas::table
        .order((
            index_replicas::registered_at.asc(),
            index_replicas::id.asc(),
        ))
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Replica::from).collect())
}

/// Forgets the readers whose last beat is older than `cutoff`, and returns them.
pub fn forget_silent(conn: &mut DbConn, cutoff: DateTime<Utc>) -> Result<Vec<Replica>, DbError> {
    let cutoff = to_db_time(cutoff);
    let silent: Vec<Row> = index_replicas::table
        .filter(index_replicas::heartbeat_at.lt(cutoff))
        .select(Row::as_select())
        .load(conn)?;
    if !silent.is_empty() {
        let ids: Vec<&str> = silent.iter().map(|r| r.id.as_str()).collect();
        // Still silent: one that beat meanwhile stays.
        diesel::delete(
            index_replicas::table
                .filter(index_replicas::id.eq_any(ids))
                .filter(index_replicas::heartbeat_at.lt(cutoff)),
        )
        .execute(conn)?;
    }
    Ok(silent.into_iter().map(Replica::from).collect())
}
