//! Pruning the outbox behind its slowest live reader.
//!
//! Rules:
//! - A row goes only when every reader registered in `index_replicas` has passed it (its
//!   position is at or after the row's `(txid, seq)`) and it is older than the retention. On
//!   PostgreSQL it must also lie below the horizon (`txid` older than every running
//!   transaction), so a reader that rebuilds now starts past every pruned row.
//! - Readers silent for longer than the retention are forgotten first; with no reader left,
//!   the age alone decides.
//! - Rows go in bounded batches, each its own transaction, oldest first; each batch raises the
//!   mark in `outbox_pruned` to the highest position it deleted, in the same transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::{Position, parse_xid};
use crate::db::convert::to_db_time;
use crate::db::replicas::{self, Replica};
use crate::db::schema::{outbox, outbox_pruned};
use crate::db::{DbConn, DbError, write_transaction};

/// Rows deleted per transaction: a first prune of a store whose outbox only grew must not hold
/// one long transaction (which would itself hold every reader's horizon back).
const BATCH: i64 = 5_000;

/// What one prune did.
#[derive(Debug, Clone, Default)]
pub struct Pruned {
    /// Outbox rows deleted.
    pub rows: u64,
    /// Readers forgotten because they were silent for longer than the retention.
    pub forgotten: Vec<Replica>,
    /// The highest position pruned so far (this prune's or an earlier one's).
    pub through: Position,
}

/// Deletes the outbox rows that every live reader has passed and that are older than
/// `retention` at `now`, after forgetting the readers silent for longer than `retention`.
pub fn prune(
    conn: &mut DbConn,
    retention: Duration,
    now: DateTime<Utc>,
) -> Result<Pruned, DbError> {
    let Some(cutoff) = chrono::Duration::from_std(retention)
        .ok()
        .and_then(|r| now.checked_sub_signed(r))
    else {
        // A retention beyond the calendar keeps everything.
        return Ok(Pruned::default());
    };
    let forgotten = write_transaction(conn, |c| replicas::forget_silent(c, cutoff))?;
    let mut pruned = Pruned {
        forgotten,
        ..Pruned::default()
    };
    loop {
        let (rows, last) = write_transaction(conn, |c| prune_batch(c, cutoff, now))?;
        pruned.rows += rows;
        if rows < BATCH as u64 || last.is_none() {
            break;
        }
    }
    pruned.through = pruned_through(conn)?;
    Ok(pruned)
}

/// The highest outbox position ever pruned; `(0, 0)` before the first prune.
pub fn pruned_through(conn: &mut DbConn) -> Result<Position, DbError> {
    let mark: Option<(i64, i64)> = outbox_pruned::table
        .find(1)
        .select((outbox_pruned::through_txid, outbox_pruned::through_seq))
        .first(conn)
        .optional()?;
    Ok(mark.map_or(Position::default(), |(txid, seq)| Position {
        txid: txid.max(0) as u64,
        seq,
    }))
}

/// One batch: the rows deleted, and the highest position among them.
fn prune_batch(
    conn: &mut DbConn,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(u64, Option<Position>), DbError> {
    // The slowest live reader; nothing bounds a store nobody reads.
    let floor = replicas::list(conn)?
        .iter()
        .map(|r| r.position)
        .min()
        .unwrap_or(Position {
            txid: i64::MAX as u64,
            seq: i64::MAX,
        });
    let cutoff = to_db_time(cutoff);
    let (rows, last) = match conn {
        DbConn::Sqlite(c) => delete_sqlite(c, floor, cutoff)?,
        DbConn::Postgres(c) => delete_postgres(c, floor, cutoff)?,
    };
    if let Some(last) = last {
        raise_mark(conn, last, now)?;
    }
    Ok((rows, last))
}

/// SQLite's `seq` is in commit order, and the write transaction holds the only write lock.
fn delete_sqlite(
    c: &mut diesel::SqliteConnection,
    floor: Position,
    cutoff: chrono::NaiveDateTime,
) -> Result<(u64, Option<Position>), DbError> {
    let seqs: Vec<i64> = outbox::table
        .filter(outbox::created_at.lt(cutoff))
        .filter(outbox::seq.le(floor.seq))
        .order(outbox::seq.asc())
        .limit(BATCH)
        .select(outbox::seq)
        .load(c)?;
    let Some(&last) = seqs.last() else {
        return Ok((0, None));
    };
    let rows = diesel::delete(
        outbox::table
            .filter(outbox::created_at.lt(cutoff))
            .filter(outbox::seq.le(last)),
    )
    .execute(c)?;
    Ok((rows as u64, Some(Position { txid: 0, seq: last })))
}

#[derive(QueryableByName)]
struct Deleted {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Text)]
    txid: String,
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// One statement, so the rows chosen are the rows deleted; below the horizon only.
fn delete_postgres(
    c: &mut diesel::PgConnection,
    floor: Position,
    cutoff: chrono::NaiveDateTime,
) -> Result<(u64, Option<Position>), DbError> {
    let deleted: Option<Deleted> = diesel::sql_query(
        "WITH gone AS ( \
           DELETE FROM outbox WHERE seq IN ( \
             SELECT seq FROM outbox \
             WHERE created_at < $1 \
               AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
               AND (txid, seq) <= ($2::text::xid8, $3) \
             ORDER BY txid, seq LIMIT $4) \
           RETURNING txid, seq) \
         SELECT (SELECT count(*) FROM gone) AS n, g.txid::text AS txid, g.seq \
         FROM gone g ORDER BY g.txid DESC, g.seq DESC LIMIT 1",
    )
    .bind::<Timestamp, _>(cutoff)
    .bind::<Text, _>(floor.txid.to_string())
    .bind::<BigInt, _>(floor.seq)
    .bind::<BigInt, _>(BATCH)
    .get_result(c)
    .optional()?;
    match deleted {
        None => Ok((0, None)),
        Some(d) => Ok((
            d.n.max(0) as u64,
            Some(Position {
                txid: parse_xid(&d.txid)?,
                seq: d.seq,
            }),
        )),
    }
}

/// Raises the pruned mark to `to`; never lowers it (two pruners may overlap).
fn raise_mark(conn: &mut DbConn, to: Position, now: DateTime<Utc>) -> Result<(), DbError> {
    let txid = i64::try_from(to.txid).unwrap_or(i64::MAX);
    diesel::update(
        outbox_pruned::table.filter(outbox_pruned::id.eq(1)).filter(
            outbox_pruned::through_txid
                .lt(txid)
                .or(outbox_pruned::through_txid
                    .eq(txid)
                    .and(outbox_pruned::through_seq.lt(to.seq))),
        ),
    )
    .set((
        outbox_pruned::through_txid.eq(txid),
        outbox_pruned::through_seq.eq(to.seq),
        outbox_pruned::pruned_at.eq(Some(to_db_time(now))),
    ))
    .execute(conn)?;
    Ok(())
}
