//! The outbox: the only bridge from the store to the search index.
//!
//! Guarantee: a row is appended in the same transaction as the change it announces, so a change
//! is announced if and only if it committed. Readers replay rows idempotently (the row names an
//! entity, not a diff), so duplicates and replays are harmless.

use diesel::prelude::*;

use super::DbConn;
use super::convert::{now, to_db_time};
use super::error::DbError;
use super::schema::outbox;

pub const ENTITY_INCIDENT: &str = "incident";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub operation: String,
}

/// Announces that an entity changed. Call it inside the write transaction of the change.
pub fn append(
    conn: &mut DbConn,
    entity: &str,
    entity_id: &str,
    operation: &str,
) -> Result<(), DbError> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::entity.eq(entity),
            outbox::entity_id.eq(entity_id),
            outbox::operation.eq(operation),
            outbox::created_at.eq(to_db_time(now())),
        ))
        .execute(conn)?;
    crate::telemetry::metrics::count_write(entity, operation);
    Ok(())
}

/// Rows after `after`, oldest first.
pub fn read_after(conn: &mut DbConn, after: i64, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
    Ok(outbox::table
        .filter(outbox::seq.gt(after))
        .order(outbox::seq.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// The newest sequence number, 0 when the outbox is empty.
pub fn latest_seq(conn: &mut DbConn) -> Result<i64, DbError> {
    let max: Option<i64> = outbox::table
        .select(diesel::dsl::max(outbox::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}
