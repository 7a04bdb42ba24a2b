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

/// A configured source, as `source list` and the admin page show it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sources)]
pub struct SourceRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub url: Option<String>,
    pub service_slug: Option<String>,
    pub poll_interval_secs: Option<i32>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub secret: Option<String>,
    pub last_success_at: Option<chrono::NaiveDateTime>,
    pub last_error: Option<String>,
    pub last_error_at: Option<chrono::NaiveDateTime>,
    pub format: Option<String>,
    pub failures: i32,
    pub next_poll_at: Option<chrono::NaiveDateTime>,
}

/// What `source add` asks for.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub kind: String,
    pub format: Option<String>,
    pub url: Option<String>,
    pub service: String,
    pub interval_secs: Option<i32>,
    pub secret: Option<String>,
}

/// Adds a polled or webhook source; the name is its URL, or the service for a webhook.
pub fn add(conn: &mut DbConn, new: &NewSource) -> Result<SourceRow, DbError> {
    let name = new.url.clone().unwrap_or_else(|| new.service.clone());
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(sources::table)
        .values((
            sources::id.eq(&id),
            sources::kind.eq(&new.kind),
            sources::name.eq(&name),
            sources::url.eq(&new.url),
            sources::service_slug.eq(&new.service),
            sources::poll_interval_secs.eq(new.interval_secs),
            sources::secret.eq(&new.secret),
            sources::format.eq(&new.format),
            sources::created_at.eq(to_db_time(now())),
        ))
        .execute(conn)
        .map_err(|e| match DbError::from(e) {
            DbError::Conflict(_) => {
                DbError::Conflict(format!("a {} source named {name} exists already", new.kind))
            }
            other => other,
        })?;
    get(conn, &id)
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<SourceRow, DbError> {
    Ok(sources::table
        .filter(sources::id.eq(id))
        .select(SourceRow::as_select())
        .get_result(conn)?)
}

/// Configured sources (polled and webhooks), not the implicit per-page ones.
pub fn list_configured(conn: &mut DbConn) -> Result<Vec<SourceRow>, DbError> {
    Ok(sources::table
        .filter(sources::kind.ne("page"))
        .filter(sources::kind.ne("manual"))
        .order(sources::created_at.asc())
        .select(SourceRow::as_select())
        .load(conn)?)
}

/// Records how the latest delivery or fetch went, for the admin page.
pub fn record_outcome(conn: &mut DbConn, id: &str, error: Option<&str>) -> Result<(), DbError> {
    let t = to_db_time(now());
    let target = sources::table.filter(sources::id.eq(id));
    match error {
        None => diesel::update(target)
            .set((
                sources::last_success_at.eq(Some(t)),
                sources::failures.eq(0),
            ))
            .execute(conn)?,
        Some(e) => diesel::update(target)
            .set((
                sources::last_error.eq(Some(e)),
                sources::last_error_at.eq(Some(t)),
            ))
            .execute(conn)?,
    };
    Ok(())
}
