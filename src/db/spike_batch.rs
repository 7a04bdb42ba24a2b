//! Spike evaluation's reads and writes for many services at once, for live evaluation
//! (`correlate::spikes::live`): a few statements for a chunk of services instead of a dozen for
//! each, since on PostgreSQL a round trip is what costs. The per-service forms are in
//! `reports` and `spike_state`; these give the same values.
//!
//! Rules:
//! - Every read takes the chunk's services as one list and reads, for each service, a range of
//!   a primary key: a service's first minute is the first key of its buckets (an index probe,
//!   not an aggregate over its history), and counts are read for a bounded range of minutes.
//! - States are written as a multi-row upsert (`INSERT … ON CONFLICT DO UPDATE`, both backends),
//!   with the same effect as `spike_state::save_state` for each of them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamp};
use diesel::upsert::excluded;

use super::DbConn;
use super::convert::{from_db_time, to_db_time};
use super::error::DbError;
use super::schema::{report_buckets, spike_state};
use super::spike_state::StoredState;

/// Rows per upsert: 3 parameters each, well under both backends' bind-parameter limits.
const ROWS: usize = 500;

#[derive(QueryableByName)]
struct FirstMinute {
    #[diesel(sql_type = Text)]
    service_slug: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    first: Option<NaiveDateTime>,
}

/// The first minute each service has counts for (`reports::first_minute` of each); services
/// without counts are left out.
pub fn first_minutes(
    conn: &mut DbConn,
    services: &[String],
) -> Result<HashMap<String, DateTime<Utc>>, DbError> {
    // A correlated `min` is answered from the primary key (service, minute) with one probe per
    // service on both backends; `GROUP BY` would read every bucket of every service.
    let rows: Vec<FirstMinute> = match conn {
        DbConn::Postgres(c) => diesel::sql_query(
            "SELECT s.slug AS service_slug, \
             (SELECT min(b.minute) FROM report_buckets b WHERE b.service_slug = s.slug) AS first \
             FROM unnest($1::text[]) AS s(slug)",
        )
        .bind::<diesel::sql_types::Array<Text>, _>(services)
        .load(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT s.value AS service_slug, \
             (SELECT min(b.minute) FROM report_buckets b WHERE b.service_slug = s.value) AS first \
             FROM json_each(?) AS s",
        )
        .bind::<Text, _>(serde_json::Value::from(services.to_vec()).to_string())
        .load(c)?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.service_slug, from_db_time(r.first?))))
        .collect())
}

/// The stored states of the services that have one (`spike_state::load_state` of each).
pub fn load_states(
    conn: &mut DbConn,
    services: &[String],
) -> Result<HashMap<String, StoredState>, DbError> {
    let rows: Vec<(String, NaiveDateTime, Option<String>)> = spike_state::table
        .filter(spike_state::service_slug.eq_any(services))
        .select((
            spike_state::service_slug,
            spike_state::evaluated_until,
            spike_state::open_state,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(service, until, open_state)| {
            let state = StoredState {
                evaluated_until: from_db_time(until),
                open_state,
            };
            (service, state)
        })
        .collect())
}

/// Non-empty minutes of the services in `[from, to)`: (service, minute, count), in no order.
pub fn buckets_between(
    conn: &mut DbConn,
    services: &[&str],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>, i64)>, DbError> {
    let rows: Vec<(String, NaiveDateTime, i64)> = report_buckets::table
        .filter(report_buckets::service_slug.eq_any(services))
        .filter(report_buckets::minute.ge(to_db_time(from)))
        .filter(report_buckets::minute.lt(to_db_time(to)))
        .select((
            report_buckets::service_slug,
            report_buckets::minute,
            report_buckets::count,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(s, m, c)| (s, from_db_time(m), c))
        .collect())
}

#[derive(Insertable)]
#[diesel(table_name = spike_state)]
// A state with nothing to carry is NULL, not the column's default (SQLite's multi-row VALUES
// has no DEFAULT).
#[diesel(treat_none_as_default_value = false)]
struct StateRow<'a> {
    service_slug: &'a str,
    evaluated_until: NaiveDateTime,
    open_state: Option<&'a str>,
}

/// Saves the states of many services (`spike_state::save_state` of each). Each service once.
pub fn save_states(conn: &mut DbConn, states: &[(String, StoredState)]) -> Result<(), DbError> {
    let rows: Vec<StateRow<'_>> = states
        .iter()
        .map(|(service, state)| StateRow {
            service_slug: service,
            evaluated_until: to_db_time(state.evaluated_until),
            open_state: state.open_state.as_deref(),
        })
        .collect();
    for chunk in rows.chunks(ROWS) {
        super::on_backend!(conn, |c| diesel::insert_into(spike_state::table)
            .values(chunk)
            .on_conflict(spike_state::service_slug)
            .do_update()
            .set((
                spike_state::evaluated_until.eq(excluded(spike_state::evaluated_until)),
                spike_state::open_state.eq(excluded(spike_state::open_state)),
            ))
            .execute(c))?;
    }
    Ok(())
}
