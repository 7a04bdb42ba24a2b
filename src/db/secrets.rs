//! Secrets every instance must share (the reporter salt, the session cookie key): created once
//! by whichever instance gets there first, then read by all. Neither leaves the store in an
//! export unless asked (`db::dump`).

use diesel::prelude::*;
use rand::RngCore;

use super::DbConn;
use super::convert::{now, to_db_time};
use super::error::DbError;
use super::schema::app_secrets;

/// The salt reporter hashes are made with (`correlate::reports`).
pub const REPORTER_SALT: &str = "reporter_salt";
/// The key that signs the session cookie (which holds only a session id).
pub const SESSION_KEY: &str = "session_key";

/// The named secret of `len` random bytes, created on first use.
pub fn get_or_create(conn: &mut DbConn, name: &str, len: usize) -> Result<Vec<u8>, DbError> {
    if let Some(v) = read(conn, name)? {
        return Ok(v);
    }
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    let inserted = diesel::insert_into(app_secrets::table)
        .values((
            app_secrets::name.eq(name),
            app_secrets::value.eq(hex::encode(&bytes)),
            app_secrets::created_at.eq(to_db_time(now())),
        ))
        .execute(conn);
    match inserted {
        // Another instance won the race: use its value.
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {}
        Err(e) => return Err(e.into()),
    }
    read(conn, name)?.ok_or(DbError::NotFound)
}

fn read(conn: &mut DbConn, name: &str) -> Result<Option<Vec<u8>>, DbError> {
    let value: Option<String> = app_secrets::table
        .find(name)
        .select(app_secrets::value)
        .get_result(conn)
        .optional()?;
    value
        .map(|v| {
            hex::decode(v).map_err(|e| DbError::Corrupt {
                table: "app_secrets",
                message: e.to_string(),
            })
        })
        .transpose()
}
