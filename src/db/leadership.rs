//! The leader's lock on PostgreSQL: a session-level advisory lock, one per store.
//!
//! Rules:
//! - The lock lives as long as the session that took it, so it is taken on a connection of its
//!   own ([`super::Db::session`]), never a pooled one: a pooled connection would carry the lock
//!   to whichever request borrowed it next, and the pool could close it at any time.
//! - The key is derived from the store (the database and the schema the connection works in),
//!   not a constant: stores that share one PostgreSQL, such as the test suite's schemas, each
//!   elect their own leader. It is distinct from the migration lock's key (`migrate`).
//! - These are PostgreSQL's; on SQLite the one process leads alone and never calls them.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use sha2::{Digest, Sha256};

use super::DbConn;
use super::error::DbError;

#[derive(QueryableByName)]
struct Place {
    #[diesel(sql_type = Text)]
    place: String,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

/// The advisory lock key of the store this connection works in.
pub fn lock_key(conn: &mut DbConn) -> Result<i64, DbError> {
    let pg = postgres(conn)?;
    let place: Place = diesel::sql_query(
        "SELECT current_database() || '/' || COALESCE(current_schema(), '') AS place",
    )
    .get_result(pg)?;
    Ok(key_of(&place.place))
}

/// A stable 64-bit key for a store's name, in a namespace of its own.
fn key_of(place: &str) -> i64 {
    let digest = Sha256::digest(format!("aftermath leader\0{place}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Takes the lock if nobody holds it; `true` when this session now holds it.
pub fn try_lock(conn: &mut DbConn, key: i64) -> Result<bool, DbError> {
    let flag: Flag = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS flag")
        .bind::<BigInt, _>(key)
        .get_result(postgres(conn)?)?;
    Ok(flag.flag)
}

/// Gives the lock back; `false` when this session did not hold it.
pub fn unlock(conn: &mut DbConn, key: i64) -> Result<bool, DbError> {
    let flag: Flag = diesel::sql_query("SELECT pg_advisory_unlock($1) AS flag")
        .bind::<BigInt, _>(key)
        .get_result(postgres(conn)?)?;
    Ok(flag.flag)
}

/// Whether the session still answers (and so still holds what it locked).
pub fn alive(conn: &mut DbConn) -> Result<(), DbError> {
    Ok(conn.batch_execute("SELECT 1")?)
}

fn postgres(conn: &mut DbConn) -> Result<&mut diesel::PgConnection, DbError> {
    match conn {
        DbConn::Postgres(pg) => Ok(pg),
        DbConn::Sqlite(_) => Err(DbError::Url(
            "the leader's advisory lock exists on PostgreSQL only".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn each_store_has_its_own_key_and_keeps_it() {
        assert_eq!(key_of("test/public"), key_of("test/public"));
        assert_ne!(key_of("test/public"), key_of("test/test_1"));
        assert_ne!(key_of("a/b"), key_of("b/a"));
    }
}
