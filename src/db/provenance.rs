//! Provenance: every distinct raw item, where it came from, when, and its content hash.

use diesel::prelude::*;

use sha2::{Digest, Sha256};

use super::convert::{now, to_db_time};
use super::schema::observations;
use super::{DbConn, DbError};

pub fn content_hash(raw: &str) -> String {
    hex::encode(Sha256::digest(raw.as_bytes()))
}

/// Keeps a raw item unless the same bytes from the same source are already kept; `hash` is
/// its [`content_hash`], which a batch computes once while reading ahead.
pub fn record(
    conn: &mut DbConn,
    source_id: &str,
    incident_id: Option<&str>,
    format: &str,
    origin: &str,
    raw: &str,
    hash: &str,
) -> Result<bool, DbError> {
    // UNIQUE (source_id, content_hash) decides: one statement instead of a look-up and an
    // insert. Diesel offers ON CONFLICT only on a concrete backend.
    let insert = diesel::insert_into(observations::table)
        .values((
            observations::id.eq(uuid::Uuid::now_v7().to_string()),
            observations::source_id.eq(source_id),
            observations::incident_id.eq(incident_id),
            observations::format.eq(format),
            observations::origin.eq(origin),
            observations::fetched_at.eq(to_db_time(now())),
            observations::content_hash.eq(hash),
            observations::raw.eq(raw),
        ))
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConn::Sqlite(c) => insert.execute(c)?,
        DbConn::Postgres(c) => insert.execute(c)?,
    };
    Ok(inserted > 0)
}
