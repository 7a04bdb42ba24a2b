//! Whole incidents (timeline, links, components): the one reader of them, for one incident
//! (`incidents::get`) or a page of them at once.
//!
//! Rule: a fixed number of queries per call, whatever the number of incidents. Work that walks
//! every incident (the postmortem export) pays a round trip per query, and on PostgreSQL a
//! round trip is what costs: six per incident made the export four times slower there than on
//! SQLite. Each result is the same as [`super::incidents::get`] gives for that incident.

use std::collections::HashMap;

use diesel::prelude::*;

use super::DbConn;
use super::convert::parse_stored;
use super::error::DbError;
use super::incidents::IncidentDetail;
use super::schema::{incident_links, incident_services, incidents};
use crate::domain::{Incident, IncidentLink};

/// The details of `incidents`, in the same order.
pub fn of(conn: &mut DbConn, incidents: Vec<Incident>) -> Result<Vec<IncidentDetail>, DbError> {
    let keys: Vec<String> = incidents.iter().map(|i| i.id.to_string()).collect();
    let mut timelines = super::timeline::for_incidents(conn, &keys)?;
    let mut links = links(conn, &keys)?;
    let mut components = components(conn, &keys)?;
    Ok(incidents
        .into_iter()
        .zip(keys)
        .map(|(mut incident, key)| {
            incident.services.dedup();
            IncidentDetail {
                timeline: timelines.remove(&key).unwrap_or_default(),
                links: links.remove(&key).unwrap_or_default(),
                components: components.remove(&key).unwrap_or_default(),
                incident,
            }
        })
        .collect())
}

type LinkRow = (String, String, String, f64, String, String, String);

fn links(
    conn: &mut DbConn,
    keys: &[String],
) -> Result<HashMap<String, Vec<IncidentLink>>, DbError> {
    let rows: Vec<LinkRow> = incident_links::table
        .inner_join(incidents::table.on(incidents::id.eq(incident_links::to_incident)))
        .filter(incident_links::from_incident.eq_any(keys))
        .select((
            incident_links::from_incident,
            incident_links::to_incident,
            incident_links::kind,
            incident_links::confidence,
            incident_links::reason,
            incident_links::set_by,
            incidents::title,
        ))
        .order((
            incident_links::from_incident.asc(),
            incident_links::created_at.asc(),
        ))
        .load(conn)?;
    let mut by_incident: HashMap<String, Vec<IncidentLink>> = HashMap::new();
    for (from, to, kind, confidence, reason, set_by, title) in rows {
        by_incident.entry(from).or_default().push(IncidentLink {
            incident_id: parse_stored("incident_links", &to)?,
            title,
            kind: parse_stored("incident_links", &kind)?,
            confidence,
            reason,
            set_by: parse_stored("incident_links", &set_by)?,
        });
    }
    Ok(by_incident)
}

fn components(
    conn: &mut DbConn,
    keys: &[String],
) -> Result<HashMap<String, Vec<(String, String)>>, DbError> {
    let rows: Vec<(String, String, String)> = incident_services::table
        .filter(incident_services::incident_id.eq_any(keys))
        .select((
            incident_services::incident_id,
            incident_services::service_slug,
            incident_services::component,
        ))
        .order((
            incident_services::incident_id.asc(),
            incident_services::service_slug.asc(),
            incident_services::component.asc(),
        ))
        .load(conn)?;
    let mut by_incident: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (incident, service, component) in rows {
        by_incident
            .entry(incident)
            .or_default()
            .push((service, component));
    }
    Ok(by_incident)
}
