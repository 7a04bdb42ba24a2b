//! Poller state of polled sources: which are due, and how their latest fetch went.
//!
//! Rules:
//! - The state lives in the `sources` row (ETag, Last-Modified, failures, next poll, last
//!   success, last error), so a restarted process carries on where the previous one stopped and
//!   several processes sharing one PostgreSQL see the same schedule.
//! - Only `jobs::poller` writes these columns; `sources::add` creates the row with no state
//!   (a new source is due at once).
//! - A polled source has a `url` and a `format` and is not a webhook; the implicit per-page
//!   sources that `correlate` creates have no format, so they are never polled.
//! - Several instances share the schedule, so a due source is *claimed* before it is fetched:
//!   [`claim`] leases it to one poller (`lease_owner`, `lease_until`) in one statement, skipping
//!   sources another poller holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the write
//!   transaction's `BEGIN IMMEDIATE` already serialises claims). Recording the outcome releases
//!   the lease; a crashed poller's lease runs out and another poller takes the source.
//! - Each function is one statement: callers run it through [`super::Db::write`].

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::convert::{from_db_time, now, to_db_time};
use super::error::DbError;
use super::schema::sources;
use super::sources::SourceRow;

/// The kind of source that is pushed to us, never fetched.
const WEBHOOK_KIND: &str = "statuspage-webhook";

/// Polled sources whose next poll is unset (never polled) or not after `now`, oldest first,
/// leased or not: a listing. The poller takes its work with [`claim`].
pub fn due(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Vec<SourceRow>, DbError> {
    let now = to_db_time(now);
    Ok(sources::table
        .filter(sources::url.is_not_null())
        .filter(sources::format.is_not_null())
        .filter(sources::kind.ne(WEBHOOK_KIND))
        .filter(
            sources::next_poll_at
                .is_null()
                .or(sources::next_poll_at.le(now)),
        )
        .order(sources::created_at.asc())
        .select(SourceRow::as_select())
        .load(conn)?)
}

/// Leases up to `limit` due sources that nobody holds (no lease, or one that ran out by `now`)
/// to `owner` until `lease_until`, oldest first, and returns them. One statement; concurrent
/// claims never return the same source.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<SourceRow>, DbError> {
    let now = to_db_time(now);
    // The subquery reads the same table as the update: diesel needs it under another name.
    let candidates = diesel::alias!(sources as candidates);
    let claimable = candidates
        .filter(candidates.field(sources::url).is_not_null())
        .filter(candidates.field(sources::format).is_not_null())
        .filter(candidates.field(sources::kind).ne(WEBHOOK_KIND))
        .filter(
            candidates
                .field(sources::next_poll_at)
                .is_null()
                .or(candidates.field(sources::next_poll_at).le(now)),
        )
        .filter(
            candidates
                .field(sources::lease_until)
                .is_null()
                .or(candidates.field(sources::lease_until).lt(now)),
        )
        .order(candidates.field(sources::created_at).asc())
        .limit(limit)
        .select(candidates.field(sources::id));
    let lease = (
        sources::lease_owner.eq(owner),
        sources::lease_until.eq(to_db_time(lease_until)),
    );
    let mut claimed: Vec<SourceRow> = match conn {
        DbConn::Postgres(pg) => diesel::update(sources::table)
            .filter(sources::id.eq_any(claimable.for_update().skip_locked()))
            .set(lease)
            .returning(SourceRow::as_returning())
            .get_results(pg)?,
        DbConn::Sqlite(lite) => diesel::update(sources::table)
            .filter(sources::id.eq_any(claimable))
            .set(lease)
            .returning(SourceRow::as_returning())
            .get_results(lite)?,
    };
    // RETURNING gives no order; ids are UUID v7, so this is the oldest source first.
    claimed.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(claimed)
}

/// Gives back the leases `owner` still holds, so that other pollers may take those sources at
/// once (a stopping instance's unstarted or unfinished work). Returns how many were released.
pub fn release_held(conn: &mut DbConn, owner: &str) -> Result<usize, DbError> {
    Ok(diesel::update(
        sources::table
            .filter(sources::lease_owner.eq(owner))
            .filter(sources::lease_until.is_not_null()),
    )
    .set(sources::lease_until.eq(None::<chrono::NaiveDateTime>))
    .execute(conn)?)
}

/// The earliest time any polled source may be claimed, so the poller knows how long it may
/// sleep. A source never polled counts as due now; a source another poller holds counts as due
/// when its lease runs out (by then the holder has normally rescheduled it).
pub fn next_due_at(conn: &mut DbConn) -> Result<Option<DateTime<Utc>>, DbError> {
    let at = to_db_time(now());
    let polled = || {
        sources::table
            .filter(sources::url.is_not_null())
            .filter(sources::format.is_not_null())
            .filter(sources::kind.ne(WEBHOOK_KIND))
    };
    let free = || {
        polled().filter(
            sources::lease_until
                .is_null()
                .or(sources::lease_until.lt(at)),
        )
    };
    let unscheduled: i64 = free()
        .filter(sources::next_poll_at.is_null())
        .count()
        .get_result(conn)?;
    if unscheduled > 0 {
        return Ok(Some(now()));
    }
    let scheduled: Option<chrono::NaiveDateTime> = free()
        .select(diesel::dsl::min(sources::next_poll_at))
        .get_result(conn)?;
    let leased: Option<chrono::NaiveDateTime> = polled()
        .filter(sources::lease_until.ge(at))
        .select(diesel::dsl::min(sources::lease_until))
        .get_result(conn)?;
    let earliest = match (scheduled, leased) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(earliest.map(from_db_time))
}

/// A fetch that returned a new body which was applied: remember its validators, clear the
/// failure count, schedule the next poll and release the lease. `last_error` is kept (with its time) as history.
pub fn record_fetch_success(
    conn: &mut DbConn,
    id: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
    next_poll_at: DateTime<Utc>,
) -> Result<(), DbError> {
    let updated = diesel::update(sources::table.filter(sources::id.eq(id)))
        .set((
            // The validators always describe the body we applied: a server that stops sending an
            // ETag must not keep receiving the old one.
            sources::etag.eq(etag),
            sources::last_modified.eq(last_modified),
            sources::last_success_at.eq(Some(to_db_time(now()))),
            sources::failures.eq(0),
            sources::next_poll_at.eq(Some(to_db_time(next_poll_at))),
            sources::lease_until.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    found(updated)
}

/// A `304 Not Modified`: a success that changes nothing but the schedule (and releases the lease).
pub fn record_not_modified(
    conn: &mut DbConn,
    id: &str,
    next_poll_at: DateTime<Utc>,
) -> Result<(), DbError> {
    let updated = diesel::update(sources::table.filter(sources::id.eq(id)))
        .set((
            sources::last_success_at.eq(Some(to_db_time(now()))),
            sources::failures.eq(0),
            sources::next_poll_at.eq(Some(to_db_time(next_poll_at))),
            sources::lease_until.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    found(updated)
}

/// A failed fetch or ingest: the error, the new consecutive failure count and the backed-off
/// next poll, and the lease released. ETag and Last-Modified stay as they were, so nothing
/// half-applied is remembered.
pub fn record_fetch_failure(
    conn: &mut DbConn,
    id: &str,
    error: &str,
    failures: i32,
    next_poll_at: DateTime<Utc>,
) -> Result<(), DbError> {
    let updated = diesel::update(sources::table.filter(sources::id.eq(id)))
        .set((
            sources::last_error.eq(Some(error)),
            sources::last_error_at.eq(Some(to_db_time(now()))),
            sources::failures.eq(failures),
            sources::next_poll_at.eq(Some(to_db_time(next_poll_at))),
            sources::lease_until.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    found(updated)
}

/// Schedules a source's next poll, e.g. `at = now` to poll it in the next cycle.
pub fn schedule(conn: &mut DbConn, id: &str, at: DateTime<Utc>) -> Result<(), DbError> {
    let updated = diesel::update(sources::table.filter(sources::id.eq(id)))
        .set(sources::next_poll_at.eq(Some(to_db_time(at))))
        .execute(conn)?;
    found(updated)
}

/// A source deleted while it was being fetched is reported, not silently ignored.
fn found(rows: usize) -> Result<(), DbError> {
    if rows == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}
