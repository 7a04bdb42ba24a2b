//! Sources: where observations come from. Each has a kind and a name unique within the kind.
//!
//! Rules:
//! - A configured source (polled or webhook) is added by an admin and can be removed. Its row is
//!   kept, since incidents, entries and observations name it; removing clears its format and
//!   secret, so it is never polled (`poll_state` polls only sources with a format) nor
//!   delivered to again, and hides it from the lists. Adding it again revives the row.
//! - Adding and removing through [`add_by`] and [`remove_by`] writes the audit log in the same
//!   transaction.

use diesel::prelude::*;
use rand::RngCore;

use super::DbConn;
use super::audit::{self, Action};
use super::convert::{now, to_db_time};
use super::error::DbError;
use super::schema::sources;
use crate::domain::source::SourceSpec;

/// The id of the source with this kind and name, created on first use.
pub fn ensure(
    conn: &mut DbConn,
    kind: &str,
    name: &str,
    url: Option<&str>,
) -> Result<String, DbError> {
    Ok(ensure_noting(conn, kind, name, url)?.0)
}

/// [`ensure`], and whether this call created the source: nothing can refer to a source created
/// in the caller's transaction but what that transaction writes (`db::known` skips asking for
/// its incidents).
pub fn ensure_noting(
    conn: &mut DbConn,
    kind: &str,
    name: &str,
    url: Option<&str>,
) -> Result<(String, bool), DbError> {
    let existing: Option<String> = sources::table
        .filter(sources::kind.eq(kind))
        .filter(sources::name.eq(name))
        .select(sources::id)
        .get_result(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok((id, false));
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
    Ok((id, true))
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
    pub removed_at: Option<chrono::NaiveDateTime>,
}

impl SourceRow {
    /// Where Statuspage delivers to a webhook source: the path carries its secret.
    pub fn hook_path(&self) -> Option<String> {
        self.secret
            .as_ref()
            .map(|secret| format!("/api/v1/hooks/{}/{secret}", self.id))
    }
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

impl NewSource {
    /// What a valid spec adds: a webhook gets a fresh random secret (192 bits).
    pub fn from_spec(spec: &SourceSpec) -> Self {
        let webhook = spec.is_webhook();
        let secret = webhook.then(|| {
            let mut bytes = [0u8; 24];
            rand::rng().fill_bytes(&mut bytes);
            hex::encode(bytes)
        });
        Self {
            kind: spec.kind.clone(),
            format: (!webhook).then(|| spec.kind.clone()),
            url: spec.url.clone(),
            service: spec.service.to_string(),
            interval_secs: spec
                .interval_secs
                .map(|i| i32::try_from(i).unwrap_or(i32::MAX)),
            secret,
        }
    }
}

/// Adds a polled or webhook source; the name is its URL, or the service for a webhook. A
/// removed source of the same kind and name comes back with the new settings (and secret).
pub fn add(conn: &mut DbConn, new: &NewSource) -> Result<SourceRow, DbError> {
    let name = new.url.clone().unwrap_or_else(|| new.service.clone());
    let removed: Option<String> = sources::table
        .filter(sources::kind.eq(&new.kind))
        .filter(sources::name.eq(&name))
        .filter(sources::removed_at.is_not_null())
        .select(sources::id)
        .get_result(conn)
        .optional()?;
    if let Some(id) = removed {
        diesel::update(sources::table.filter(sources::id.eq(&id)))
            .set((
                sources::url.eq(&new.url),
                sources::service_slug.eq(&new.service),
                sources::poll_interval_secs.eq(new.interval_secs),
                sources::secret.eq(&new.secret),
                sources::format.eq(&new.format),
                sources::failures.eq(0),
                sources::next_poll_at.eq(None::<chrono::NaiveDateTime>),
                sources::removed_at.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(conn)?;
        return get(conn, &id);
    }
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

/// Configured sources (polled and webhooks), not the implicit per-page ones nor removed ones.
pub fn list_configured(conn: &mut DbConn) -> Result<Vec<SourceRow>, DbError> {
    Ok(sources::table
        .filter(sources::kind.ne("page"))
        .filter(sources::kind.ne("manual"))
        .filter(sources::removed_at.is_null())
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

/// How the audit log names a source: kind, where it reads from (never a webhook's secret),
/// service and id.
fn subject(row: &SourceRow) -> String {
    let place = row.url.as_deref().unwrap_or("webhook");
    let service = row.service_slug.as_deref().unwrap_or("-");
    format!("source {} {place} for {service} ({})", row.kind, row.id)
}

/// [`add`], with its service created if new, recorded in the audit log as done by `actor`.
pub fn add_by(conn: &mut DbConn, actor: &str, spec: &SourceSpec) -> Result<SourceRow, DbError> {
    super::services::ensure_exist(conn, std::slice::from_ref(&spec.service))?;
    let row = add(conn, &NewSource::from_spec(spec))?;
    audit::record(conn, actor, Action::SourceAdded, &subject(&row))?;
    Ok(row)
}

/// Removes a configured source (see the module rules), recorded in the audit log as done by
/// `actor`; `NotFound` for an unknown, implicit or already removed source.
pub fn remove_by(conn: &mut DbConn, actor: &str, id: &str) -> Result<SourceRow, DbError> {
    let row = list_configured(conn)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(DbError::NotFound)?;
    diesel::update(sources::table.filter(sources::id.eq(id)))
        .set((
            sources::removed_at.eq(Some(to_db_time(now()))),
            sources::format.eq(None::<String>),
            sources::secret.eq(None::<String>),
            sources::next_poll_at.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    audit::record(conn, actor, Action::SourceRemoved, &subject(&row))?;
    get(conn, id)
}
