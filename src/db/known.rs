//! What one ingest batch has already made sure exists: the page sources and the services its
//! documents name. A batch of GitHub files names the same page and the same few components
//! hundreds of times; asking the store once per batch instead of once per incident is a large
//! share of what makes bulk ingest fast.
//!
//! It also holds what the batch read up front of the incidents it names ([`Prefetched`]).
//!
//! The batch runs each document in a savepoint. A savepoint rolled back takes the rows it
//! created with it, so after a failed document the caller calls [`Known::forget`].

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::deferred::Deferred;
use super::error::DbError;
use super::prefetch::Prefetched;
use super::schema::sources as sources_table;
use super::spike_opened::SpikeOpened;
use super::{DbConn, services, sources};
use crate::domain::ServiceSlug;

#[derive(Debug, Default)]
pub struct Known {
    /// (kind, name) → source id.
    sources: HashMap<(String, String), String>,
    services: HashSet<ServiceSlug>,
    pub(crate) stored: Prefetched,
    /// Incidents spikes opened that a new provider incident may take over.
    pub(crate) spike_opened: SpikeOpened,
    /// On PostgreSQL, a document's new incidents, written at its end (`db::deferred`).
    pub(crate) deferred: Deferred,
}

impl Known {
    /// [`sources::ensure`], asked once per batch.
    pub fn source(
        &mut self,
        conn: &mut DbConn,
        kind: &str,
        name: &str,
        url: Option<&str>,
    ) -> Result<String, DbError> {
        let key = (kind.to_string(), name.to_string());
        if let Some(id) = self.sources.get(&key) {
            return Ok(id.clone());
        }
        let (id, created) = sources::ensure_noting(conn, kind, name, url)?;
        if created {
            // Its incidents can only be ones this batch writes: asking the store would find none.
            self.stored.fresh_source(&id);
        }
        self.sources.insert(key, id.clone());
        Ok(id)
    }

    /// The ids of the existing sources of `kind` among `names`, without creating any: a batch
    /// reads ahead before its documents' savepoints, and a source made there would outlive a
    /// document that fails.
    pub fn existing_sources(
        &mut self,
        conn: &mut DbConn,
        kind: &str,
        names: &[String],
    ) -> Result<HashMap<String, String>, DbError> {
        let rows: Vec<(String, String)> = sources_table::table
            .filter(sources_table::kind.eq(kind))
            .filter(sources_table::name.eq_any(names))
            .select((sources_table::name, sources_table::id))
            .load(conn)?;
        for (name, id) in &rows {
            self.sources
                .insert((kind.to_string(), name.clone()), id.clone());
        }
        Ok(rows.into_iter().collect())
    }

    /// [`services::ensure_exist`] for the services not yet made sure of in this batch.
    pub fn ensure_services(
        &mut self,
        conn: &mut DbConn,
        slugs: &[ServiceSlug],
    ) -> Result<(), DbError> {
        let mut missing: Vec<ServiceSlug> = slugs
            .iter()
            .filter(|s| !self.services.contains(*s))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort();
        missing.dedup();
        services::ensure_exist(conn, &missing)?;
        self.services.extend(missing);
        Ok(())
    }

    /// A savepoint was rolled back: what it created is gone, so nothing is known any more.
    pub fn forget(&mut self) {
        self.sources.clear();
        self.services.clear();
        self.stored.forget();
        self.spike_opened.forget();
        self.deferred.clear();
    }
}
