//! What one ingest batch reads of the store up front: the incidents its documents name, with
//! their entries and service links, and which of its raw items are already kept. A history of
//! snapshots (AWS `data.json`, Atom feeds) repeats the same incidents file after file; asking
//! per incident cost four statements for each unchanged one, and now a batch asks a handful of
//! queries in all.
//!
//! The queries run on the backend's own connection ([`super::on_backend`]), which skips
//! writing each one out twice through `DbConn`.
//!
//! The incidents are read locked (`db::versions`): only those whose raw items are new are read,
//! and those are the ones the batch goes on to change, so the read that finds them is the
//! batch's one lock on each, taken in (source, external id) order so that two batches never
//! wait on each other in a circle.
//!
//! The cache stays true for the whole batch because every write the batch makes to these rows
//! goes through [`crate::db::observed`], which puts back what it wrote. A savepoint rolled back
//! takes rows with it, so [`crate::db::known::Known::forget`] drops the cache too; what is not
//! in it is asked of the store as before.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;

use super::DbConn;
use super::convert::{EntryRow, IncidentRow};
use super::error::DbError;
use super::schema::{incident_services, incidents, observations, timeline_entries};

/// Values per `IN (…)` list: far under SQLite's 32,766 bound parameters (and PostgreSQL binds
/// one array anyway), and small enough that no statement gets huge.
const CHUNK: usize = 900;

/// An incident as stored, with what `observed::upsert` compares against.
#[derive(Debug, Clone)]
pub struct StoredIncident {
    pub row: IncidentRow,
    pub entries: Vec<EntryRow>,
    /// (service slug, component) pairs linked to the incident.
    pub links: Vec<(String, String)>,
}

/// What the cache knows of one (source id, external id).
pub enum Lookup {
    /// Not asked: ask the store.
    Unknown,
    /// Asked, and no such incident is stored.
    Absent,
    Found(Box<StoredIncident>),
}

#[derive(Debug, Default)]
pub struct Prefetched {
    /// (source id, external id) → the incident, or None when the store has none.
    incidents: HashMap<(String, String), Option<Box<StoredIncident>>>,
    /// (source id, content hash) of raw items known to be kept.
    observations: HashSet<(String, String)>,
    /// Sources created in this transaction: an incident of theirs not in `incidents` is absent.
    fresh: HashSet<String>,
}

impl Prefetched {
    /// Loads, a few queries for the lot, which of the raw items `hashes` are kept, then the
    /// incidents `keys` of the others (`keys[i]` is the incident of `hashes[i]`; both are
    /// (source id, value) pairs). A raw item kept already is skipped unread, so its incident
    /// is not worth reading: a snapshot history would read the same incidents, entries and
    /// all, for each snapshot.
    pub fn load(
        &mut self,
        conn: &mut DbConn,
        keys: &[(String, String)],
        hashes: &[(String, String)],
    ) -> Result<(), DbError> {
        debug_assert_eq!(keys.len(), hashes.len(), "one incident key per raw item");
        self.load_observations(conn, hashes)?;
        let wanted: HashSet<&(String, String)> = keys
            .iter()
            .zip(hashes)
            .filter(|(k, h)| !self.observations.contains(*h) && !self.incidents.contains_key(*k))
            .map(|(k, _)| k)
            .collect();
        let mut found: HashMap<String, StoredIncident> = HashMap::new();
        for (source, values) in grouped(wanted.iter().copied()) {
            let rows = locked_incidents(conn, &source, &values)?;
            for row in rows {
                let stored = StoredIncident {
                    row,
                    entries: Vec::new(),
                    links: Vec::new(),
                };
                found.insert(stored.row.id.clone(), stored);
            }
        }
        let ids: Vec<String> = found.keys().cloned().collect();
        for chunk in ids.chunks(CHUNK) {
            let entries: Vec<EntryRow> =
                super::on_backend!(&mut *conn, |c| timeline_entries::table
                    .filter(timeline_entries::incident_id.eq_any(chunk))
                    .select(EntryRow::as_select())
                    .load(c))?;
            for e in entries {
                if let Some(s) = found.get_mut(&e.incident_id) {
                    s.entries.push(e);
                }
            }
            let links: Vec<(String, String, String)> =
                super::on_backend!(&mut *conn, |c| incident_services::table
                    .filter(incident_services::incident_id.eq_any(chunk))
                    .select((
                        incident_services::incident_id,
                        incident_services::service_slug,
                        incident_services::component,
                    ))
                    .load(c))?;
            for (id, slug, component) in links {
                if let Some(s) = found.get_mut(&id) {
                    s.links.push((slug, component));
                }
            }
        }
        for key in wanted {
            self.incidents.insert(key.clone(), None);
        }
        for stored in found.into_values() {
            if let (Some(s), Some(e)) = (&stored.row.source_id, &stored.row.external_id) {
                self.incidents
                    .insert((s.clone(), e.clone()), Some(Box::new(stored)));
            }
        }
        Ok(())
    }

    fn load_observations(
        &mut self,
        conn: &mut DbConn,
        hashes: &[(String, String)],
    ) -> Result<(), DbError> {
        let wanted: HashSet<&(String, String)> = hashes
            .iter()
            .filter(|h| !self.observations.contains(*h))
            .collect();
        for (source, values) in grouped(wanted.iter().copied()) {
            let kept: Vec<(String, String)> =
                super::on_backend!(&mut *conn, |c| observations::table
                    .filter(observations::source_id.eq(source))
                    .filter(observations::content_hash.eq_any(values))
                    .select((observations::source_id, observations::content_hash))
                    .load(c))?;
            self.observations.extend(kept);
        }
        Ok(())
    }

    /// Takes the incident out of the cache; the caller puts back what it leaves stored.
    pub fn take(&mut self, source_id: &str, external_id: &str) -> Lookup {
        let key = (source_id.to_string(), external_id.to_string());
        match self.incidents.get_mut(&key) {
            None if self.fresh.contains(source_id) => Lookup::Absent,
            None => Lookup::Unknown,
            Some(slot) => match slot.take() {
                Some(stored) => Lookup::Found(stored),
                None => Lookup::Absent,
            },
        }
    }

    /// The incident as it is now stored.
    pub fn put(&mut self, source_id: &str, external_id: &str, stored: StoredIncident) {
        let key = (source_id.to_string(), external_id.to_string());
        self.incidents.insert(key, Some(Box::new(stored)));
    }

    pub fn is_kept(&self, source_id: &str, hash: &str) -> bool {
        self.observations
            .contains(&(source_id.to_string(), hash.to_string()))
    }

    pub fn kept(&mut self, source_id: &str, hash: &str) {
        self.observations
            .insert((source_id.to_string(), hash.to_string()));
    }

    /// The source was created in this transaction, so the store holds no incident of it that
    /// this cache has not been given ([`Prefetched::put`]): none is asked for.
    pub fn fresh_source(&mut self, source_id: &str) {
        self.fresh.insert(source_id.to_string());
    }

    pub fn forget(&mut self) {
        self.incidents.clear();
        self.observations.clear();
        self.fresh.clear();
    }
}

/// The incidents of `source` among the external ids `values`, locked in external id order.
fn locked_incidents(
    conn: &mut DbConn,
    source: &str,
    values: &[String],
) -> Result<Vec<IncidentRow>, DbError> {
    let query = || {
        incidents::table
            .filter(incidents::source_id.eq(source))
            .filter(incidents::external_id.eq_any(values))
            .order(incidents::external_id)
    };
    Ok(match conn {
        DbConn::Postgres(c) => query()
            .select(IncidentRow::as_select())
            .for_no_key_update()
            .load(c)?,
        DbConn::Sqlite(c) => query().select(IncidentRow::as_select()).load(c)?,
    })
}

/// Groups (source id, value) pairs by source, in lists of up to [`CHUNK`] values, for
/// `source_id = ? AND value IN (…)` queries; sources and values in order.
fn grouped<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> Vec<(String, Vec<String>)> {
    let mut by_source: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (s, v) in pairs {
        by_source.entry(s).or_default().push(v.clone());
    }
    let mut out = Vec::new();
    for (source, mut values) in by_source {
        values.sort();
        values.dedup();
        for chunk in values.chunks(CHUNK) {
            out.push((source.to_string(), chunk.to_vec()));
        }
    }
    out
}
