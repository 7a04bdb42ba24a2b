//! Incidents: create, read with timeline and links, list with filters and a cursor (`list`),
//! patch.

mod list;

pub use list::{Cursor, IncidentFilter, Page, list};

use std::collections::HashMap;

use diesel::prelude::*;

use super::convert::{FIRST_VERSION, IncidentRow, from_db_time, now, to_db_time};
use super::error::DbError;
use super::schema::{incident_services, incidents, timeline_entries};
use super::{DbConn, outbox, services, timeline, versions};
use crate::domain::incident::{IncidentPatch, IncidentState};
use crate::domain::{
    EntryKind, Incident, IncidentId, IncidentLink, IncidentStatus, NewIncident, Precondition,
    TimelineEntry,
};

#[derive(Debug, Clone)]
pub struct IncidentDetail {
    pub incident: Incident,
    pub timeline: Vec<TimelineEntry>,
    pub links: Vec<IncidentLink>,
    /// (service, component) pairs; the component is empty when the whole service was affected.
    pub components: Vec<(String, String)>,
}

/// Opens an incident with its services and first timeline entry. Returns its id.
pub fn create(conn: &mut DbConn, new: &NewIncident) -> Result<IncidentId, DbError> {
    services::ensure_exist(conn, &new.services)?;
    let id = IncidentId::generate();
    let t = to_db_time(now());
    let started = to_db_time(new.started_at);
    let mut row = IncidentRow {
        id: id.to_string(),
        title: new.title.as_str().to_string(),
        status: IncidentStatus::Investigating.as_str().to_string(),
        impact: new.impact.as_str().to_string(),
        origin: new.origin.as_str().to_string(),
        started_at: started,
        // A person filing an incident detected it when it started, unless they say otherwise later.
        detected_at: Some(started),
        acknowledged_at: None,
        mitigated_at: None,
        resolved_at: None,
        status_as_of: started,
        source_id: None,
        external_id: None,
        url: None,
        report_count: 0,
        created_at: t,
        updated_at: t,
        version: FIRST_VERSION,
        kind: "incident".into(),
        scheduled_for: None,
        scheduled_until: None,
    };
    // The first status may already be past investigating: it moves milestones like any update.
    let mut state = state_of(&row)?;
    state.apply_update(Some(new.status), None, new.started_at);
    apply_state(&mut row, &state);
    diesel::insert_into(incidents::table)
        .values(&row)
        .execute(conn)?;
    for slug in &new.services {
        diesel::insert_into(incident_services::table)
            .values((
                incident_services::incident_id.eq(&row.id),
                incident_services::service_slug.eq(slug.as_str()),
                incident_services::component.eq(""),
                incident_services::impact.eq(Some(new.impact.as_str())),
            ))
            .execute(conn)?;
    }
    let body = new.body.as_ref().map_or_else(
        || new.title.as_str().to_string(),
        |b| b.as_str().to_string(),
    );
    timeline::insert(
        conn,
        &timeline::NewEntry {
            incident_id: id,
            occurred_at: new.started_at,
            kind: EntryKind::StatusUpdate,
            source: new.source.clone(),
            source_id: None,
            external_id: None,
            status: Some(new.status.as_str().to_string()),
            impact: Some(new.impact.as_str().to_string()),
            body,
            author: new.author.clone(),
            url: None,
            original_time: None,
            raw_ref: None,
            changes: Vec::new(),
        },
    )?;
    outbox::append_event(
        conn,
        outbox::Entity::Incident,
        &row.id,
        outbox::Operation::Upsert,
        outbox::Event::Created,
    )?;
    Ok(id)
}

pub(super) fn state_of(row: &IncidentRow) -> Result<IncidentState, DbError> {
    Ok(IncidentState {
        status: row.status()?,
        impact: row.impact()?,
        milestones: row.milestones(),
        status_as_of: from_db_time(row.status_as_of),
    })
}

pub(super) fn apply_state(row: &mut IncidentRow, state: &IncidentState) {
    row.status = state.status.as_str().to_string();
    row.impact = state.impact.as_str().to_string();
    row.set_milestones(&state.milestones);
    row.status_as_of = to_db_time(state.status_as_of);
}

pub(super) fn load_row(conn: &mut DbConn, id: &str) -> Result<IncidentRow, DbError> {
    Ok(incidents::table
        .filter(incidents::id.eq(id))
        .select(IncidentRow::as_select())
        .get_result(conn)?)
}

/// Inserts a new row as it is; the caller appends the outbox row once the incident is whole.
pub(super) fn insert_row(conn: &mut DbConn, row: &mut IncidentRow) -> Result<(), DbError> {
    row.updated_at = to_db_time(now());
    match conn {
        DbConn::Sqlite(c) => {
            super::sqlite_statements::InsertIncident(row).execute(c)?;
        }
        DbConn::Postgres(c) => {
            diesel::insert_into(incidents::table)
                .values(&*row)
                .execute(c)?;
        }
    }
    Ok(())
}

/// Saves a changed row and announces it; `was` is the status it had before the change, so
/// that the announcement says "resolved" only on the move to resolved.
pub(super) fn save_row(conn: &mut DbConn, row: &mut IncidentRow, was: &str) -> Result<(), DbError> {
    row.updated_at = to_db_time(now());
    match conn {
        DbConn::Sqlite(c) => {
            super::sqlite_statements::UpdateIncident(row).execute(c)?;
        }
        DbConn::Postgres(c) => {
            diesel::update(incidents::table.filter(incidents::id.eq(&row.id)))
                .set(&*row)
                .execute(c)?;
        }
    }
    outbox::append_event(
        conn,
        outbox::Entity::Incident,
        &row.id,
        outbox::Operation::Upsert,
        outbox::Event::after_save(was, &row.status),
    )
}

/// Applies a person's changes to the incident as it is now (locked), if it is at a version
/// `expected` admits (`Stale` otherwise). Returns false when the patch changed nothing.
pub fn patch(
    conn: &mut DbConn,
    id: IncidentId,
    patch: &IncidentPatch,
    expected: &Precondition,
) -> Result<bool, DbError> {
    let mut row = versions::lock(conn, &id.to_string())?;
    versions::check(&row, expected)?;
    let before = row.clone();
    let mut state = state_of(&row)?;
    patch.apply_to(&mut state, now());
    apply_state(&mut row, &state);
    if let Some(title) = &patch.title {
        row.title = title.as_str().to_string();
    }
    if row.resolved_at.is_some_and(|r| r < row.started_at) {
        return Err(DbError::Invalid {
            field: "resolved_at",
            message: "must not be before started_at".into(),
        });
    }
    let changed = row.title != before.title
        || row.status != before.status
        || row.impact != before.impact
        || row.milestones() != before.milestones();
    if changed {
        save_row(conn, &mut row, &before.status)?;
    }
    if row.title != before.title {
        versions::announce_linking(conn, &row.id)?;
    }
    Ok(changed)
}

/// The incident with its timeline, links and components. The row (and its version) is read
/// first: whatever the later reads add is at least as new, so the version never claims more
/// than the detail shows.
pub fn get(conn: &mut DbConn, id: IncidentId) -> Result<IncidentDetail, DbError> {
    let row = load_row(conn, &id.to_string())?;
    let incident = to_incidents(conn, vec![row])?;
    // One reader of an incident's timeline, links and components, here and for a page of them.
    super::details::of(conn, incident)?
        .pop()
        .ok_or(DbError::NotFound)
}

/// The incidents with these ids, in one query (ids that name no incident are left out).
pub fn many(conn: &mut DbConn, ids: &[IncidentId]) -> Result<Vec<Incident>, DbError> {
    let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let rows = incidents::table
        .filter(incidents::id.eq_any(&keys))
        .select(IncidentRow::as_select())
        .load(conn)?;
    to_incidents(conn, rows)
}

/// Turns rows into domain incidents, loading their services in one query.
pub(super) fn to_incidents(
    conn: &mut DbConn,
    rows: Vec<IncidentRow>,
) -> Result<Vec<Incident>, DbError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let pairs: Vec<(String, String)> = incident_services::table
        .filter(incident_services::incident_id.eq_any(&ids))
        .select((
            incident_services::incident_id,
            incident_services::service_slug,
        ))
        .distinct()
        .order(incident_services::service_slug.asc())
        .load(conn)?;
    let mut by_incident: HashMap<String, Vec<String>> = HashMap::new();
    for (incident, slug) in pairs {
        by_incident.entry(incident).or_default().push(slug);
    }
    rows.into_iter()
        .map(|row| {
            Ok(Incident {
                id: row.incident_id()?,
                title: row.title.clone(),
                status: row.status()?,
                impact: row.impact()?,
                origin: row.origin()?,
                services: by_incident.remove(&row.id).unwrap_or_default(),
                milestones: row.milestones(),
                url: row.url.clone(),
                report_count: row.report_count,
                created_at: from_db_time(row.created_at),
                updated_at: from_db_time(row.updated_at),
                version: row.version,
                kind: row.kind()?,
                scheduled_for: row.scheduled_for.map(from_db_time),
                scheduled_until: row.scheduled_until.map(from_db_time),
            })
        })
        .collect()
}

/// How many incidents have at least one timeline entry; used by tests and the home page.
pub fn count(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(incidents::table.count().get_result(conn)?)
}

/// How many timeline entries exist in total.
pub fn count_entries(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(timeline_entries::table.count().get_result(conn)?)
}
