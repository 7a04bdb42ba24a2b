//! The `reports-jsonl` format: user reports in bulk, one JSON object a line.
//!
//! Rules: a document is parsed whole; the first bad line fails it, naming the line (1-based),
//! and nothing of it is returned. `reported_at` may lie anywhere in the past, never in the
//! future. The opaque `reporter` is hashed with the caller's salt here, so it is never kept.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::report::{self, NewReport, ReportFields};
use crate::domain::time::EARLIEST;

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
        if at < EARLIEST {
            return Err(err(format!(
                "reported_at: {} is before 1990-01-01",
                r.reported_at.trim()
            )));
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
