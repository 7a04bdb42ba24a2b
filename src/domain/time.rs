//! Times that come from outside: people, query strings, documents and report lines.
//!
//! Rules:
//! - Text is RFC 3339 with any offset, stored as UTC.
//! - Every time from outside lies between [`EARLIEST`] (1990-01-01) and now + 1 day; a
//!   scheduled maintenance window may lie up to a year ahead. Anything else is refused like
//!   any other bad value, naming the field: a year-1 start would otherwise make a chart or a
//!   spike evaluation walk two thousand years of minutes.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::text::ValidationError;

/// Nothing Aftermath tracks happened before this: the web itself is younger.
pub const EARLIEST: DateTime<Utc> = match NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
    None => DateTime::<Utc>::MIN_UTC,
};

/// How far ahead a time may lie: clocks and time zones disagree by up to a day.
pub const AHEAD: Duration = Duration::days(1);
/// How far ahead a scheduled maintenance window may lie.
pub const SCHEDULED_AHEAD: Duration = Duration::days(365);

/// Which times may lie how far ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    /// Events: up to a day ahead.
    Event,
    /// A scheduled maintenance window: up to a year ahead.
    Scheduled,
}

impl Horizon {
    pub fn latest(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Event => now + AHEAD,
            Self::Scheduled => now + SCHEDULED_AHEAD,
        }
    }

    /// How the range reads in an error message.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Event => "between 1990-01-01 and tomorrow",
            Self::Scheduled => "between 1990-01-01 and a year from now",
        }
    }
}

/// Whether `t` lies in the range of `horizon`.
pub fn in_range(t: DateTime<Utc>, horizon: Horizon, now: DateTime<Utc>) -> bool {
    t >= EARLIEST && t <= horizon.latest(now)
}

/// `t`, or an error naming `field` when it lies outside the range of events.
pub fn check_range(
    field: &'static str,
    t: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ValidationError> {
    if in_range(t, Horizon::Event, now) {
        Ok(t)
    } else {
        Err(ValidationError::new(
            field,
            format!("{} must lie {}", t.to_rfc3339(), Horizon::Event.describe()),
        ))
    }
}

/// RFC 3339 with any offset, stored as UTC, and within the range of events.
pub fn parse_time(field: &'static str, raw: &str) -> Result<DateTime<Utc>, ValidationError> {
    let t = DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            ValidationError::new(field, format!("{raw:?} is not an RFC 3339 time ({e})"))
        })?;
    check_range(field, t, Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn times_from_1990_to_tomorrow_are_events() {
        let now = at("2026-12-07T12:00:00Z");
        assert!(in_range(at("1990-01-01T00:00:00Z"), Horizon::Event, now));
        assert!(in_range(at("2026-12-08T12:00:00Z"), Horizon::Event, now));
        assert!(!in_range(at("1989-12-31T23:59:59Z"), Horizon::Event, now));
        assert!(!in_range(at("0001-01-01T00:00:00Z"), Horizon::Event, now));
        assert!(!in_range(at("2026-12-08T12:00:01Z"), Horizon::Event, now));
        assert!(in_range(
            at("2027-06-01T00:00:00Z"),
            Horizon::Scheduled,
            now
        ));
        assert!(!in_range(
            at("2027-12-08T00:00:00Z"),
            Horizon::Scheduled,
            now
        ));
    }

    #[test]
    fn a_time_out_of_range_is_refused_naming_the_field() {
        let e = parse_time("since", "0001-01-01T00:00:00Z").unwrap_err();
        assert_eq!(e.field, "since");
        assert!(e.message.contains("between 1990-01-01 and tomorrow"), "{e}");
        let e = parse_time("until", "9999-12-31T23:59:59Z").unwrap_err();
        assert_eq!(e.field, "until");
        assert!(parse_time("since", "2025-10-20T07:11:00-07:00").is_ok());
    }
}
