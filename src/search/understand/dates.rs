//! Dates in a query, in English and French: "october 20 2025", "20 octobre", "oct 2025",
//! "2021", "2021-12-07", "last week", "yesterday", "la semaine dernière", "hier".
//!
//! Rules: days are UTC; "last week" is the 7 days before now; "yesterday" and "today" are whole
//! UTC days; a day without a year is the latest such day not in the future. A month name counts
//! only next to a day or a year ("may" alone is a word). The first date found is read; any other
//! stays a word.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// A period read from the query, and which words said it.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The words as typed, joined by spaces.
    pub text: String,
    /// Where those words are in the word list: `start..end`.
    pub span: (usize, usize),
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("janvier", 1),
    ("janv", 1),
    ("february", 2),
    ("feb", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("march", 3),
    ("mar", 3),
    ("mars", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("may", 5),
    ("mai", 5),
    ("june", 6),
    ("jun", 6),
    ("juin", 6),
    ("july", 7),
    ("jul", 7),
    ("juillet", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("october", 10),
    ("oct", 10),
    ("octobre", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("december", 12),
    ("dec", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
];

/// Relative periods: the words, and the period they mean at `now`.
const RELATIVE: &[(&[&str], Relative)] = &[
    (&["last", "week"], Relative::LastWeek),
    (&["past", "week"], Relative::LastWeek),
    (&["la", "semaine", "dernière"], Relative::LastWeek),
    (&["la", "semaine", "derniere"], Relative::LastWeek),
    (&["semaine", "dernière"], Relative::LastWeek),
    (&["semaine", "derniere"], Relative::LastWeek),
    (&["yesterday"], Relative::Yesterday),
    (&["hier"], Relative::Yesterday),
    (&["today"], Relative::Today),
    (&["aujourd'hui"], Relative::Today),
];

#[derive(Debug, Clone, Copy)]
enum Relative {
    LastWeek,
    Yesterday,
    Today,
}

fn month(word: &str) -> Option<u32> {
    let word = word.trim_end_matches('.');
    MONTHS.iter().find(|(m, _)| *m == word).map(|(_, n)| *n)
}

fn day(word: &str) -> Option<u32> {
    let digits = word
        .trim_end_matches(',')
        .trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word.trim_end_matches(',')[digits.len()..];
    if !["", "st", "nd", "rd", "th", "er"].contains(&suffix) || digits.len() > 2 {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn year(word: &str) -> Option<i32> {
    let w = word.trim_end_matches(',');
    (w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()))
        .then(|| w.parse().ok())
        .flatten()
        .filter(|y| (1970..=2100).contains(y))
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))
}

/// The first period in `words` (normalized), at `now`.
pub fn find(words: &[String], now: DateTime<Utc>) -> Option<Period> {
    (0..words.len()).find_map(|i| at(words, i, now))
}

fn at(words: &[String], i: usize, now: DateTime<Utc>) -> Option<Period> {
    let w = |k: usize| words.get(i + k).map(String::as_str).unwrap_or("");
    let period = |since: DateTime<Utc>, until: DateTime<Utc>, n: usize| {
        Some(Period {
            since,
            until,
            text: words[i..i + n].join(" "),
            span: (i, i + n),
        })
    };
    for (phrase, relative) in RELATIVE {
        if words.len() >= i + phrase.len() && phrase.iter().enumerate().all(|(k, p)| w(k) == *p) {
            let today = midnight(now.date_naive());
            let (since, until) = match relative {
                Relative::LastWeek => (now - Duration::days(7), now),
                Relative::Yesterday => (today - Duration::days(1), today),
                Relative::Today => (today, today + Duration::days(1)),
            };
            return period(since, until, phrase.len());
        }
    }
    if let Some(p) = iso(w(0)) {
        return period(p.0, p.1, 1);
    }
    if let Some(m) = month(w(0)) {
        // month day [year] | month year
        if let Some(d) = day(w(1)) {
            return match year(w(2)) {
                Some(y) => whole_day(y, m, d).and_then(|(s, u)| period(s, u, 3)),
                None => latest_day(m, d, now).and_then(|(s, u)| period(s, u, 2)),
            };
        }
        if let Some(y) = year(w(1)) {
            return whole_month(y, m).and_then(|(s, u)| period(s, u, 2));
        }
        return None;
    }
    if let (Some(d), Some(m)) = (day(w(0)), month(w(1))) {
        return match year(w(2)) {
            Some(y) => whole_day(y, m, d).and_then(|(s, u)| period(s, u, 3)),
            None => latest_day(m, d, now).and_then(|(s, u)| period(s, u, 2)),
        };
    }
    let y = year(w(0))?;
    let since = midnight(NaiveDate::from_ymd_opt(y, 1, 1)?);
    let until = midnight(NaiveDate::from_ymd_opt(y + 1, 1, 1)?);
    period(since, until, 1)
}

/// "2021-12-07" (a day) or "2021-12" (a month).
fn iso(word: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let parts: Vec<&str> = word.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if d.len() <= 2 => whole_day(year(y)?, m.parse().ok()?, d.parse().ok()?),
        [y, m] if m.len() <= 2 && m.chars().all(|c| c.is_ascii_digit()) => {
            whole_month(year(y)?, m.parse().ok()?)
        }
        _ => None,
    }
}

fn whole_day(y: i32, m: u32, d: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let day = NaiveDate::from_ymd_opt(y, m, d)?;
    Some((midnight(day), midnight(day.succ_opt()?)))
}

fn whole_month(y: i32, m: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    Some((midnight(first), midnight(next)))
}

/// The latest `m`/`d` that has begun by `now` (29 February looks back to a leap year).
fn latest_day(m: u32, d: u32, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    (0..8)
        .map(|back| now.year() - back)
        .filter_map(|y| whole_day(y, m, d))
        .find(|(since, _)| *since <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(q: &str, now: &str) -> Option<(String, String, String)> {
        let words: Vec<String> = q
            .split_whitespace()
            .map(super::super::words::normalize)
            .collect();
        let now: DateTime<Utc> = now.parse().unwrap();
        find(&words, now).map(|p| {
            (
                p.since.format("%Y-%m-%d %H:%M").to_string(),
                p.until.format("%Y-%m-%d %H:%M").to_string(),
                p.text,
            )
        })
    }

    fn range(q: &str, now: &str) -> (String, String) {
        let (s, u, _) = read(q, now).unwrap_or_else(|| panic!("{q}: no date"));
        (s, u)
    }

    const NOW: &str = "2026-03-01T12:00:00Z";

    #[test]
    fn english_and_french_dates_become_periods() {
        let day = |d: &str, n: &str| (format!("{d} 00:00"), format!("{n} 00:00"));
        assert_eq!(
            range("outage october 20 2025", NOW),
            day("2025-10-20", "2025-10-21")
        );
        assert_eq!(
            range("panne 20 octobre", NOW),
            day("2025-10-20", "2025-10-21")
        );
        assert_eq!(
            range("7 december 2021", NOW),
            day("2021-12-07", "2021-12-08")
        );
        assert_eq!(range("oct 2025", NOW), day("2025-10-01", "2025-11-01"));
        assert_eq!(range("novembre 2025", NOW), day("2025-11-01", "2025-12-01"));
        assert_eq!(range("webhooks 2021", NOW), day("2021-01-01", "2022-01-01"));
        assert_eq!(range("2021-12-07", NOW), day("2021-12-07", "2021-12-08"));
        assert_eq!(range("december 2025", NOW), day("2025-12-01", "2026-01-01"));
    }

    #[test]
    fn relative_dates_follow_the_clock() {
        assert_eq!(
            range("last week", NOW),
            ("2026-02-22 12:00".into(), "2026-03-01 12:00".into())
        );
        assert_eq!(
            range("incidents de la semaine dernière", NOW),
            ("2026-02-22 12:00".into(), "2026-03-01 12:00".into())
        );
        assert_eq!(
            range("yesterday", NOW),
            ("2026-02-28 00:00".into(), "2026-03-01 00:00".into())
        );
        assert_eq!(range("hier", NOW).0, "2026-02-28 00:00");
        // A day without a year is the latest one not in the future.
        assert_eq!(range("march 1", NOW).0, "2026-03-01 00:00");
        assert_eq!(range("march 2", NOW).0, "2025-03-02 00:00");
    }

    #[test]
    fn words_that_only_look_like_dates_stay_words() {
        for q in [
            "may the force",
            "route 53",
            "error 500",
            "us-east-1",
            "2021x",
            "31 flavours",
        ] {
            assert_eq!(read(q, NOW), None, "{q}");
        }
    }
}
