//! Web sessions, kept on the server.
//!
//! Rules:
//! - The browser holds a random id (256 bits); the table holds its SHA-256, so neither a copy
//!   of the database nor an export can be turned back into a cookie.
//! - A session ends 12 hours after it was last seen, 7 days after it began, when its token is
//!   revoked, or when someone signs out: each deletes or ignores the row.
//! - `last_seen_at` moves at most every five minutes, so browsing does not write on every page.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::DbConn;
use super::convert::{from_db_time, to_db_time};
use super::error::DbError;
use super::schema::{api_tokens, sessions};

/// A session unused this long has ended.
pub const IDLE: Duration = Duration::hours(12);
/// No session lasts longer than this, however busy.
pub const LIFETIME: Duration = Duration::days(7);
/// How stale `last_seen_at` may get before a request moves it.
const TOUCH_AFTER: Duration = Duration::minutes(5);

/// A live session: the token it signed in with, and its CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_id: String,
    pub token_name: String,
    pub csrf: String,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Starts a session for a token; returns the id for the cookie and the session.
pub fn start(
    conn: &mut DbConn,
    token_id: &str,
    token_name: &str,
    now: DateTime<Utc>,
) -> Result<(String, Session), DbError> {
    let id = random_hex();
    let csrf = random_hex();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(hash(&id)),
            sessions::token_id.eq(token_id),
            sessions::csrf.eq(&csrf),
            sessions::created_at.eq(to_db_time(now)),
            sessions::last_seen_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    let session = Session {
        token_id: token_id.to_string(),
        token_name: token_name.to_string(),
        csrf,
    };
    Ok((id, session))
}

/// What a session id names, read without writing (pages are read far more often than sessions
/// change): the caller then [`touch`]es a live one whose `last_seen_at` is stale, and [`end`]s
/// one that has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Live { session: Session, stale: bool },
    Ended,
    Missing,
}

/// Looks a session id up as of `now`.
pub fn find(conn: &mut DbConn, id: &str, now: DateTime<Utc>) -> Result<Found, DbError> {
    type Row = (
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        String,
        Option<NaiveDateTime>,
    );
    let row: Option<Row> = sessions::table
        .inner_join(api_tokens::table)
        .filter(sessions::id_hash.eq(hash(id)))
        .select((
            sessions::token_id,
            sessions::csrf,
            sessions::created_at,
            sessions::last_seen_at,
            api_tokens::name,
            api_tokens::revoked_at,
        ))
        .get_result(conn)
        .optional()?;
    let Some((token_id, csrf, created, seen, token_name, revoked)) = row else {
        return Ok(Found::Missing);
    };
    let (created, seen) = (from_db_time(created), from_db_time(seen));
    if revoked.is_some() || now - seen > IDLE || now - created > LIFETIME {
        return Ok(Found::Ended);
    }
    Ok(Found::Live {
        session: Session {
            token_id,
            token_name,
            csrf,
        },
        stale: now - seen > TOUCH_AFTER,
    })
}

/// Records that a session was used at `now`.
pub fn touch(conn: &mut DbConn, id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(sessions::table.find(hash(id)))
        .set(sessions::last_seen_at.eq(to_db_time(now)))
        .execute(conn)?;
    Ok(())
}

/// Signs a session out.
pub fn end(conn: &mut DbConn, id: &str) -> Result<(), DbError> {
    diesel::delete(sessions::table.find(hash(id))).execute(conn)?;
    Ok(())
}

/// Ends every session signed in with a token (it was revoked).
pub fn end_all_of(conn: &mut DbConn, token_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(sessions::table.filter(sessions::token_id.eq(token_id))).execute(conn)?)
}
