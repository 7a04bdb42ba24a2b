//! One evaluator of spikes and links at a time per store.
//!
//! Rules:
//! - Spike evaluation reads the counts as they are and rewrites what it derived from them.
//!   Two evaluators interleaving (two backfills, or a backfill and the minute job) could each
//!   write from a different view of the counts, and links computed around one's incidents
//!   could read the other's half-written ones. So evaluators take this lock first, and each
//!   sees what the one before it committed.
//! - PostgreSQL: a session-level advisory lock on the evaluator's connection, keyed by
//!   (`LOCK_CLASS`, the hash of the current schema), so two stores in one database do not wait
//!   for each other. The work under it runs in units of one transaction each, so no
//!   transaction lasts as long as the whole evaluation. A process that dies loses its session
//!   and with it the lock.
//! - SQLite: `BEGIN IMMEDIATE` already admits one writer at a time. Work that must not
//!   interleave with another evaluator's runs in one write transaction
//!   ([`Sqlite::OneTransaction`]); work that only needs each unit whole runs unit by unit.

use diesel::RunQueryDsl;
use diesel::sql_types::Integer;

use super::{Backend, Db, DbConn, DbError};

/// The first half of the advisory lock's key: "Aftermath spike evaluation".
pub const LOCK_CLASS: i32 = 0x4166_5345;

/// How the work runs on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sqlite {
    /// All units in one write transaction: no other writer between them.
    OneTransaction,
    /// Each unit in its own write transaction.
    PerUnit,
}

/// The connection the evaluator holds the lock on; [`Exclusive::unit`] runs one unit of work.
pub struct Exclusive<'a> {
    conn: &'a mut DbConn,
    /// Inside one transaction already (SQLite, [`Sqlite::OneTransaction`]).
    whole: bool,
}

impl Exclusive<'_> {
    /// Runs `f` as one unit: its own write transaction, unless all of the work is one.
    pub fn unit<T>(
        &mut self,
        f: impl FnOnce(&mut DbConn) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        if self.whole {
            f(self.conn)
        } else {
            super::write_transaction(self.conn, f)
        }
    }
}

/// Runs `f` while no other evaluator of this store runs (see the module rules).
pub fn exclusively<T>(
    db: &Db,
    sqlite: Sqlite,
    f: impl FnOnce(&mut Exclusive<'_>) -> Result<T, DbError>,
) -> Result<T, DbError> {
    match (db.backend(), sqlite) {
        (Backend::Sqlite, Sqlite::OneTransaction) => {
            db.write(|conn| f(&mut Exclusive { conn, whole: true }))
        }
        (Backend::Sqlite, Sqlite::PerUnit) => {
            db.run(|conn| f(&mut Exclusive { conn, whole: false }))
        }
        (Backend::Postgres, _) => db.run(|conn| {
            advisory(conn, "pg_advisory_lock")?;
            let result = f(&mut Exclusive { conn, whole: false });
            // Released whatever `f` did: the connection goes back to the pool.
            let released = advisory(conn, "pg_advisory_unlock");
            match (result, released) {
                (Ok(value), Ok(())) => Ok(value),
                (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            }
        }),
    }
}

fn advisory(conn: &mut DbConn, function: &str) -> Result<(), DbError> {
    diesel::sql_query(format!("SELECT {function}($1, hashtext(current_schema()))"))
        .bind::<Integer, _>(LOCK_CLASS)
        .execute(conn)?;
    Ok(())
}
