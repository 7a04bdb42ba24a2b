//! Times that come from people and query strings: RFC 3339 with any offset, kept as UTC.

use chrono::{DateTime, Utc};

use super::text::ValidationError;

/// RFC 3339 with any offset, stored as UTC.
pub fn parse_time(field: &'static str, raw: &str) -> Result<DateTime<Utc>, ValidationError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ValidationError::new(field, format!("{raw:?} is not an RFC 3339 time ({e})")))
}
