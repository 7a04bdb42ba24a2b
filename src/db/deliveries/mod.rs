//! Deliveries (`deliveries`, `delivery_attempts`): one message to one subscription, sent at
//! least once, in order (issue 21).
//!
//! Rules:
//! - A delivery's `id` (UUID v7) is its idempotency key: every attempt sends it (`webhook-id`),
//!   and the same body, rendered when the delivery was made.
//! - Order: deliveries are made in `seq` order, and one is claimed only when no delivery before
//!   it for the same subscription and incident (`incident_key`; empty for a confirmation or a
//!   test) is still pending. A pending one that is in flight (leased) holds the next back too,
//!   so order holds across instances. A dead one no longer holds anything back.
//! - Claims ([`claim`]) lease due deliveries in one statement, skipping those another worker
//!   holds: `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite `BEGIN IMMEDIATE` already
//!   serialises claims. A crashed worker's lease runs out, and the delivery is claimed again:
//!   nothing pending is lost after a `kill -9`, and a delivery may arrive twice (same id).
//! - A paused subscription's deliveries wait; an unconfirmed one's wait, but its confirmation.
//! - Every attempt is logged with its HTTP status (if any), latency and error.

mod claim;
mod pg_batch;
pub mod reader;

pub use claim::{Claimed, claim};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::convert::{from_db_time, opt_from_db, to_db_time};
use super::error::DbError;
use super::schema::{deliveries, delivery_attempts};

/// The event of a confirmation mail, sent before anything else to an email subscription.
pub const CONFIRMATION: &str = "subscription.confirm";
/// The event of the "send a test event" button.
pub const TEST: &str = "subscription.test";

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Delivered,
    /// Still failing after the give-up time: the next in its order goes ahead.
    Dead,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Dead => "dead",
        }
    }
}

/// A delivery to make.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub subscription_id: String,
    pub event: String,
    /// The incident it is about, or empty.
    pub incident_key: String,
    pub body: String,
}

/// Stores deliveries, due now, in the order given; returns their ids.
pub fn enqueue(
    conn: &mut DbConn,
    new: &[NewDelivery],
    at: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let at = to_db_time(at);
    let ids: Vec<String> = new
        .iter()
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let lite = match conn {
        DbConn::Postgres(pg) => {
            pg_batch::enqueue(pg, new, &ids, at)?;
            return Ok(ids);
        }
        DbConn::Sqlite(lite) => lite,
    };
    // One statement per delivery keeps `seq` in the order given.
    for (d, id) in new.iter().zip(&ids) {
        diesel::insert_into(deliveries::table)
            .values((
                deliveries::id.eq(id),
                deliveries::subscription_id.eq(&d.subscription_id),
                deliveries::event.eq(&d.event),
                deliveries::incident_key.eq(&d.incident_key),
                deliveries::body.eq(&d.body),
                deliveries::state.eq(State::Pending.as_str()),
                deliveries::attempts.eq(0),
                deliveries::next_attempt_at.eq(at),
                deliveries::created_at.eq(at),
            ))
            .execute(lite)?;
    }
    Ok(ids)
}

/// One attempt's outcome, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(DateTime<Utc>),
    Dead,
}

/// Logs an attempt and moves the delivery on; releases its lease.
pub fn record(conn: &mut DbConn, id: &str, attempt: &Attempt, next: Next) -> Result<(), DbError> {
    record_all(conn, &[(id.to_string(), attempt.clone(), next)])
}

/// [`record`] for a whole pass, in few statements: on PostgreSQL two (`pg_batch`); on
/// SQLite an insert per attempt, one update of the deliveries delivered at the same moment,
/// and one per retry or death.
pub fn record_all(conn: &mut DbConn, done: &[(String, Attempt, Next)]) -> Result<(), DbError> {
    if done.is_empty() {
        return Ok(());
    }
    let lite = match conn {
        DbConn::Postgres(pg) => return pg_batch::record_all(pg, done),
        DbConn::Sqlite(lite) => lite,
    };
    for (id, a, _) in done {
        diesel::insert_into(delivery_attempts::table)
            .values((
                delivery_attempts::delivery_id.eq(id),
                delivery_attempts::attempted_at.eq(to_db_time(a.attempted_at)),
                delivery_attempts::status_code.eq(a.status_code),
                delivery_attempts::latency_ms.eq(a.latency_ms),
                delivery_attempts::error.eq(&a.error),
            ))
            .execute(lite)?;
    }
    let mut delivered: BTreeMap<chrono::NaiveDateTime, Vec<&str>> = BTreeMap::new();
    for (id, attempt, next) in done {
        match next {
            Next::Delivered => delivered
                .entry(to_db_time(attempt.attempted_at))
                .or_default()
                .push(id),
            _ => move_on(lite, id, attempt, *next)?,
        }
    }
    for (at, ids) in delivered {
        diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids)))
            .set((
                deliveries::state.eq(State::Delivered.as_str()),
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::next_attempt_at.eq(at),
                deliveries::finished_at.eq(Some(at)),
                deliveries::last_error.eq(None::<String>),
                deliveries::lease_owner.eq(None::<String>),
                deliveries::lease_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(lite)?;
    }
    Ok(())
}

/// One delivery's state after an attempt; releases its lease.
fn move_on(
    conn: &mut diesel::SqliteConnection,
    id: &str,
    attempt: &Attempt,
    next: Next,
) -> Result<(), DbError> {
    let at = to_db_time(attempt.attempted_at);
    let (state, next_at, finished) = match next {
        Next::Delivered => (State::Delivered, at, Some(at)),
        Next::RetryAt(t) => (State::Pending, to_db_time(t), None),
        Next::Dead => (State::Dead, at, Some(at)),
    };
    diesel::update(deliveries::table.filter(deliveries::id.eq(id)))
        .set((
            deliveries::state.eq(state.as_str()),
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::next_attempt_at.eq(next_at),
            deliveries::finished_at.eq(finished),
            deliveries::last_error.eq(&attempt.error),
            deliveries::lease_owner.eq(None::<String>),
            deliveries::lease_until.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives back the leases `owner` holds, so another worker may send them at once.
pub fn release_held(conn: &mut DbConn, owner: &str) -> Result<usize, DbError> {
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::lease_owner.eq(owner))
            .filter(deliveries::state.eq(State::Pending.as_str())),
    )
    .set(deliveries::lease_until.eq(None::<chrono::NaiveDateTime>))
    .execute(conn)?)
}

/// A delivery as its subscription's page and API list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub event: String,
    pub incident_id: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub log: Vec<Attempt>,
}

type ListRow = (
    String,
    String,
    String,
    String,
    i32,
    chrono::NaiveDateTime,
    Option<String>,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
);

/// The last `limit` deliveries of a subscription, newest first, with their attempts.
pub fn recent(
    conn: &mut DbConn,
    subscription_id: &str,
    limit: i64,
) -> Result<Vec<Delivery>, DbError> {
    let rows: Vec<ListRow> = deliveries::table
        .filter(deliveries::subscription_id.eq(subscription_id))
        .order(deliveries::seq.desc())
        .limit(limit)
        .select((
            deliveries::id,
            deliveries::event,
            deliveries::incident_key,
            deliveries::state,
            deliveries::attempts,
            deliveries::next_attempt_at,
            deliveries::last_error,
            deliveries::created_at,
            deliveries::finished_at,
        ))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    type AttemptRow = (
        String,
        chrono::NaiveDateTime,
        Option<i32>,
        i64,
        Option<String>,
    );
    let attempts: Vec<AttemptRow> = delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq_any(&ids))
        .order(delivery_attempts::id.asc())
        .select((
            delivery_attempts::delivery_id,
            delivery_attempts::attempted_at,
            delivery_attempts::status_code,
            delivery_attempts::latency_ms,
            delivery_attempts::error,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Delivery {
            log: attempts
                .iter()
                .filter(|a| a.0 == r.0)
                .map(|a| Attempt {
                    attempted_at: from_db_time(a.1),
                    status_code: a.2,
                    latency_ms: a.3,
                    error: a.4.clone(),
                })
                .collect(),
            id: r.0,
            event: r.1,
            incident_id: Some(r.2).filter(|k| !k.is_empty()),
            state: r.3,
            attempts: r.4,
            next_attempt_at: from_db_time(r.5),
            last_error: r.6,
            created_at: from_db_time(r.7),
            finished_at: opt_from_db(r.8),
        })
        .collect())
}

/// Deletes a subscription's deliveries and their attempts.
pub fn delete_for(conn: &mut DbConn, subscription_id: &str) -> Result<(), DbError> {
    let ids = deliveries::table
        .filter(deliveries::subscription_id.eq(subscription_id))
        .select(deliveries::id);
    diesel::delete(delivery_attempts::table.filter(delivery_attempts::delivery_id.eq_any(ids)))
        .execute(conn)?;
    diesel::delete(deliveries::table.filter(deliveries::subscription_id.eq(subscription_id)))
        .execute(conn)?;
    Ok(())
}

/// How many deliveries are pending, for tests and the benchmark.
pub fn pending_count(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(deliveries::table
        .filter(deliveries::state.eq(State::Pending.as_str()))
        .count()
        .get_result(conn)?)
}

/// `(seq, incident_key, event)` of the deliveries made after `seq`, oldest first: the
/// benchmark's way to see when a change's deliveries were committed.
pub fn made_after(conn: &mut DbConn, seq: i64) -> Result<Vec<(i64, String, String)>, DbError> {
    Ok(deliveries::table
        .filter(deliveries::seq.gt(seq))
        .order(deliveries::seq.asc())
        .select((deliveries::seq, deliveries::incident_key, deliveries::event))
        .load(conn)?)
}

/// The earliest time a pending delivery is due, so a worker knows how long it may sleep.
pub fn next_due_at(conn: &mut DbConn) -> Result<Option<DateTime<Utc>>, DbError> {
    let at: Option<chrono::NaiveDateTime> = deliveries::table
        .filter(deliveries::state.eq(State::Pending.as_str()))
        .select(diesel::dsl::min(deliveries::next_attempt_at))
        .get_result(conn)?;
    Ok(opt_from_db(at))
}
