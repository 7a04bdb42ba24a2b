//! Where spike evaluation of each service stands: the first minute not yet evaluated and the
//! episode (or run of hot minutes) in progress, as JSON the correlator writes and reads back.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::convert::{from_db_time, to_db_time};
use super::error::DbError;
use super::schema::spike_state;

/// A service's evaluation state as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredState {
    pub evaluated_until: DateTime<Utc>,
    pub open_state: Option<String>,
}

pub fn load_state(conn: &mut DbConn, service: &str) -> Result<Option<StoredState>, DbError> {
    let row: Option<(NaiveDateTime, Option<String>)> = spike_state::table
        .find(service)
        .select((spike_state::evaluated_until, spike_state::open_state))
        .get_result(conn)
        .optional()?;
    Ok(row.map(|(t, s)| StoredState {
        evaluated_until: from_db_time(t),
        open_state: s,
    }))
}

pub fn save_state(conn: &mut DbConn, service: &str, state: &StoredState) -> Result<(), DbError> {
    let until = to_db_time(state.evaluated_until);
    let updated = diesel::update(spike_state::table.find(service))
        .set((
            spike_state::evaluated_until.eq(until),
            spike_state::open_state.eq(state.open_state.as_deref()),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(spike_state::table)
            .values((
                spike_state::service_slug.eq(service),
                spike_state::evaluated_until.eq(until),
                spike_state::open_state.eq(state.open_state.as_deref()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Services whose evaluation carries an open episode or a run of hot minutes.
pub fn services_with_open_state(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    Ok(spike_state::table
        .filter(spike_state::open_state.is_not_null())
        .select(spike_state::service_slug)
        .load(conn)?)
}
