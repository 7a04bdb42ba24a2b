//! The PostgreSQL horizon: rows committed but not yet readable, and who holds them back.
//!
//! Readers take only rows whose transaction is older than the oldest transaction running in
//! the whole cluster (`pg_snapshot_xmin`), so one long transaction anywhere, even in another
//! database, holds every reader back. These two reads let the indexer tell that apart from
//! real lag and name the backend to look at (docs/operations.md, "The index horizon").

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamptz};

use super::parse_xid;
use crate::db::{DbConn, DbError};

/// Committed rows still at or above the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldBack {
    /// The horizon itself: the oldest transaction still running.
    pub horizon: u64,
    pub rows: i64,
}

#[derive(QueryableByName)]
struct HeldRow {
    #[diesel(sql_type = Text)]
    horizon: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The committed rows the horizon holds back right now; `None` when there are none, and
/// always on SQLite (one writer commits in order: it has no such horizon).
pub fn held_back(conn: &mut DbConn) -> Result<Option<HeldBack>, DbError> {
    let DbConn::Postgres(c) = conn else {
        return Ok(None);
    };
    // Rows this statement sees are committed; those at or above its xmin are not yet readable.
    let row: HeldRow = diesel::sql_query(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon, count(*) AS n \
         FROM outbox WHERE txid >= pg_snapshot_xmin(pg_current_snapshot())",
    )
    .get_result(c)?;
    Ok((row.n > 0).then_some(HeldBack {
        horizon: parse_xid(&row.horizon)?,
        rows: row.n,
    }))
}

/// The backend with the oldest transaction or snapshot, as `pg_stat_activity` shows it. Fields
/// the database user may not see are `None`.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Holder {
    #[diesel(sql_type = Integer)]
    pub pid: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub datname: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub state: Option<String>,
    /// Seconds since its transaction began.
    #[diesel(sql_type = Nullable<Double>)]
    pub xact_age_seconds: Option<f64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub query_start: Option<DateTime<Utc>>,
}

/// Who holds the horizon back: the other backend whose `backend_xid` or `backend_xmin` is the
/// oldest (its query text is left out: it may hold data). `None` on SQLite, or when no backend
/// shows one (a prepared transaction or a replication slot can hold it too).
pub fn holder(conn: &mut DbConn) -> Result<Option<Holder>, DbError> {
    let DbConn::Postgres(c) = conn else {
        return Ok(None);
    };
    Ok(diesel::sql_query(
        "SELECT pid, datname::text AS datname, state, \
           EXTRACT(EPOCH FROM (now() - xact_start))::float8 AS xact_age_seconds, query_start \
         FROM pg_stat_activity \
         WHERE pid <> pg_backend_pid() \
           AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL) \
         ORDER BY GREATEST(age(backend_xmin), age(backend_xid)) DESC NULLS LAST \
         LIMIT 1",
    )
    .get_result(c)
    .optional()?)
}
