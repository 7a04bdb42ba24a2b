//! User reports ("X is down for me"), validated once at the edge.
//!
//! Rules:
//! - A comment is plain text of at most [`COMMENT_MAX_CHARS`] characters; line breaks and tabs
//!   are allowed, other control characters are refused. It is never rendered as Markdown or HTML.
//! - A country is an ISO 3166-1 alpha-2 code, stored upper case.
//! - The reporter is never stored as given: callers hash it with a secret salt first
//!   ([`reporter_hash`]), so the store cannot tell who reported.
//! - One report per reporter per service per 15-minute window counts ([`dedup_window`]); windows
//!   are fixed (aligned to the quarter hour) so the outcome does not depend on arrival order,
//!   which is what lets a backfill give the same counts as the live stream.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::service::ServiceSlug;
use super::text::ValidationError;

pub const COMMENT_MAX_CHARS: usize = 500;
pub const DEDUP_WINDOW_MINUTES: i64 = 15;

/// What a reporter says is broken, after Downdetector's indicators.
pub const SYMPTOMS: &[&str] = &[
    "outage",
    "login",
    "app",
    "website",
    "server_connection",
    "payments",
    "notifications",
    "other",
];

/// A validated report, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub service: ServiceSlug,
    /// Event time: arrival for the public, the given time for a token holder's backfill.
    pub reported_at: DateTime<Utc>,
    pub symptom: Option<String>,
    pub comment: Option<String>,
    pub country: Option<String>,
    /// Hex SHA-256 of the salt and the reporter's identity.
    pub reporter_hash: String,
    /// `public` or `backfill`.
    pub via: &'static str,
}

/// The raw fields of a report, as any edge (API, form, JSONL) received them.
#[derive(Debug, Clone, Default)]
pub struct ReportFields<'a> {
    pub service: &'a str,
    pub symptom: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub country: Option<&'a str>,
}

/// The parsed optional fields of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportText {
    pub service: ServiceSlug,
    pub symptom: Option<String>,
    pub comment: Option<String>,
    pub country: Option<String>,
}

/// Validates every field, collecting every error.
pub fn parse_fields(f: &ReportFields<'_>) -> Result<ReportText, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let service = ServiceSlug::parse("service", f.service.trim())
        .map_err(|e| errors.push(e))
        .ok();
    let symptom = match f.symptom.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if SYMPTOMS.contains(&s) => Some(s.to_string()),
        Some(s) => {
            errors.push(ValidationError::new(
                "symptom",
                format!(
                    "unknown value {s:?}; expected one of: {}",
                    SYMPTOMS.join(", ")
                ),
            ));
            None
        }
    };
    let comment = f
        .comment
        .and_then(|c| parse_comment(c).map_err(|e| errors.push(e)).ok())
        .flatten();
    let country = f
        .country
        .and_then(|c| parse_country(c).map_err(|e| errors.push(e)).ok())
        .flatten();
    match (service, errors.is_empty()) {
        (Some(service), true) => Ok(ReportText {
            service,
            symptom,
            comment,
            country,
        }),
        _ => Err(errors),
    }
}

/// A comment: trimmed, empty means none, at most 500 characters, no control characters but
/// line breaks and tabs.
pub fn parse_comment(raw: &str) -> Result<Option<String>, ValidationError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > COMMENT_MAX_CHARS {
        return Err(ValidationError::new(
            "comment",
            format!("must be at most {COMMENT_MAX_CHARS} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ValidationError::new(
            "comment",
            "must not contain control characters",
        ));
    }
    Ok(Some(trimmed.to_string()))
}

/// An ISO 3166-1 alpha-2 code such as `FR`; empty means none.
pub fn parse_country(raw: &str) -> Result<Option<String>, ValidationError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.len() != 2 || !trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ValidationError::new(
            "country",
            "must be a two-letter ISO 3166 country code such as FR",
        ));
    }
    Ok(Some(trimmed.to_ascii_uppercase()))
}

/// The salted hash a reporter is known by. `parts` are hashed with separators, so
/// ("ab", "c") and ("a", "bc") differ.
pub fn reporter_hash(salt: &[u8], parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The start of the fixed 15-minute window a time falls in.
pub fn dedup_window(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::minutes(DEDUP_WINDOW_MINUTES))
        .unwrap_or(t)
}

/// The start of the minute a time falls in: the bucket it is counted in.
pub fn minute_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_field_error_is_reported_at_once() {
        let errors = parse_fields(&ReportFields {
            service: "Not A Slug",
            symptom: Some("sad"),
            comment: Some("a\u{7}b"),
            country: Some("France"),
        })
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["service", "symptom", "comment", "country"]);
    }

    #[test]
    fn comments_keep_line_breaks_but_not_other_controls_or_excess() {
        assert_eq!(
            parse_comment(" line one\nline two ").unwrap().as_deref(),
            Some("line one\nline two")
        );
        assert!(parse_comment("bell\u{7}").is_err());
        assert!(parse_comment(&"é".repeat(500)).is_ok());
        assert!(parse_comment(&"é".repeat(501)).is_err());
        assert_eq!(parse_comment("   ").unwrap(), None);
    }

    #[test]
    fn countries_are_two_letters_upper_cased() {
        assert_eq!(parse_country("fr").unwrap().as_deref(), Some("FR"));
        assert!(parse_country("FRA").is_err());
        assert!(parse_country("1A").is_err());
    }

    #[test]
    fn reporter_hashes_depend_on_salt_and_separate_their_parts() {
        let a = reporter_hash(b"salt", &["ab", "c"]);
        assert_ne!(a, reporter_hash(b"salt", &["a", "bc"]));
        assert_ne!(a, reporter_hash(b"pepper", &["ab", "c"]));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("ab"));
    }

    #[test]
    fn windows_are_fixed_quarter_hours() {
        let t = Utc.with_ymd_and_hms(2025, 10, 20, 7, 29, 59).unwrap();
        assert_eq!(
            dedup_window(t),
            Utc.with_ymd_and_hms(2025, 10, 20, 7, 15, 0).unwrap()
        );
        assert_eq!(
            minute_of(t),
            Utc.with_ymd_and_hms(2025, 10, 20, 7, 29, 0).unwrap()
        );
    }
}
