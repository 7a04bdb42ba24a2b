//! The service side of an upsert: the services and components an incident affects.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::error::DbError;
use crate::db::schema::incident_services;
use crate::domain::Impact;
use crate::domain::observed::ObservedIncident;

/// Adds the services and components not linked yet to those linked (`have`, asked of the store
/// when not given); returns all the links now stored and whether any was added.
pub(super) fn link_services(
    conn: &mut DbConn,
    incident_id: &str,
    obs: &ObservedIncident,
    have: Option<Vec<(String, String)>>,
) -> Result<(Vec<(String, String)>, bool), DbError> {
    let mut wanted = wanted_links(obs);
    let mut have: Vec<(String, String)> = match have {
        Some(have) => have,
        None => incident_services::table
            .filter(incident_services::incident_id.eq(incident_id))
            .select((
                incident_services::service_slug,
                incident_services::component,
            ))
            .load(conn)?,
    };
    wanted.retain(|w| !have.contains(w));
    if wanted.is_empty() {
        return Ok((have, false));
    }
    insert_links(conn, incident_id, &wanted, obs.impact.map(Impact::as_str))?;
    have.extend(wanted);
    Ok((have, true))
}

/// (service, component) pairs the observation names, the whole service as an empty component.
pub(super) fn wanted_links(obs: &ObservedIncident) -> Vec<(String, String)> {
    let mut wanted: Vec<(String, String)> = obs
        .services
        .iter()
        .map(|s| (s.to_string(), String::new()))
        .collect();
    wanted.extend(
        obs.components
            .iter()
            .map(|(s, c)| (s.to_string(), c.clone())),
    );
    wanted.sort();
    wanted.dedup();
    wanted
}

fn insert_links(
    conn: &mut DbConn,
    incident_id: &str,
    wanted: &[(String, String)],
    impact: Option<&str>,
) -> Result<(), DbError> {
    match conn {
        // SQLite: one single-row statement of a type diesel caches by type, rather than a
        // multi-row one prepared anew for every count of rows (see `timeline::insert_many`).
        DbConn::Sqlite(c) => {
            for (slug, component) in wanted {
                let link = crate::db::sqlite_statements::LinkRow {
                    incident_id,
                    service_slug: slug,
                    component,
                    impact,
                };
                crate::db::sqlite_statements::InsertLink(&link).execute(c)?;
            }
        }
        // PostgreSQL: one multi-row INSERT, one round trip. An incident links a handful of
        // components, far under the limit on bound parameters.
        DbConn::Postgres(c) => {
            let rows: Vec<_> = wanted
                .iter()
                .map(|(slug, component)| {
                    (
                        incident_services::incident_id.eq(incident_id),
                        incident_services::service_slug.eq(slug),
                        incident_services::component.eq(component),
                        incident_services::impact.eq(impact),
                    )
                })
                .collect();
            diesel::insert_into(incident_services::table)
                .values(rows)
                .execute(c)?;
        }
    }
    Ok(())
}
