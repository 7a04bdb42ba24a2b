//! Idempotent upsert of observed incidents, keyed by (source, external id) for incidents and for
//! updates. Updates are applied oldest first, so status and milestones end where the source is.
//!
//! Rules:
//! - An update already stored under its id with the same text changes nothing. With another
//!   text it was edited upstream: the earlier text goes to `entry_versions` and `edited_at` is set.
//! - An update with an unknown id that matches a stored entry of the same incident (same status
//!   word, within a minute, same words) is the same post read through another format of the same
//!   page (Statuspage JSON and its Atom feed), and is skipped.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::convert::{EntryRow, IncidentRow, from_db_time, now, to_db_time};
use super::error::DbError;
use super::incidents::{apply_state, insert_row, save_row, state_of};
use super::known::Known;
use super::prefetch::{Lookup, StoredIncident};
use super::schema::{entry_versions, incident_services, incidents, timeline_entries};
use super::spike_opened::take_over;
use super::timeline::{self, NewEntry};
use super::{DbConn, outbox};
use crate::domain::observed::{
    ObservedIncident, ObservedUpdate, UpsertOutcome, UpsertReport, same_text,
};
use crate::domain::{Impact, IncidentId, IncidentStatus, ServiceSlug};

/// Finds the incident a source calls `external_id`.
pub fn find(
    conn: &mut DbConn,
    source_id: &str,
    external_id: &str,
) -> Result<Option<IncidentRow>, DbError> {
    // Found by its type on the backend's own connection: asked once per incident a batch did
    // not read ahead.
    Ok(super::on_backend!(conn, |c| incidents::table
        .filter(incidents::source_id.eq(source_id))
        .filter(incidents::external_id.eq(external_id))
        .select(IncidentRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn upsert(
    conn: &mut DbConn,
    source_id: &str,
    obs: &ObservedIncident,
) -> Result<UpsertReport, DbError> {
    upsert_known(conn, &mut Known::default(), source_id, obs)
}

/// [`upsert`] inside a batch that remembers which services already exist.
pub fn upsert_known(
    conn: &mut DbConn,
    known: &mut Known,
    source_id: &str,
    obs: &ObservedIncident,
) -> Result<UpsertReport, DbError> {
    let mut slugs: Vec<ServiceSlug> = obs.services.clone();
    slugs.extend(obs.components.iter().map(|(s, _)| s.clone()));
    known.ensure_services(conn, &slugs)?;
    let mut updates: Vec<&ObservedUpdate> = obs.updates.iter().collect();
    updates.sort_by_key(|u| u.occurred_at);

    // What the batch read ahead, when it did; the store otherwise.
    let (existing, prefetched) = match known.stored.take(source_id, &obs.external_id) {
        Lookup::Found(s) => {
            let s = *s;
            (Some(s.row), Some((s.entries, s.links)))
        }
        Lookup::Absent => (None, None),
        Lookup::Unknown => (find(conn, source_id, &obs.external_id)?, None),
    };
    let mut created = existing.is_none();
    let mut row = existing.unwrap_or_else(|| new_row(obs, source_id, &updates));
    let before = row.clone();
    let mut incident_id: IncidentId = row.incident_id()?;
    let mut state = state_of(&row)?;
    let (mut stored, mut have_links) = match prefetched {
        Some((entries, links)) => (entries, Some(links)),
        // A new incident has nothing stored yet; asking would only cost a query.
        None if created => (Vec::new(), Some(Vec::new())),
        None => (stored_entries(conn, &row.id)?, None),
    };
    let mut new_entries = Vec::new();
    let mut edited = 0;
    for update in updates {
        let same_id = stored.iter().position(|e| {
            e.source_id.as_deref() == Some(source_id)
                && e.external_id.as_deref() == Some(&update.external_id)
        });
        match same_id {
            Some(i) if stored[i].body == update.body => {}
            // An older snapshot still carrying the text before an edit: not a new edit.
            Some(i) if was_earlier_text(conn, &stored[i].id, &update.body)? => {}
            Some(i) => {
                let entry = &mut stored[i];
                keep_previous_version(conn, entry)?;
                let edited_at = to_db_time(now());
                diesel::update(timeline_entries::table.filter(timeline_entries::id.eq(&entry.id)))
                    .set((
                        timeline_entries::body.eq(&update.body),
                        timeline_entries::edited_at.eq(Some(edited_at)),
                    ))
                    .execute(conn)?;
                entry.body = update.body.clone();
                entry.edited_at = Some(edited_at);
                edited += 1;
            }
            None if stored.iter().any(|e| same_post(e, update)) => {}
            None => {
                new_entries.push(entry_for(incident_id, source_id, update));
                state.apply_update(update.status, None, update.occurred_at);
            }
        }
    }
    let added = new_entries.len();
    // An older snapshot read after a newer one must not roll the incident back.
    let latest_post = obs.updates.iter().map(|u| u.occurred_at).max();
    let as_of = obs.updated_at.or(latest_post);
    let newest_known = from_db_time(before.status_as_of);
    let current = created || as_of.is_none_or(|t| t >= newest_known);
    // Ties between snapshots that disagree on the title would flip it back and forth; only a
    // strictly newer snapshot renames.
    let newer = created || as_of.is_some_and(|t| t > newest_known);
    if current {
        apply_source_state(&mut state, obs);
        if let Some(t) = as_of {
            state.status_as_of = state.status_as_of.max(t);
        }
    }
    apply_state(&mut row, &state);
    if newer {
        row.title = obs.title.clone();
        if let Some(impact) = obs.impact {
            row.impact = impact.as_str().to_string();
        }
        // The first link wins: two formats of one page may spell it differently.
        if row.url.is_none() {
            row.url = obs.url.clone();
        }
    }
    let row_changed = row.title != before.title
        || row.status != before.status
        || row.impact != before.impact
        || row.url != before.url
        || row.milestones() != before.milestones();
    // A new provider incident that a spike of its services already opened: it takes that one
    // over instead (`db::spike_opened`), and is saved as changed rather than inserted.
    let mut taken_over = false;
    if created && let Some(opened) = known.spike_opened.claim(conn, &slugs, &row)? {
        incident_id = take_over(conn, &mut row, &opened, &mut new_entries)?;
        stored = stored_entries(conn, &row.id)?;
        have_links = None;
        (created, taken_over) = (false, true);
    }
    if created {
        // A new row goes in once, as it ends up, before the entries that refer to it.
        insert_row(conn, &mut row)?;
    }
    let (links, services_added) = link_services(conn, &row.id, obs, have_links)?;
    stored.extend(timeline::insert_many(conn, new_entries)?);
    let changed = taken_over || services_added || added > 0 || edited > 0 || row_changed;
    if created {
        outbox::append(
            conn,
            outbox::Entity::Incident,
            &row.id,
            outbox::Operation::Upsert,
        )?;
    } else if changed {
        save_row(conn, &mut row)?;
    }
    known.stored.put(
        source_id,
        &obs.external_id,
        StoredIncident {
            row,
            entries: stored,
            links,
        },
    );
    let outcome = match (created, changed) {
        (true, _) => UpsertOutcome::Created,
        (false, true) => UpsertOutcome::Updated,
        (false, false) => UpsertOutcome::Unchanged,
    };
    Ok(UpsertReport {
        incident_id,
        outcome,
        entries_added: added,
        entries_edited: edited,
    })
}

/// Sources whose updates carry no status (AWS, GCP) say it on the incident; the source's own
/// start and resolution times are more exact than the first and last posts.
fn apply_source_state(state: &mut crate::domain::incident::IncidentState, obs: &ObservedIncident) {
    if let Some(status) = obs.status
        && status != state.status
    {
        let at = obs
            .updated_at
            .or(obs.resolved_at)
            .unwrap_or(state.status_as_of);
        // Reopening takes a strictly newer observation: two snapshots stamped alike that
        // disagree would otherwise flip the incident back and forth.
        let reopens = state.status.is_closed() && !status.is_closed();
        if !(reopens && at <= state.status_as_of) {
            state.apply_update(Some(status), None, at);
        }
    }
    if let Some(started) = obs.started_at {
        state.milestones.started = Some(started);
    }
    if let Some(resolved) = obs.resolved_at
        && state.status.is_closed()
    {
        state.milestones.resolved = Some(resolved);
    }
}

fn stored_entries(conn: &mut DbConn, incident_id: &str) -> Result<Vec<EntryRow>, DbError> {
    Ok(timeline_entries::table
        .filter(timeline_entries::incident_id.eq(incident_id))
        .select(EntryRow::as_select())
        .load(conn)?)
}

fn same_post(e: &EntryRow, u: &ObservedUpdate) -> bool {
    let close = (from_db_time(e.occurred_at) - u.occurred_at).abs() < Duration::seconds(60);
    let same_status = match (&e.status, &u.status_raw) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    };
    close && same_status && same_text(&e.body, &u.body)
}

fn was_earlier_text(conn: &mut DbConn, entry_id: &str, body: &str) -> Result<bool, DbError> {
    let n: i64 = entry_versions::table
        .filter(entry_versions::entry_id.eq(entry_id))
        .filter(entry_versions::body.eq(body))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

fn keep_previous_version(conn: &mut DbConn, entry: &EntryRow) -> Result<(), DbError> {
    diesel::insert_into(entry_versions::table)
        .values((
            entry_versions::id.eq(uuid::Uuid::now_v7().to_string()),
            entry_versions::entry_id.eq(&entry.id),
            entry_versions::body.eq(&entry.body),
            entry_versions::replaced_at.eq(to_db_time(now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Earlier texts of an edited entry, oldest first.
pub fn previous_versions(
    conn: &mut DbConn,
    entry_id: &str,
) -> Result<Vec<(String, DateTime<Utc>)>, DbError> {
    let rows: Vec<(String, chrono::NaiveDateTime)> = entry_versions::table
        .filter(entry_versions::entry_id.eq(entry_id))
        .order(entry_versions::replaced_at.asc())
        .select((entry_versions::body, entry_versions::replaced_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(b, t)| (b, from_db_time(t)))
        .collect())
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
        detected_at: Some(to_db_time(first_post.unwrap_or(started).max(started))),
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

/// Adds the services and components not linked yet to those linked (`have`, asked of the store
/// when not given); returns all the links now stored and whether any was added.
fn link_services(
    conn: &mut DbConn,
    incident_id: &str,
    obs: &ObservedIncident,
    have: Option<Vec<(String, String)>>,
) -> Result<(Vec<(String, String)>, bool), DbError> {
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
    let impact = obs.impact.map(Impact::as_str);
    match conn {
        // SQLite: one single-row statement of a type diesel caches by type, rather than a
        // multi-row one prepared anew for every count of rows (see `timeline::insert_many`).
        DbConn::Sqlite(c) => {
            for (slug, component) in &wanted {
                let link = super::sqlite_statements::LinkRow {
                    incident_id,
                    service_slug: slug,
                    component,
                    impact,
                };
                super::sqlite_statements::InsertLink(&link).execute(c)?;
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
    have.extend(wanted);
    Ok((have, true))
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
