//! Row locks and versions: what lets several processes write one incident without losing a
//! change (DESIGN.md, "Several instances").
//!
//! Rules:
//! - A write that reads an incident to change it takes [`lock`] inside its transaction, before
//!   it reads anything of the incident, and reads the row from it. On PostgreSQL that is
//!   `SELECT … FOR NO KEY UPDATE`: the lock an UPDATE that keeps the key takes, held to commit,
//!   so a second writer waits and then reads what the first committed. Rows that only refer to
//!   the incident (entries, links of other writers) are not blocked by it. SQLite's
//!   `BEGIN IMMEDIATE` already serialises writers, so there it is a plain read.
//! - A bulk ingest locks the incidents it will change once per transaction, with the read it
//!   makes anyway (`db::prefetch`), in (source, external id) order so that two batches lock in
//!   the same order.
//! - The version moves only in `outbox::append` of an incident: every change to what an
//!   incident shows is announced there, in the same transaction (see its module rules).
//! - A write with a precondition checks it under the lock ([`check`]): nothing can change the
//!   incident between the check and the write.

use diesel::prelude::*;

use super::convert::IncidentRow;
use super::error::DbError;
use super::schema::{incident_links, incidents};
use super::{DbConn, outbox};
use crate::domain::{IncidentId, Precondition};

/// The incident's row, locked until the transaction ends; `NotFound` when there is none.
pub fn lock(conn: &mut DbConn, id: &str) -> Result<IncidentRow, DbError> {
    let query = || incidents::table.filter(incidents::id.eq(id));
    Ok(match conn {
        DbConn::Postgres(c) => query()
            .select(IncidentRow::as_select())
            .for_no_key_update()
            .get_result(c)?,
        DbConn::Sqlite(c) => query().select(IncidentRow::as_select()).get_result(c)?,
    })
}

/// `Stale` (naming the version now current) unless `expected` admits the locked `row`'s version.
pub fn check(row: &IncidentRow, expected: &Precondition) -> Result<(), DbError> {
    if expected.admits(row.version) {
        Ok(())
    } else {
        Err(DbError::Stale {
            current: row.version,
        })
    }
}

/// The incident's version as this transaction sees it.
pub fn current(conn: &mut DbConn, id: IncidentId) -> Result<i64, DbError> {
    Ok(incidents::table
        .filter(incidents::id.eq(id.to_string()))
        .select(incidents::version)
        .get_result(conn)?)
}

/// Announces the incidents that link to `id`: their links show its title, so a new title
/// changes them too.
pub(super) fn announce_linking(conn: &mut DbConn, id: &str) -> Result<(), DbError> {
    let linking: Vec<String> = incident_links::table
        .filter(incident_links::to_incident.eq(id))
        .select(incident_links::from_incident)
        .distinct()
        .order(incident_links::from_incident)
        .load(conn)?;
    for other in linking {
        outbox::append(
            conn,
            outbox::Entity::Incident,
            &other,
            outbox::Operation::Update,
        )?;
    }
    Ok(())
}
