//! Idempotent upsert of observed incidents, keyed by (source, external id) for incidents and for
//! updates. Updates are applied oldest first, so status and milestones end where the source is.

use diesel::prelude::*;

use super::convert::{IncidentRow, now, to_db_time};
use super::error::DbError;
use super::incidents::{apply_state, save_row, state_of};
use super::schema::{incident_services, incidents, timeline_entries};
use super::timeline::{self, NewEntry};
use super::{DbConn, services};
use crate::domain::observed::{ObservedIncident, ObservedUpdate, UpsertOutcome};
use crate::domain::{Impact, IncidentId, IncidentStatus, ServiceSlug};

pub fn upsert(
    conn: &mut DbConn,
    source_id: &str,
    obs: &ObservedIncident,
) -> Result<UpsertOutcome, DbError> {
    let mut slugs: Vec<ServiceSlug> = obs.services.clone();
    slugs.extend(obs.components.iter().map(|(s, _)| s.clone()));
    services::ensure_exist(conn, &slugs)?;
    let mut updates: Vec<&ObservedUpdate> = obs.updates.iter().collect();
    updates.sort_by_key(|u| u.occurred_at);

    let existing: Option<IncidentRow> = incidents::table
        .filter(incidents::source_id.eq(source_id))
        .filter(incidents::external_id.eq(&obs.external_id))
        .select(IncidentRow::as_select())
        .get_result(conn)
        .optional()?;
    let (mut row, created) = match existing {
        Some(row) => (row, false),
        None => (new_row(obs, source_id, &updates), true),
    };
    if created {
        diesel::insert_into(incidents::table)
            .values(&row)
            .execute(conn)?;
    }
    let before = row.clone();
    let incident_id: IncidentId = row.incident_id()?;
    let mut changed = link_services(conn, &row.id, obs)?;
    let mut state = state_of(&row)?;
    for update in updates {
        let known: Option<String> = timeline_entries::table
            .filter(timeline_entries::source_id.eq(source_id))
            .filter(timeline_entries::external_id.eq(&update.external_id))
            .select(timeline_entries::body)
            .get_result(conn)
            .optional()?;
        match known {
            Some(body) if body == update.body => continue,
            Some(_) => {
                diesel::update(
                    timeline_entries::table
                        .filter(timeline_entries::source_id.eq(source_id))
                        .filter(timeline_entries::external_id.eq(&update.external_id)),
                )
                .set(timeline_entries::body.eq(&update.body))
                .execute(conn)?;
            }
            None => {
                timeline::insert(conn, &entry_for(incident_id, source_id, update))?;
                state.apply_update(update.status, update.impact, update.occurred_at);
            }
        }
        changed = true;
    }
    apply_state(&mut row, &state);
    row.title = obs.title.clone();
    if obs.url.is_some() {
        row.url = obs.url.clone();
    }
    let row_changed = row.title != before.title
        || row.status != before.status
        || row.impact != before.impact
        || row.url != before.url
        || row.milestones() != before.milestones();
    if created || changed || row_changed {
        save_row(conn, &mut row)?;
    }
    Ok(match (created, changed || row_changed) {
        (true, _) => UpsertOutcome::Created,
        (false, true) => UpsertOutcome::Updated,
        (false, false) => UpsertOutcome::Unchanged,
    })
}

fn new_row(obs: &ObservedIncident, source_id: &str, updates: &[&ObservedUpdate]) -> IncidentRow {
    let t = to_db_time(now());
    let first_post = updates.first().map(|u| u.occurred_at);
    let started = obs.started_at.or(first_post).unwrap_or_else(now);
    IncidentRow {
        id: IncidentId::generate().to_string(),
        title: obs.title.clone(),
        status: IncidentStatus::Investigating.as_str().to_string(),
        impact: obs.impact.unwrap_or(Impact::None).as_str().to_string(),
        origin: obs.origin.as_str().to_string(),
        started_at: to_db_time(started),
        // We learn of a provider's incident from its first post.
        detected_at: Some(to_db_time(first_post.unwrap_or(started))),
        acknowledged_at: None,
        mitigated_at: None,
        resolved_at: None,
        status_as_of: to_db_time(started),
        source_id: Some(source_id.to_string()),
        external_id: Some(obs.external_id.clone()),
        url: obs.url.clone(),
        report_count: 0,
        created_at: t,
        updated_at: t,
    }
}

/// Adds the services and components not linked yet; returns whether any was added.
fn link_services(
    conn: &mut DbConn,
    incident_id: &str,
    obs: &ObservedIncident,
) -> Result<bool, DbError> {
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
    let have: Vec<(String, String)> = incident_services::table
        .filter(incident_services::incident_id.eq(incident_id))
        .select((
            incident_services::service_slug,
            incident_services::component,
        ))
        .load(conn)?;
    let mut added = false;
    for (slug, component) in wanted {
        if have.contains(&(slug.clone(), component.clone())) {
            continue;
        }
        diesel::insert_into(incident_services::table)
            .values((
                incident_services::incident_id.eq(incident_id),
                incident_services::service_slug.eq(&slug),
                incident_services::component.eq(&component),
                incident_services::impact.eq(obs.impact.map(Impact::as_str)),
            ))
            .execute(conn)?;
        added = true;
    }
    Ok(added)
}

fn entry_for(incident_id: IncidentId, source_id: &str, u: &ObservedUpdate) -> NewEntry {
    NewEntry {
        incident_id,
        occurred_at: u.occurred_at,
        kind: u.kind,
        source: u.source.clone(),
        source_id: Some(source_id.to_string()),
        external_id: Some(u.external_id.clone()),
        status: u
            .status_raw
            .clone()
            .or_else(|| u.status.map(|s| s.as_str().to_string())),
        impact: u.impact.map(|i| i.as_str().to_string()),
        body: u.body.clone(),
        author: None,
        url: u.url.clone(),
        original_time: u.original_time.clone(),
        raw_ref: None,
    }
}
