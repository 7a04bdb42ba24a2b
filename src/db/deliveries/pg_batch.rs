//! On PostgreSQL, a pass's rows in one statement per table rather than one per row: each
//! statement is a round trip to the server, and a fan-out of a few thousand deliveries or a
//! worker pass of 96 attempts spent most of its time waiting on them.
//!
//! Rules:
//! - Each column travels as one array parameter and `unnest … WITH ORDINALITY … ORDER BY` the
//!   ordinality puts the rows back in the order given, so `deliveries.seq` (a `BIGSERIAL`,
//!   handed out as the sorted rows are inserted) keeps the order the fan-out made them in,
//!   which the order rule of [`super`] rests on; attempts keep their order the same way.
//! - Written as SQL through `sql_query`: diesel's `VALUES` lists bind every field (nine columns
//!   run into PostgreSQL's 65,535 parameters at 7,281 rows), say nothing of the order of a
//!   serial, and are not there for the connection enum that serves both backends.
//! - SQLite keeps its single-row statements: diesel caches them, and there a statement is a
//!   function call, not a round trip.

use chrono::NaiveDateTime;
use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};

use super::super::convert::to_db_time;
use super::super::error::DbError;
use super::{Attempt, NewDelivery, Next, State};

/// Rows per statement: bounds one statement's size (a body is a few KiB), not its parameters.
const CHUNK: usize = 1_000;

const ENQUEUE: &str = "INSERT INTO deliveries \
     (id, subscription_id, event, incident_key, body, state, attempts, next_attempt_at, created_at) \
     SELECT d.id, d.subscription_id, d.event, d.incident_key, d.body, $6, 0, $7, $7 \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
     WITH ORDINALITY AS d(id, subscription_id, event, incident_key, body, n) \
     ORDER BY d.n";

/// Stores `new` (with their `ids`), pending and due at `at`, `seq` in the order given.
pub(super) fn enqueue(
    pg: &mut PgConnection,
    new: &[NewDelivery],
    ids: &[String],
    at: NaiveDateTime,
) -> Result<(), DbError> {
    for (rows, ids) in new.chunks(CHUNK).zip(ids.chunks(CHUNK)) {
        let column = |field: fn(&NewDelivery) -> &str| rows.iter().map(field).collect::<Vec<_>>();
        diesel::sql_query(ENQUEUE)
            .bind::<Array<Text>, _>(ids)
            .bind::<Array<Text>, _>(column(|d| &d.subscription_id))
            .bind::<Array<Text>, _>(column(|d| &d.event))
            .bind::<Array<Text>, _>(column(|d| &d.incident_key))
            .bind::<Array<Text>, _>(column(|d| &d.body))
            .bind::<Text, _>(State::Pending.as_str())
            .bind::<Timestamp, _>(at)
            .execute(pg)?;
    }
    Ok(())
}

const LOG: &str = "INSERT INTO delivery_attempts \
     (delivery_id, attempted_at, status_code, latency_ms, error) \
     SELECT a.delivery_id, a.attempted_at, a.status_code, a.latency_ms, a.error \
     FROM unnest($1::text[], $2::timestamp[], $3::int4[], $4::int8[], $5::text[]) \
     WITH ORDINALITY AS a(delivery_id, attempted_at, status_code, latency_ms, error, n) \
     ORDER BY a.n";

const MOVE_ON: &str = "UPDATE deliveries AS d SET state = m.state, attempts = d.attempts + 1, \
     next_attempt_at = m.next_at, finished_at = m.finished_at, last_error = m.error, \
     lease_owner = NULL, lease_until = NULL \
     FROM unnest($1::text[], $2::text[], $3::timestamp[], $4::timestamp[], $5::text[]) \
     AS m(id, state, next_at, finished_at, error) \
     WHERE d.id = m.id";

/// Logs a pass's attempts and moves each delivery on (releasing its lease): two statements
/// for the whole pass, whatever the outcomes.
pub(super) fn record_all(
    pg: &mut PgConnection,
    done: &[(String, Attempt, Next)],
) -> Result<(), DbError> {
    for rows in done.chunks(CHUNK) {
        let ids: Vec<&str> = rows.iter().map(|(id, _, _)| id.as_str()).collect();
        let at: Vec<NaiveDateTime> = rows
            .iter()
            .map(|(_, a, _)| to_db_time(a.attempted_at))
            .collect();
        let errors: Vec<Option<&str>> = rows.iter().map(|(_, a, _)| a.error.as_deref()).collect();
        diesel::sql_query(LOG)
            .bind::<Array<Text>, _>(&ids)
            .bind::<Array<Timestamp>, _>(&at)
            .bind::<Array<Nullable<Integer>>, _>(
                rows.iter()
                    .map(|(_, a, _)| a.status_code)
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<BigInt>, _>(
                rows.iter()
                    .map(|(_, a, _)| a.latency_ms)
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Nullable<Text>>, _>(&errors)
            .execute(pg)?;
        let moves: Vec<Move> = rows.iter().map(|(_, a, next)| Move::of(a, *next)).collect();
        diesel::sql_query(MOVE_ON)
            .bind::<Array<Text>, _>(&ids)
            .bind::<Array<Text>, _>(moves.iter().map(|m| m.state).collect::<Vec<_>>())
            .bind::<Array<Timestamp>, _>(moves.iter().map(|m| m.next_at).collect::<Vec<_>>())
            .bind::<Array<Nullable<Timestamp>>, _>(
                moves.iter().map(|m| m.finished_at).collect::<Vec<_>>(),
            )
            .bind::<Array<Nullable<Text>>, _>(moves.iter().map(|m| m.error).collect::<Vec<_>>())
            .execute(pg)?;
    }
    Ok(())
}

/// A delivery's state after an attempt, as [`super::move_on`] writes it on SQLite.
struct Move<'a> {
    state: &'static str,
    next_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
    error: Option<&'a str>,
}

impl<'a> Move<'a> {
    fn of(attempt: &'a Attempt, next: Next) -> Self {
        let at = to_db_time(attempt.attempted_at);
        let error = attempt.error.as_deref();
        match next {
            // A delivered one keeps no error, whatever the attempt said.
            Next::Delivered => Self {
                state: State::Delivered.as_str(),
                next_at: at,
                finished_at: Some(at),
                error: None,
            },
            Next::RetryAt(t) => Self {
                state: State::Pending.as_str(),
                next_at: to_db_time(t),
                finished_at: None,
                error,
            },
            Next::Dead => Self {
                state: State::Dead.as_str(),
                next_at: at,
                finished_at: Some(at),
                error,
            },
        }
    }
}
