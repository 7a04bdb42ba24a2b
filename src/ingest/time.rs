//! Timestamp shapes seen in status sources, all normalised to UTC.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;

use crate::ingest::ParseError;

/// ISO 8601 / RFC 3339 with `Z` or a numeric offset, with or without a fraction.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Like [`parse_rfc3339`], for an optional field; a present but unreadable value is an error.
pub fn opt_rfc3339(value: Option<&str>, path: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
    match value {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_rfc3339(s).map(Some).ok_or_else(|| ParseError::Time {
            path: path.to_string(),
            value: s.to_string(),
        }),
    }
}

/// A required RFC 3339 timestamp.
pub fn req_rfc3339(value: &str, path: &str) -> Result<DateTime<Utc>, ParseError> {
    parse_rfc3339(value).ok_or_else(|| ParseError::Time {
        path: path.to_string(),
        value: value.to_string(),
    })
}

/// Epoch seconds written as text or a number.
pub fn epoch_seconds(text: &str) -> Option<DateTime<Utc>> {
    let secs: i64 = text.trim().parse().ok()?;
    DateTime::from_timestamp(secs, 0)
}

/// Epoch milliseconds.
pub fn epoch_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// Month number from a three-letter (or longer) English month name.
pub fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.trim().to_ascii_lowercase();
    let prefix = lower.get(..3)?;
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .map(|i| i as u32 + 1)
}

/// The date with this month and day in the year (reference year -1, 0 or +1) that lies closest
/// to `reference`: how a year-less "Jan 1" written under a December 31 entry becomes next year.
pub fn closest_year(month: u32, day: u32, reference: NaiveDate) -> Option<NaiveDate> {
    let year = reference.year();
    [year - 1, year, year + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .min_by_key(|d| (*d - reference).num_days().abs())
}

/// "11:05 PM" / "9:05 AM" / "23:05" as (hour, minute).
pub fn clock(text: &str, meridiem: Option<&str>) -> Option<(u32, u32)> {
    let (h, m) = text.trim().split_once(':')?;
    let mut hour: u32 = h.trim().parse().ok()?;
    let minute: u32 = m.trim().get(..2)?.parse().ok()?;
    match meridiem.map(str::to_ascii_uppercase).as_deref() {
        Some("AM") if (1..=12).contains(&hour) => hour %= 12,
        Some("PM") if (1..=12).contains(&hour) => hour = hour % 12 + 12,
        Some(_) => return None,
        None => {}
    }
    (hour < 24 && minute < 60).then_some((hour, minute))
}

/// US Pacific wall-clock time to UTC, DST correct. At the autumn overlap the written zone
/// abbreviation (`PDT` / `PST`) picks the side; in the spring gap its fixed offset is used.
pub fn pacific_to_utc(local: NaiveDateTime, abbreviation: Option<&str>) -> Option<DateTime<Utc>> {
    let abbr = abbreviation.map(str::to_ascii_uppercase);
    match Los_Angeles.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(early, late) => {
            let pick = if abbr.as_deref() == Some("PST") {
                late
            } else {
                early
            };
            Some(pick.with_timezone(&Utc))
        }
        LocalResult::None => {
            let hours = if abbr.as_deref() == Some("PDT") { 7 } else { 8 };
            Some(Utc.from_utc_datetime(&(local + Duration::hours(hours))))
        }
    }
}

/// The UTC offset in minutes of a zone abbreviation Statuspage-style feeds print.
pub fn abbreviation_offset_minutes(abbr: &str) -> Option<i32> {
    let hours = match abbr.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" | "UT" | "WET" => 0,
        "BST" | "CET" | "WEST" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" | "AKDT" => -8,
        "AKST" => -9,
        "HST" => -10,
        "JST" | "KST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        _ => return None,
    };
    Some(hours * 60)
}

/// Canonical text of an instant, used inside synthetic ids.
pub fn id_stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn offsets_and_fractions() {
        let a = parse_rfc3339("2019-02-20T12:00:19.418-06:00").map(|t| t.to_rfc3339());
        assert_eq!(a.as_deref(), Some("2019-02-20T18:00:19.418+00:00"));
        assert!(parse_rfc3339("2022-07-01T13:37:44+00:00").is_some());
        assert!(parse_rfc3339("2026-07-22T14:48:46Z").is_some());
        assert!(parse_rfc3339("yesterday").is_none());
    }

    #[test]
    fn december_january() {
        assert_eq!(closest_year(1, 1, ymd(2025, 12, 31)), Some(ymd(2026, 1, 1)));
        assert_eq!(
            closest_year(12, 31, ymd(2026, 1, 1)),
            Some(ymd(2025, 12, 31))
        );
        assert_eq!(closest_year(6, 3, ymd(2026, 6, 1)), Some(ymd(2026, 6, 3)));
        assert_eq!(closest_year(2, 29, ymd(2025, 3, 1)), Some(ymd(2024, 2, 29)));
    }

    #[test]
    fn pacific_dst() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_default();
        let summer = pacific_to_utc(t("2021-07-01 12:00"), Some("PDT")).map(|d| d.to_rfc3339());
        assert_eq!(summer.as_deref(), Some("2021-07-01T19:00:00+00:00"));
        let winter = pacific_to_utc(t("2021-12-01 12:00"), None).map(|d| d.to_rfc3339());
        assert_eq!(winter.as_deref(), Some("2021-12-01T20:00:00+00:00"));
        let pst = pacific_to_utc(t("2021-11-07 01:30"), Some("PST")).map(|d| d.to_rfc3339());
        assert_eq!(pst.as_deref(), Some("2021-11-07T09:30:00+00:00"));
        let pdt = pacific_to_utc(t("2021-11-07 01:30"), Some("PDT")).map(|d| d.to_rfc3339());
        assert_eq!(pdt.as_deref(), Some("2021-11-07T08:30:00+00:00"));
        let gap = pacific_to_utc(t("2021-03-14 02:30"), Some("PST")).map(|d| d.to_rfc3339());
        assert_eq!(gap.as_deref(), Some("2021-03-14T10:30:00+00:00"));
    }

    #[test]
    fn clocks() {
        assert_eq!(clock("12:07", Some("AM")), Some((0, 7)));
        assert_eq!(clock("12:07", Some("PM")), Some((12, 7)));
        assert_eq!(clock(" 9:05", Some("pm")), Some((21, 5)));
        assert_eq!(clock("23:59", None), Some((23, 59)));
        assert_eq!(clock("13:00", Some("PM")), None);
        assert_eq!(clock("24:00", None), None);
    }
}
