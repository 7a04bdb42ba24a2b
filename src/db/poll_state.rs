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

/// Polled sources whose next poll is unset (never polled) or not after `now`, oldest first.
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

/// The earliest scheduled poll of any polled source, so the poller knows how long it may sleep.
/// A source never polled counts as due now.
pub fn next_due_at(conn: &mut DbConn) -> Result<Option<DateTime<Utc>>, DbError> {
    let polled = sources::table
        .filter(sources::url.is_not_null())
        .filter(sources::format.is_not_null())
        .filter(sources::kind.ne(WEBHOOK_KIND));
    let unscheduled: i64 = polled
        .filter(sources::next_poll_at.is_null())
        .count()
        .get_result(conn)?;
    if unscheduled > 0 {
        return Ok(Some(now()));
    }
    let earliest: Option<chrono::NaiveDateTime> = polled
        .select(diesel::dsl::min(sources::next_poll_at))
        .get_result(conn)?;
    Ok(earliest.map(from_db_time))
}

/// A fetch that returned a new body which was applied: remember its validators, clear the
/// failure count and schedule the next poll. `last_error` is kept (with its time) as history.
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
        ))
        .execute(conn)?;
    found(updated)
}

/// A `304 Not Modified`: a success that changes nothing but the schedule.
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
        ))
        .execute(conn)?;
    found(updated)
}

/// A failed fetch or ingest: the error, the new consecutive failure count and the backed-off
/// next poll. ETag and Last-Modified stay as they were, so nothing half-applied is remembered.
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
