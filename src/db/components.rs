//! Components of a service as its status page lists them, with their latest status.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::convert::{from_db_time, now, to_db_time};
use super::schema::service_components;
use super::{DbConn, DbError};
use crate::domain::ServiceSlug;

/// Records a component's status; returns whether anything changed. An observation older than
/// the stored one is ignored, so replaying old webhooks cannot roll a component back.
pub fn upsert(
    conn: &mut DbConn,
    service: &ServiceSlug,
    external_id: &str,
    name: &str,
    status: &str,
    at: Option<DateTime<Utc>>,
) -> Result<bool, DbError> {
    let at = at.unwrap_or_else(now);
    // On the connection of the backend itself: through `DbConn` every statement is written
    // out as SQL to be looked up, where the backend's own connection finds the look-up by
    // its type (on the real corpus, 1,092 components cost 60,000 instructions each).
    super::on_backend!(conn, |c| {
        let key = service_components::table
            .filter(service_components::service_slug.eq(service.as_str()))
            .filter(service_components::external_id.eq(external_id));
        let stored: Option<(String, String, chrono::NaiveDateTime)> = key
            .select((
                service_components::name,
                service_components::status,
                service_components::updated_at,
            ))
            .get_result(c)
            .optional()?;
        match stored {
            None => {
                diesel::insert_into(service_components::table)
                    .values((
                        service_components::service_slug.eq(service.as_str()),
                        service_components::external_id.eq(external_id),
                        service_components::name.eq(name),
                        service_components::status.eq(status),
                        service_components::updated_at.eq(to_db_time(at)),
                        service_components::created_at.eq(Some(to_db_time(at))),
                    ))
                    .execute(c)?;
                Ok(true)
            }
            Some((n, s, t)) if (n == name && s == status) || from_db_time(t) > at => Ok(false),
            Some(_) => {
                diesel::update(key)
                    .set((
                        service_components::name.eq(name),
                        service_components::status.eq(status),
                        service_components::updated_at.eq(to_db_time(at)),
                    ))
                    .execute(c)?;
                Ok(true)
            }
        }
    })
}

/// A component as a status page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: String,
    pub status: String,
    /// When it was first seen (its last change for rows older than that column).
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every component of a service, by name.
pub fn of_service(conn: &mut DbConn, service: &str) -> Result<Vec<Component>, DbError> {
    let rows: Vec<(
        String,
        String,
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
    )> = service_components::table
        .filter(service_components::service_slug.eq(service))
        .order(service_components::name.asc())
        .select((
            service_components::name,
            service_components::status,
            service_components::updated_at,
            service_components::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(name, status, updated, created)| Component {
            name,
            status,
            created_at: from_db_time(created.unwrap_or(updated)),
            updated_at: from_db_time(updated),
        })
        .collect())
}
