//! On PostgreSQL, the rows a document's new incidents need, held back and written at the end of
//! the document in one multi-row INSERT per table. A new incident cost five statements (its row,
//! its service links, its entries, its outbox row with the version bump, its raw item), and over
//! the network each is a round trip; a document of fifty incidents now costs five in all.
//!
//! Rules:
//! - Only on PostgreSQL, and only while [`crate::correlate`] applies a document: it turns the
//!   buffer on at the document's start and [`Deferred::flush`]es it at the end, inside the
//!   document's transaction or savepoint, so a failure still rolls the document back whole.
//!   SQLite keeps its single-row statements, which diesel caches and which cost it less.
//! - The store ends exactly as the immediate writes leave it: incidents go in before the rows
//!   that refer to them, and an incident row goes in at the version its outbox row's bump would
//!   have given it.
//! - Nothing reads a held row: a write that would touch an incident the buffer holds (an edit
//!   of its entries later in the document, a provider postmortem) flushes first
//!   ([`Deferred::holds`]). Rows of an abandoned document are dropped with [`Deferred::clear`].

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::convert::{EntryRow, IncidentRow, now, to_db_time};
use super::error::DbError;
use super::outbox::{Entity, Event, Operation};
use super::schema::{incident_services, incidents, observations, outbox, timeline_entries};

/// Rows per INSERT: incidents have the most columns (19), 9,500 bound parameters a statement,
/// far under PostgreSQL's 65,535.
const CHUNK: usize = 500;

/// A raw item to keep, as `db::provenance::record` keeps it.
#[derive(Debug, Clone)]
struct Observation {
    id: String,
    source_id: String,
    incident_id: Option<String>,
    format: String,
    origin: String,
    fetched_at: NaiveDateTime,
    content_hash: String,
    raw: String,
}

/// One service link of a new incident: (incident, service, component, impact).
type Link = (String, String, String, Option<String>);

#[derive(Debug, Default)]
pub struct Deferred {
    on: bool,
    incidents: Vec<IncidentRow>,
    links: Vec<Link>,
    entries: Vec<EntryRow>,
    observations: Vec<Observation>,
    /// Ids of the incidents held.
    held: HashSet<String>,
}

impl Deferred {
    /// Holds rows from now on when `conn` is PostgreSQL; the caller flushes.
    pub fn start(&mut self, conn: &DbConn) {
        self.on = matches!(conn, DbConn::Postgres(_));
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Whether rows of this incident are held.
    pub fn holds(&self, incident_id: &str) -> bool {
        self.held.contains(incident_id)
    }

    /// Holds a new incident whole: its row (inserted then bumped once by its outbox row, as
    /// `observed::store` writes it), its links and its entries.
    pub fn incident(
        &mut self,
        row: &IncidentRow,
        links: &[(String, String)],
        impact: Option<&str>,
        entries: &[EntryRow],
    ) {
        let mut stored = row.clone();
        stored.version += 1;
        self.held.insert(row.id.clone());
        self.incidents.push(stored);
        self.links.extend(links.iter().map(|(service, component)| {
            let impact = impact.map(str::to_string);
            (row.id.clone(), service.clone(), component.clone(), impact)
        }));
        self.entries.extend_from_slice(entries);
    }

    /// Holds a raw item to keep (`UNIQUE (source_id, content_hash)` decides at the flush).
    pub fn observation(
        &mut self,
        source_id: &str,
        incident_id: Option<&str>,
        format: &str,
        origin: &str,
        raw: &str,
        hash: &str,
    ) {
        self.observations.push(Observation {
            id: uuid::Uuid::now_v7().to_string(),
            source_id: source_id.to_string(),
            incident_id: incident_id.map(str::to_string),
            format: format.to_string(),
            origin: origin.to_string(),
            fetched_at: to_db_time(now()),
            content_hash: hash.to_string(),
            raw: raw.to_string(),
        });
    }

    /// Drops what is held: the transaction it belonged to was rolled back.
    pub fn clear(&mut self) {
        self.incidents.clear();
        self.links.clear();
        self.entries.clear();
        self.observations.clear();
        self.held.clear();
    }

    /// Writes what is held and holds nothing more: the document is done.
    pub fn finish(&mut self, conn: &mut DbConn) -> Result<(), DbError> {
        self.flush(conn)?;
        self.on = false;
        Ok(())
    }

    /// Writes what is held, a few statements for the lot, parents first.
    pub fn flush(&mut self, conn: &mut DbConn) -> Result<(), DbError> {
        let DbConn::Postgres(c) = conn else {
            // Nothing is held on SQLite (see `start`).
            return Ok(());
        };
        for chunk in self.incidents.chunks(CHUNK) {
            diesel::insert_into(incidents::table)
                .values(chunk)
                .execute(c)?;
        }
        for chunk in self.links.chunks(CHUNK) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(incident, service, component, impact)| {
                    (
                        incident_services::incident_id.eq(incident),
                        incident_services::service_slug.eq(service),
                        incident_services::component.eq(component),
                        incident_services::impact.eq(impact),
                    )
                })
                .collect();
            diesel::insert_into(incident_services::table)
                .values(rows)
                .execute(c)?;
        }
        for chunk in self.entries.chunks(CHUNK) {
            diesel::insert_into(timeline_entries::table)
                .values(chunk)
                .execute(c)?;
        }
        self.flush_outbox(c)?;
        self.flush_observations(c)?;
        self.clear();
        Ok(())
    }

    /// One outbox row per new incident; its version was counted into the row already.
    fn flush_outbox(&self, c: &mut diesel::PgConnection) -> Result<(), DbError> {
        let (entity, operation) = (Entity::Incident.as_str(), Operation::Upsert.as_str());
        // A held incident is always a new one: notifications announce it as created.
        let event = Event::Created.as_str();
        let created_at = to_db_time(now());
        for chunk in self.incidents.chunks(CHUNK) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|row| {
                    (
                        outbox::entity.eq(entity),
                        outbox::entity_id.eq(&row.id),
                        outbox::operation.eq(operation),
                        outbox::created_at.eq(created_at),
                        outbox::event.eq(event),
                    )
                })
                .collect();
            diesel::insert_into(outbox::table).values(rows).execute(c)?;
        }
        for _ in &self.incidents {
            crate::telemetry::metrics::count_write(entity, operation);
        }
        Ok(())
    }

    fn flush_observations(&self, c: &mut diesel::PgConnection) -> Result<(), DbError> {
        for chunk in self.observations.chunks(CHUNK) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|o| {
                    (
                        observations::id.eq(&o.id),
                        observations::source_id.eq(&o.source_id),
                        observations::incident_id.eq(&o.incident_id),
                        observations::format.eq(&o.format),
                        observations::origin.eq(&o.origin),
                        observations::fetched_at.eq(o.fetched_at),
                        observations::content_hash.eq(&o.content_hash),
                        observations::raw.eq(&o.raw),
                    )
                })
                .collect();
            diesel::insert_into(observations::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(c)?;
        }
        Ok(())
    }
}
