//! Timeline entries: append an update (moving the incident's status and milestones), read a timeline.

use diesel::prelude::*;

use super::convert::{EntryRow, now, to_db_time};
use super::error::DbError;
use super::incidents::{apply_state, save_row, state_of};
use super::schema::timeline_entries;
use super::{DbConn, versions};
use crate::domain::{EntryId, EntryKind, IncidentId, NewUpdate, Precondition, TimelineEntry};

/// Everything a timeline entry is written from.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub incident_id: IncidentId,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub kind: EntryKind,
    pub source: String,
    pub source_id: Option<String>,
    pub external_id: Option<String>,
    pub status: Option<String>,
    pub impact: Option<String>,
    pub body: String,
    pub author: Option<String>,
    pub url: Option<String>,
    pub original_time: Option<String>,
    pub raw_ref: Option<String>,
    /// The components whose status the entry records a change of.
    pub changes: Vec<crate::domain::ComponentChange>,
}

/// Inserts one entry as given; callers own the incident's state and the outbox row.
pub fn insert(conn: &mut DbConn, e: &NewEntry) -> Result<TimelineEntry, DbError> {
    let row = row_of(e.clone(), to_db_time(now()));
    diesel::insert_into(timeline_entries::table)
        .values(&row)
        .execute(conn)?;
    row.into_domain()
}

/// Inserts entries as given, the fastest way each backend has (a bulk ingest writes thousands),
/// and returns the rows as stored; callers own the incident's state and the outbox row. The
/// entries are taken, not borrowed: their texts move into the rows rather than being copied.
pub fn insert_many(conn: &mut DbConn, entries: Vec<NewEntry>) -> Result<Vec<EntryRow>, DbError> {
    // 16 columns a row: 8,000 bound parameters a statement, under PostgreSQL's 65,535.
    const CHUNK: usize = 500;
    let recorded = to_db_time(now());
    let rows: Vec<EntryRow> = entries.into_iter().map(|e| row_of(e, recorded)).collect();
    match conn {
        // In process, a row costs SQLite little; preparing a statement costs more, and a
        // multi-row one differs with every count of rows. One single-row statement, prepared once
        // and kept in diesel's cache, serves every row of the run.
        DbConn::Sqlite(c) => {
            for row in &rows {
                super::sqlite_statements::InsertEntry(row).execute(c)?;
            }
        }
        // Over the network, a round trip is what costs: as few statements as possible.
        DbConn::Postgres(c) => {
            for chunk in rows.chunks(CHUNK) {
                diesel::insert_into(timeline_entries::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok(rows)
}

/// New entries as [`insert_many`] would store them, recorded now.
pub(crate) fn rows_of(entries: Vec<NewEntry>) -> Vec<EntryRow> {
    let recorded = to_db_time(now());
    entries.into_iter().map(|e| row_of(e, recorded)).collect()
}

fn row_of(e: NewEntry, recorded_at: chrono::NaiveDateTime) -> EntryRow {
    EntryRow {
        id: EntryId::generate().to_string(),
        incident_id: e.incident_id.to_string(),
        occurred_at: to_db_time(e.occurred_at),
        recorded_at,
        kind: e.kind.as_str().to_string(),
        source: e.source,
        source_id: e.source_id,
        external_id: e.external_id,
        status: e.status,
        impact: e.impact,
        body: e.body,
        author: e.author,
        url: e.url,
        original_time: e.original_time,
        raw_ref: e.raw_ref,
        edited_at: None,
        changes: super::changes::to_column(&e.changes),
    }
}

/// Appends a person's update and applies it to the incident as it is now (locked): status,
/// impact, milestones. Only at a version `expected` admits (`Stale` otherwise).
pub fn add_update(
    conn: &mut DbConn,
    incident: IncidentId,
    update: &NewUpdate,
    expected: &Precondition,
) -> Result<TimelineEntry, DbError> {
    let mut row = versions::lock(conn, &incident.to_string())?;
    versions::check(&row, expected)?;
    let was = row.status.clone();
    let mut state = state_of(&row)?;
    state.apply_update(update.status, update.impact, update.occurred_at);
    apply_state(&mut row, &state);
    let entry = insert(
        conn,
        &NewEntry {
            incident_id: incident,
            occurred_at: update.occurred_at,
            kind: EntryKind::StatusUpdate,
            source: update.source.clone(),
            source_id: None,
            external_id: None,
            status: update.status.map(|s| s.as_str().to_string()),
            impact: update.impact.map(|i| i.as_str().to_string()),
            body: update.body.as_str().to_string(),
            author: update.author.clone(),
            url: None,
            original_time: None,
            raw_ref: None,
            changes: Vec::new(),
        },
    )?;
    save_row(conn, &mut row, &was)?;
    Ok(entry)
}

/// The whole timeline, oldest first (ties broken by id, which is time-ordered).
pub fn for_incident(
    conn: &mut DbConn,
    incident: IncidentId,
) -> Result<Vec<TimelineEntry>, DbError> {
    let rows: Vec<EntryRow> = timeline_entries::table
        .filter(timeline_entries::incident_id.eq(incident.to_string()))
        .order((
            timeline_entries::occurred_at.asc(),
            timeline_entries::id.asc(),
        ))
        .select(EntryRow::as_select())
        .load(conn)?;
    rows.into_iter().map(EntryRow::into_domain).collect()
}

/// The timelines of several incidents in one query (the notification fan-out renders a batch's
/// changes, and a query per incident was a round trip each on PostgreSQL), each in
/// [`for_incident`]'s order. An incident with no entries has none in the map.
pub fn for_incidents(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<TimelineEntry>>, DbError> {
    let mut out: std::collections::HashMap<String, Vec<TimelineEntry>> = Default::default();
    for chunk in ids.chunks(1000) {
        let rows: Vec<EntryRow> = timeline_entries::table
            .filter(timeline_entries::incident_id.eq_any(chunk))
            .order((
                timeline_entries::incident_id.asc(),
                timeline_entries::occurred_at.asc(),
                timeline_entries::id.asc(),
            ))
            .select(EntryRow::as_select())
            .load(conn)?;
        for row in rows {
            let incident = row.incident_id.clone();
            out.entry(incident).or_default().push(row.into_domain()?);
        }
    }
    Ok(out)
}
