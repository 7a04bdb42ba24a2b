//! Reports in bulk: storing a `reports-jsonl` backfill and applying a `services` catalog.
//! Their parsers are in `ingest::reports` and `ingest::catalog`.
//!
//! Rules:
//! - A file is parsed whole before anything is written; a bad line fails the file, naming the
//!   line, and nothing of it is stored. It is then stored in one transaction.
//! - The opaque `reporter` is hashed with the store's secret salt, which lives here.
//! - When a backfill returns, the spikes, incidents and links its reports imply exist: it
//!   evaluates the services it touched (rewinding into the past as needed) in the same
//!   transaction, then recomputes links around them.

use chrono::{DateTime, Utc};

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

/// Why a backfill was refused.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error(transparent)]
    Line(#[from] LineError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Parses and stores a `reports-jsonl` document, then evaluates spikes and links up to `until`
/// (now, for the CLI and the API). All in one transaction.
pub fn backfill(
    db: &Db,
    bytes: &[u8],
    until: DateTime<Utc>,
) -> Result<BackfillReport, BackfillError> {
    let salt = db.run(reporter_salt)?;
    let reports = parse_jsonl(bytes, &salt, Utc::now())?;
    let mut failed_line = None;
    let result = db.write(|conn| {
        for (i, r) in reports.iter().enumerate() {
            if !db::reports::service_exists(conn, r.service.as_str())? {
                failed_line = Some(LineError {
                    line: i + 1,
                    message: format!(
                        "service: unknown service {:?}; add it to the catalog first",
                        r.service.as_str()
                    ),
                });
                return Err(DbError::NotFound);
            }
        }
        store_and_evaluate(conn, &reports, until)
    });
    match (result, failed_line) {
        (_, Some(line)) => Err(line.into()),
        (r, None) => Ok(r?),
    }
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
    let mut touched = Vec::new();
    for (service, earliest) in stored.earliest_by_service() {
        touched.extend(super::spikes::evaluate_service(
            conn,
            &service,
            until,
            Some(earliest),
            &rules,
        )?);
    }
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
