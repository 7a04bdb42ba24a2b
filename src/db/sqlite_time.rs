//! Timestamps bound to SQLite as the same text diesel binds, written without chrono's
//! formatter.
//!
//! Diesel stores a `Timestamp` on SQLite as the text of chrono's `%F %T%.f`. chrono reads the
//! format string item by item for every value, and a bulk ingest binds about 40,000 of them:
//! on the real corpus that was 9 % of the writing thread's instructions (callgrind: 131M of
//! 1,445M). [`SqliteTimestamp`] is a SQL type whose values bind that same text, written
//! digit by digit; a property test holds it to chrono's for every date and time.
//!
//! Rules:
//! - SQLite only, for the statements of [`super::sqlite_statements`]; everything else binds
//!   diesel's `Timestamp`, and what is read back is read as diesel's `Timestamp`.
//! - Years outside 1000–9999, which chrono pads or signs, are left to chrono.

use chrono::{Datelike, NaiveDateTime, Timelike};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sqlite::Sqlite;

/// A timestamp column of SQLite, bound as [`text`].
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(sqlite_type(name = "Text"))]
pub struct SqliteTimestamp;

impl ToSql<SqliteTimestamp, Sqlite> for NaiveDateTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(text(self));
        Ok(IsNull::No)
    }
}

/// `t` as chrono's `%F %T%.f` writes it: `2025-10-20 07:11:00`, with `.123`, `.123456` or
/// `.123456789` when the fraction needs them, and second 60 for a leap second.
pub fn text(t: &NaiveDateTime) -> String {
    let year = t.year();
    if !(1000..=9999).contains(&year) {
        return t.format("%F %T%.f").to_string();
    }
    let nanos = t.nanosecond();
    // A leap second is kept as nanoseconds past 1e9, and shown as second 60.
    let (second, fraction) = (t.second() + nanos / 1_000_000_000, nanos % 1_000_000_000);
    let mut out = String::with_capacity(29);
    push_digits(&mut out, year as u32, 4);
    out.push('-');
    push_digits(&mut out, t.month(), 2);
    out.push('-');
    push_digits(&mut out, t.day(), 2);
    out.push(' ');
    push_digits(&mut out, t.hour(), 2);
    out.push(':');
    push_digits(&mut out, t.minute(), 2);
    out.push(':');
    push_digits(&mut out, second, 2);
    if fraction != 0 {
        out.push('.');
        if fraction % 1_000_000 == 0 {
            push_digits(&mut out, fraction / 1_000_000, 3);
        } else if fraction % 1_000 == 0 {
            push_digits(&mut out, fraction / 1_000, 6);
        } else {
            push_digits(&mut out, fraction, 9);
        }
    }
    out
}

/// The last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = n / 10u32.pow(place) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime};
    use proptest::prelude::*;

    use super::*;

    fn chrono_text(t: &NaiveDateTime) -> String {
        t.format("%F %T%.f").to_string()
    }

    #[test]
    fn whole_seconds_millis_micros_and_nanos_read_as_chrono_writes_them() {
        let day = NaiveDate::from_ymd_opt(2025, 10, 20).unwrap();
        for (second, nanos, expected) in [
            (5, 0, "2025-10-20 07:11:05"),
            (5, 120_000_000, "2025-10-20 07:11:05.120"),
            (5, 123_456_000, "2025-10-20 07:11:05.123456"),
            (5, 123_456_789, "2025-10-20 07:11:05.123456789"),
            // chrono keeps a leap second as second 59 with a second's worth of nanoseconds.
            (59, 1_500_000_000, "2025-10-20 07:11:60.500"),
        ] {
            let t = day.and_time(NaiveTime::from_hms_nano_opt(7, 11, second, nanos).unwrap());
            assert_eq!(text(&t), expected);
            assert_eq!(text(&t), chrono_text(&t));
        }
    }

    #[test]
    fn years_chrono_pads_or_signs_are_left_to_chrono() {
        for year in [-1, 0, 999, 10_000] {
            let t = NaiveDate::from_ymd_opt(year, 1, 2)
                .unwrap()
                .and_hms_opt(3, 4, 5)
                .unwrap();
            assert_eq!(text(&t), chrono_text(&t));
        }
    }

    proptest! {
        #[test]
        fn every_timestamp_binds_the_text_chrono_writes(
            days in -800_000i64..4_000_000,
            seconds in 0u32..86_400,
            nanos in prop_oneof![
                Just(0u32),
                (0u32..1_000).prop_map(|ms| ms * 1_000_000),
                (0u32..1_000_000).prop_map(|us| us * 1_000),
                0u32..2_000_000_000,
            ],
        ) {
            let day = NaiveDate::from_num_days_from_ce_opt(days as i32).unwrap();
            // chrono accepts a leap second only at second 59.
            let seconds = if nanos >= 1_000_000_000 { seconds / 60 * 60 + 59 } else { seconds };
            let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos).unwrap();
            let t = day.and_time(time);
            prop_assert_eq!(text(&t), chrono_text(&t));
        }
    }
}
