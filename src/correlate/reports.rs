//! Reports in bulk: the `reports-jsonl` backfill and the `services` TOML catalog.
//!
//! Rules:
//! - A file is parsed whole before anything is written; a bad line fails the file, naming the
//!   line, and nothing of it is stored. It is then stored in one transaction.
//! - A backfill's `reported_at` may lie anywhere in the past; a time in the future is refused.
//!   The opaque `reporter` is hashed with the store's secret salt before storage.
//! - When a backfill returns, the spikes, incidents and links its reports imply exist: it
//!   evaluates the services it touched (rewinding into the past as needed) in the same
//!   transaction, then recomputes links around them.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::db::{self, Db, DbConn, DbError};
use crate::domain::report::{self, NewReport, ReportFields};
use crate::domain::spikes::Rules;
use crate::domain::{Service, ServiceKind, ServiceSlug};

/// The name of the secret the reporter hashes are salted with.
pub const SALT_NAME: &str = "reporter_salt";

/// The salt, created on first use and shared by every instance.
pub fn reporter_salt(conn: &mut DbConn) -> Result<Vec<u8>, DbError> {
    db::secrets::get_or_create(conn, SALT_NAME, 32)
}

/// A line or document that cannot be taken, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportLine {
    service: String,
    reported_at: String,
    reporter: String,
    symptom: Option<String>,
    comment: Option<String>,
    country: Option<String>,
}

/// Parses a `reports-jsonl` document: one JSON object a line, blank lines skipped.
pub fn parse_jsonl(
    bytes: &[u8],
    salt: &[u8],
    now: DateTime<Utc>,
) -> Result<Vec<NewReport>, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|e| LineError {
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
        message: "not valid UTF-8".into(),
    })?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let err = |message: String| LineError { line, message };
        let r: ReportLine = serde_json::from_str(raw).map_err(|e| err(e.to_string()))?;
        let fields = report::parse_fields(&ReportFields {
            service: &r.service,
            symptom: r.symptom.as_deref(),
            comment: r.comment.as_deref(),
            country: r.country.as_deref(),
        })
        .map_err(|errors| {
            err(errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "))
        })?;
        let at = DateTime::parse_from_rfc3339(r.reported_at.trim())
            .map_err(|e| {
                err(format!(
                    "reported_at: {:?} is not an RFC 3339 time ({e})",
                    r.reported_at
                ))
            })?
            .with_timezone(&Utc);
        if at > now {
            return Err(err("reported_at: must not be in the future".into()));
        }
        let reporter = r.reporter.trim();
        if reporter.is_empty() || reporter.len() > 200 {
            return Err(err("reporter: must be 1 to 200 bytes".into()));
        }
        out.push(NewReport {
            service: fields.service,
            reported_at: at,
            symptom: fields.symptom,
            comment: fields.comment,
            country: fields.country,
            reporter_hash: report::reporter_hash(salt, &["backfill", reporter]),
            via: "backfill",
        });
    }
    if out.is_empty() {
        return Err(LineError {
            line: 1,
            message: "no reports in the document".into(),
        });
    }
    Ok(out)
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    #[serde(default)]
    service: Vec<CatalogEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogEntry {
    slug: String,
    name: String,
    provider: Option<String>,
    region: Option<String>,
    kind: String,
    depends_on: Option<Vec<String>>,
    status_page_url: Option<String>,
}

/// Parses a `services` catalog: `[[service]]` tables.
pub fn parse_catalog(bytes: &[u8]) -> Result<Vec<Service>, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|_| LineError {
        line: 1,
        message: "not valid UTF-8".into(),
    })?;
    let catalog: Catalog = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |s| 1 + text[..s.start].matches('\n').count());
        LineError {
            line,
            message: e.message().to_string(),
        }
    })?;
    let mut out = Vec::new();
    for (i, e) in catalog.service.into_iter().enumerate() {
        let err = |message: String| LineError {
            line: i + 1,
            message: format!("[[service]] #{}: {message}", i + 1),
        };
        let slug = ServiceSlug::parse("slug", &e.slug).map_err(|e| err(e.to_string()))?;
        let name = e.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(err("name: must be one line of 1 to 200 characters".into()));
        }
        let kind: ServiceKind = e.kind.parse().map_err(|x| err(format!("kind: {x}")))?;
        let mut depends_on = e
            .depends_on
            .unwrap_or_default()
            .iter()
            .map(|d| ServiceSlug::parse("depends_on", d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| err(e.to_string()))?;
        depends_on.sort();
        depends_on.dedup();
        out.push(Service {
            slug,
            name,
            provider: e.provider.filter(|p| !p.trim().is_empty()),
            region: e.region.filter(|r| !r.trim().is_empty()),
            kind,
            depends_on,
            status_page_url: e.status_page_url,
        });
    }
    if out.is_empty() {
        return Err(LineError {
            line: 1,
            message: "no [[service]] tables in the catalog".into(),
        });
    }
    Ok(out)
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
