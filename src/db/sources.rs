//! Sources: where observations come from. Each has a kind and a name unique within the kind.

use diesel::prelude::*;

use super::DbConn;
use super::convert::{now, to_db_time};
use super::error::DbError;
use super::schema::sources;

/// The id of the source with this kind and name, created on first use.
pub fn ensure(
    conn: &mut DbConn,
    kind: &str,
    name: &str,
    url: Option<&str>,
) -> Result<String, DbError> {
    let existing: Option<String> = sources::table
        .filter(sources::kind.eq(kind))
        .filter(sources::name.eq(name))
        .select(sources::id)
        .get_result(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(sources::table)
        .values((
            sources::id.eq(&id),
            sources::kind.eq(kind),
            sources::name.eq(name),
            sources::url.eq(url),
            sources::created_at.eq(to_db_time(now())),
        ))
        .execute(conn)?;
    Ok(id)
}
