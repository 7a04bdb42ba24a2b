//! Reports in bulk: storing a `reports-jsonl` backfill and applying a `services` catalog.
//! Their parsers are in `ingest::reports` and `ingest::catalog`.
//!
//! Rules:
//! - A file is parsed and checked whole before anything is written; a bad line (or an unknown
//!   service) fails the file, naming the line, and nothing of it is stored. It is then stored
//!   in transactions of [`BACKFILL_UNIT`] reports, each whole or not at all: a long backfill
//!   never holds one transaction open (on PostgreSQL that would hold back the horizon every
//!   instance's search indexer waits for). A store failure midway says how much was stored.
//! - The opaque `reporter` is hashed with the store's secret salt, which lives here.
//! - When a backfill returns, the spikes, incidents and links its reports imply exist: it
//!   evaluates the services it touched (rewinding into the past as needed) under the
//!   evaluation lock, then recomputes links around them. Several backfills at once leave what
//!   one backfill of all their reports leaves: see `db::reports` (which report counts) and
//!   `correlate::spikes` (a rewind undoes what was derived from part of the counts).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::db::evaluation_lock::Sqlite;
use crate::db::{self, Db, DbConn, DbError};
use crate::domain::Service;
use crate::domain::report::NewReport;
use crate::domain::spikes::Rules;
use crate::ingest::reports::{LineError, parse_jsonl};

/// The name of the secret the reporter hashes are salted with.
pub const SALT_NAME: &str = db::secrets::REPORTER_SALT;

/// The salt, created on first use and shared by every instance.
pub fn reporter_salt(conn: &mut DbConn) -> Result<Vec<u8>, DbError> {
    db::secrets::get_or_create(conn, SALT_NAME, 32)
}

/// What a backfill stored and found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BackfillReport {
    pub format: String,
    pub reports: usize,
    pub counted: usize,
    pub duplicates: usize,
    /// Incidents the spike evaluation opened, joined or changed.
    pub incidents: usize,
}

/// Why a backfill was refused, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error(transparent)]
    Line(#[from] LineError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// The store failed after some units were committed: those stay, the rest was not stored.
    #[error("{source} (after {stored} of {total} reports were stored)")]
    Partial {
        stored: usize,
        total: usize,
        source: DbError,
    },
}

/// Reports a backfill stores per transaction: small enough that no transaction of a backfill
/// holds PostgreSQL's horizon back for long (the search indexer waits for it), large enough
/// that commits cost little. One such transaction takes well under a second.
pub const BACKFILL_UNIT: usize = 5_000;

/// Parses and stores a `reports-jsonl` document, then evaluates spikes and links up to `until`
/// (now, for the CLI and the API). The document is checked whole first (a bad line or an
/// unknown service stores nothing), then stored in transactions of [`BACKFILL_UNIT`] reports,
/// then evaluated under the evaluation lock, from the counts as they are then: another
/// backfill loading meanwhile leaves the same spikes, incidents and links as one that loaded
/// both files (see `correlate::spikes`).
pub fn backfill(
    db: &Db,
    bytes: &[u8],
    until: DateTime<Utc>,
) -> Result<BackfillReport, BackfillError> {
    let salt = db.run(reporter_salt)?;
    let reports = parse_jsonl(bytes, &salt, Utc::now())?;
    db.run(|conn| unknown_service(conn, &reports))?
        .map_or(Ok(()), |line| Err(BackfillError::Line(line)))?;
    let mut counted = 0;
    let mut dirty: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for (i, unit) in reports.chunks(BACKFILL_UNIT).enumerate() {
        let stored = db
            .write(|conn| db::reports::insert_batch(conn, unit))
            .map_err(|source| match i {
                0 => BackfillError::Db(source),
                _ => BackfillError::Partial {
                    stored: i * BACKFILL_UNIT,
                    total: reports.len(),
                    source,
                },
            })?;
        counted += stored.counted.iter().filter(|c| **c).count();
        for (service, earliest) in stored.earliest_by_service() {
            let e = dirty.entry(service).or_insert(earliest);
            *e = (*e).min(earliest);
        }
    }
    let incidents =
        evaluate_backfilled(db, &dirty, until).map_err(|source| BackfillError::Partial {
            stored: reports.len(),
            total: reports.len(),
            source,
        })?;
    Ok(BackfillReport {
        format: "reports-jsonl".into(),
        reports: reports.len(),
        counted,
        duplicates: reports.len() - counted,
        incidents,
    })
}

/// The first line naming a service the store does not know.
fn unknown_service(conn: &mut DbConn, reports: &[NewReport]) -> Result<Option<LineError>, DbError> {
    let mut known: BTreeMap<&str, bool> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        let slug = r.service.as_str();
        let exists = match known.get(slug) {
            Some(e) => *e,
            None => {
                let e = db::reports::service_exists(conn, slug)?;
                known.insert(slug, e);
                e
            }
        };
        if !exists {
            return Ok(Some(LineError {
                line: i + 1,
                message: format!("service: unknown service {slug:?}; add it to the catalog first"),
            }));
        }
    }
    Ok(None)
}

/// Evaluates the services a backfill changed, each from the earliest minute it changed, then
/// links around the incidents touched; returns how many. On SQLite in one transaction, on
/// PostgreSQL one per service under the evaluation lock.
fn evaluate_backfilled(
    db: &Db,
    dirty: &BTreeMap<String, DateTime<Utc>>,
    until: DateTime<Utc>,
) -> Result<usize, DbError> {
    let rules = Rules::default();
    db::evaluation_lock::exclusively(db, Sqlite::OneTransaction, |ex| {
        let mut touched = Vec::new();
        for (service, earliest) in dirty {
            touched.extend(ex.unit(|conn| {
                super::spikes::evaluate_service(conn, service, until, Some(*earliest), &rules)
            })?);
        }
        Ok(super::spikes::relink(ex, touched)?.len())
    })
}

/// Stores reports and evaluates the services they touched up to `until`. Call inside a write
/// transaction; tests call it chunk by chunk to replay a live stream.
pub fn store_and_evaluate(
    conn: &mut DbConn,
    reports: &[NewReport],
    until: DateTime<Utc>,
) -> Result<BackfillReport, DbError> {
    let stored = db::reports::insert_batch(conn, reports)?;
    let rules = Rules::default();
    let dirty = stored.earliest_by_service();
    let mut touched = super::spikes::touched::evaluate_touched(conn, &dirty, until, &rules)?;
    touched.sort();
    touched.dedup();
    for id in &touched {
        super::links::recompute_for(conn, *id)?;
    }
    let counted = stored.counted.iter().filter(|c| **c).count();
    Ok(BackfillReport {
        format: "reports-jsonl".into(),
        reports: reports.len(),
        counted,
        duplicates: reports.len() - counted,
        incidents: touched.len(),
    })
}

/// What a catalog changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CatalogReport {
    pub format: String,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Applies a catalog in one transaction, then recomputes links (dependencies changed).
pub fn apply_catalog(conn: &mut DbConn, services: &[Service]) -> Result<CatalogReport, DbError> {
    let mut report = CatalogReport {
        format: "services".into(),
        ..Default::default()
    };
    for s in services {
        match db::services::put(conn, s)? {
            db::services::Put::Created => report.created += 1,
            db::services::Put::Replaced => report.updated += 1,
            db::services::Put::Unchanged => report.unchanged += 1,
        }
    }
    if report.created + report.updated > 0 {
        let slugs: Vec<String> = services.iter().map(|s| s.slug.to_string()).collect();
        super::links::recompute_for_services(conn, &slugs)?;
    }
    Ok(report)
}
