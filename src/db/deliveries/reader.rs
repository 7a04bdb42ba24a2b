//! The notification fan-out as a reader of the outbox: its position is a row of
//! `index_replicas` (kind `notifications`, one row for the store, since only the leader runs
//! it), so pruning waits for it like for any index.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::super::DbConn;
use super::super::convert::to_db_time;
use super::super::error::DbError;
use super::super::outbox::{self, Position};
use super::super::replicas;
use super::super::schema::index_replicas;

/// The fan-out's row id and kind in `index_replicas`.
pub const READER: &str = "notifications";

/// Where the fan-out is, if it is registered: a plain read, one statement, for every pass
/// but the first ([`advance`] checks the position again when it moves it).
pub fn registered(conn: &mut DbConn) -> Result<Option<Position>, DbError> {
    let row: Option<(i64, i64)> = index_replicas::table
        .find(READER)
        .select((index_replicas::position_txid, index_replicas::position_seq))
        .first(conn)
        .optional()?;
    Ok(row.map(|(txid, seq)| Position {
        txid: txid.max(0) as u64,
        seq,
    }))
}

/// Where the fan-out is; a first start registers it at the outbox's end (history is never
/// notified). Call it in a write transaction.
pub fn position(conn: &mut DbConn, host: &str, at: DateTime<Utc>) -> Result<Position, DbError> {
    match registered(conn)? {
        Some(position) => Ok(position),
        None => {
            let start = outbox::start_position(conn)?;
            replicas::beat(conn, READER, READER, host, start, at)?;
            Ok(start)
        }
    }
}

/// Moves the fan-out from `from` to `to`, only if it is still at `from`: a leader that lost
/// its lock while working cannot enqueue a batch twice. Returns whether it moved.
pub fn advance(
    conn: &mut DbConn,
    from: Position,
    to: Position,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let txid = |p: Position| i64::try_from(p.txid).unwrap_or(i64::MAX);
    let moved = diesel::update(
        index_replicas::table
            .find(READER)
            .filter(index_replicas::position_txid.eq(txid(from)))
            .filter(index_replicas::position_seq.eq(from.seq)),
    )
    .set((
        index_replicas::position_txid.eq(txid(to)),
        index_replicas::position_seq.eq(to.seq),
        index_replicas::heartbeat_at.eq(to_db_time(at)),
    ))
    .execute(conn)?;
    Ok(moved == 1)
}
