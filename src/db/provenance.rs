//! Provenance: every distinct raw item, where it came from, when, and its content hash.

use diesel::prelude::*;

use sha2::{Digest, Sha256};

use super::convert::{now, to_db_time};
use super::schema::observations;
use super::sqlite_statements::{KeepObservation, ObservationRow};
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
    let row = ObservationRow {
        id: uuid::Uuid::now_v7().to_string(),
        source_id,
        incident_id,
        format,
        origin,
        fetched_at: to_db_time(now()),
        content_hash: hash,
        raw,
    };
    let inserted = match conn {
        DbConn::Sqlite(c) => KeepObservation(&row).execute(c)?,
        DbConn::Postgres(c) => diesel::insert_into(observations::table)
            .values((
                observations::id.eq(&row.id),
                observations::source_id.eq(row.source_id),
                observations::incident_id.eq(row.incident_id),
                observations::format.eq(row.format),
                observations::origin.eq(row.origin),
                observations::fetched_at.eq(row.fetched_at),
                observations::content_hash.eq(row.content_hash),
                observations::raw.eq(row.raw),
            ))
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(inserted > 0)
}
