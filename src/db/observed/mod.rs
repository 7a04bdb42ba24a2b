//! Idempotent upsert of observed incidents, keyed by (source, external id) for incidents and for
//! updates. Updates are applied oldest first, so status and milestones end where the source is.
//! Which snapshot wins, renames and what counts as a change are the domain's rules
//! (`domain::observed`); this module reads and writes the rows.
//!
//! Rules:
//! - An update already stored under its id with the same text changes nothing. With another
//!   text it was edited upstream: the earlier text goes to `entry_versions` and `edited_at` is set.
//! - An update with an unknown id that matches a stored entry of the same incident (same status
//!   word, within a minute, same words) is the same post read through another format of the same
//!   page (Statuspage JSON and its Atom feed), and is skipped.
//! - A new provider incident that a spike of its services already opened takes that one over
//!   instead (`db::spike_opened`), and is saved as changed rather than inserted.
//! - A stored incident is read locked (`db::versions`): by the batch's read-ahead
//!   (`db::prefetch`), or by [`find`]; its entries and links are read after the lock.

mod entries;
mod links;

use diesel::prelude::*;

use super::convert::{EntryRow, FIRST_VERSION, IncidentRow, now, to_db_time};
use super::error::DbError;
use super::incidents::{apply_state, insert_row, save_row, state_of};
use super::known::Known;
use super::prefetch::{Lookup, StoredIncident};
use super::schema::incidents;
use super::spike_opened::take_over;
use super::timeline::{self, NewEntry};
use super::{DbConn, outbox, versions};
use crate::domain::observed::{
    Changes, IncidentFields, ObservedIncident, ObservedUpdate, UpsertReport,
};
use crate::domain::{Impact, IncidentId, IncidentKind, IncidentStatus, ServiceSlug};
pub use entries::previous_versions;
use entries::stored_entries;

/// Finds the incident a source calls `external_id`, locked until the transaction ends
/// (`db::versions`): the upsert that asks goes on to change it. Run on the backend's own
/// connection: asked once per incident a batch did not read ahead.
pub fn find(
    conn: &mut DbConn,
    source_id: &str,
    external_id: &str,
) -> Result<Option<IncidentRow>, DbError> {
    let query = || {
        incidents::table
            .filter(incidents::source_id.eq(source_id))
            .filter(incidents::external_id.eq(external_id))
    };
    Ok(match conn {
        DbConn::Postgres(c) => query()
            .select(IncidentRow::as_select())
            .for_no_key_update()
            .get_result(c)
            .optional()?,
        DbConn::Sqlite(c) => query()
            .select(IncidentRow::as_select())
            .get_result(c)
            .optional()?,
    })
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
    let slugs = slugs_of(obs);
    known.ensure_services(conn, &slugs)?;
    let mut updates: Vec<&ObservedUpdate> = obs.updates.iter().collect();
    updates.sort_by_key(|u| u.occurred_at);
    let mut target = target_of(conn, known, source_id, obs, &updates)?;
    // Its rows are still held (`db::deferred`): written first, so that edits find them.
    if !target.created && known.deferred.holds(&target.row.id) {
        known.deferred.flush(conn)?;
    }
    let before = fields_of(&target.row)?;
    let mut fields = before.clone();
    let mut incident_id = target.row.incident_id()?;
    let mut posts = entries::apply_updates(
        conn,
        source_id,
        incident_id,
        &updates,
        &mut target.entries,
        &mut fields.state,
    )?;
    let stored_as_of = (!target.created).then_some(before.state.status_as_of);
    obs.settle(&mut fields, obs.standing(stored_as_of));
    write_fields(&mut target.row, &fields);
    let scheduled = schedule(&mut target.row, obs);
    let mut changes = Changes {
        created: target.created,
        entries_added: posts.new.len(),
        entries_edited: posts.edited,
        entries_reworded: posts.reworded,
        // Compared as stored, at the store's precision.
        fields_changed: fields_of(&target.row)?.differs_from(&before) || scheduled,
        ..Changes::default()
    };
    if let Some(id) = take_over_spike(conn, known, &slugs, &mut target, &mut posts.new)? {
        incident_id = id;
        (changes.created, changes.taken_over) = (false, true);
    }
    let links = match target.created && known.deferred.is_on() {
        true => hold(known, obs, &mut target, posts.new, &mut changes),
        false => store(conn, obs, &mut target, posts.new, &mut changes)?,
    };
    // Links to the incident show its title (a taken-over one had the spike's).
    if changes.taken_over || (!changes.created && target.row.title != before.title) {
        versions::announce_linking(conn, &target.row.id)?;
    }
    known.stored.put(
        source_id,
        &obs.external_id,
        StoredIncident {
            row: target.row,
            entries: target.entries,
            links,
        },
    );
    Ok(changes.report(incident_id))
}

/// The incident an observation lands in, as stored or about to be inserted.
struct Target {
    row: IncidentRow,
    /// Not stored yet: the row is inserted once, as it ends up.
    created: bool,
    /// The status it had in the store before this observation, so that only the move to
    /// resolved is announced as resolved.
    was: String,
    entries: Vec<EntryRow>,
    /// (service, component) links, when known without asking the store.
    links: Option<Vec<(String, String)>>,
}

/// The stored incident the batch read ahead, when it did, or the store's; a new row otherwise.
fn target_of(
    conn: &mut DbConn,
    known: &mut Known,
    source_id: &str,
    obs: &ObservedIncident,
    updates: &[&ObservedUpdate],
) -> Result<Target, DbError> {
    let (existing, prefetched) = match known.stored.take(source_id, &obs.external_id) {
        Lookup::Found(s) => {
            let s = *s;
            (Some(s.row), Some((s.entries, s.links)))
        }
        Lookup::Absent => (None, None),
        Lookup::Unknown => (find(conn, source_id, &obs.external_id)?, None),
    };
    let created = existing.is_none();
    let row = existing.unwrap_or_else(|| new_row(obs, source_id, updates));
    let (entries, links) = match prefetched {
        Some((entries, links)) => (entries, Some(links)),
        // A new incident has nothing stored yet; asking would only cost a query.
        None if created => (Vec::new(), Some(Vec::new())),
        None => (stored_entries(conn, &row.id)?, None),
    };
    Ok(Target {
        was: row.status.clone(),
        row,
        created,
        entries,
        links,
    })
}

/// The services an observation names, its components' included.
fn slugs_of(obs: &ObservedIncident) -> Vec<ServiceSlug> {
    let mut slugs: Vec<ServiceSlug> = obs.services.clone();
    slugs.extend(obs.components.iter().map(|(s, _)| s.clone()));
    slugs
}

fn fields_of(row: &IncidentRow) -> Result<IncidentFields, DbError> {
    Ok(IncidentFields {
        title: row.title.clone(),
        url: row.url.clone(),
        state: state_of(row)?,
    })
}

fn write_fields(row: &mut IncidentRow, fields: &IncidentFields) {
    apply_state(row, &fields.state);
    row.title.clone_from(&fields.title);
    row.url.clone_from(&fields.url);
}

/// A new provider incident that a spike of its services already opened takes that one over
/// (`db::spike_opened`): `target` becomes the spike's incident and `new_entries` point at it.
/// Returns the id it now has, or `None` when there was nothing to take over.
fn take_over_spike(
    conn: &mut DbConn,
    known: &mut Known,
    slugs: &[ServiceSlug],
    target: &mut Target,
    new_entries: &mut [NewEntry],
) -> Result<Option<IncidentId>, DbError> {
    // Users' reports spike on outages; a maintenance takes over none.
    if !target.created || target.row.kind != IncidentKind::Incident.as_str() {
        return Ok(None);
    }
    let Some(opened) = known.spike_opened.claim(conn, slugs, &target.row)? else {
        return Ok(None);
    };
    let id = take_over(conn, &mut target.row, &opened, new_entries)?;
    target.entries = stored_entries(conn, &target.row.id)?;
    target.links = None;
    target.created = false;
    Ok(Some(id))
}

/// Writes the incident, its service links and its new entries; notes in `changes` whether
/// links were added. Returns the links now stored.
fn store(
    conn: &mut DbConn,
    obs: &ObservedIncident,
    target: &mut Target,
    new_entries: Vec<NewEntry>,
    changes: &mut Changes,
) -> Result<Vec<(String, String)>, DbError> {
    if target.created {
        // A new row goes in once, as it ends up, before the entries that refer to it.
        insert_row(conn, &mut target.row)?;
    }
    let (links, services_added) =
        links::link_services(conn, &target.row.id, obs, target.links.take())?;
    changes.services_added = services_added;
    target
        .entries
        .extend(timeline::insert_many(conn, new_entries)?);
    if target.created {
        outbox::append_event(
            conn,
            outbox::Entity::Incident,
            &target.row.id,
            outbox::Operation::Upsert,
            outbox::Event::Created,
        )?;
    } else if changes.changed() {
        save_row(conn, &mut target.row, &target.was)?;
    }
    Ok(links)
}

/// A source that marks a maintenance makes the incident one, with the window it gives; a
/// source that does not never makes it an incident again. Whether anything changed.
fn schedule(row: &mut IncidentRow, obs: &ObservedIncident) -> bool {
    if obs.kind != IncidentKind::Maintenance {
        return false;
    }
    let kind = obs.kind.as_str().to_string();
    let window = (
        obs.scheduled_for.map(to_db_time).or(row.scheduled_for),
        obs.scheduled_until.map(to_db_time).or(row.scheduled_until),
    );
    if row.kind == kind && (row.scheduled_for, row.scheduled_until) == window {
        return false;
    }
    row.kind = kind;
    (row.scheduled_for, row.scheduled_until) = window;
    true
}

/// [`store`] for a new incident on PostgreSQL: the same rows, held until the document's end
/// (`db::deferred`). Returns the links it will have.
fn hold(
    known: &mut Known,
    obs: &ObservedIncident,
    target: &mut Target,
    new_entries: Vec<NewEntry>,
    changes: &mut Changes,
) -> Vec<(String, String)> {
    target.row.updated_at = to_db_time(now());
    let links = links::wanted_links(obs);
    changes.services_added = !links.is_empty();
    let entries = timeline::rows_of(new_entries);
    let impact = obs.impact.map(Impact::as_str);
    known
        .deferred
        .incident(&target.row, &links, impact, &entries);
    target.entries.extend(entries);
    links
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
        version: FIRST_VERSION,
        kind: obs.kind.as_str().to_string(),
        scheduled_for: obs.scheduled_for.map(to_db_time),
        scheduled_until: obs.scheduled_until.map(to_db_time),
    }
}
