use chrono::TimeZone;

use super::*;
use crate::domain::ServiceSlug;

fn report(reporter: &str, service: &str, h: u32, m: u32) -> NewReport {
    NewReport {
        service: ServiceSlug::parse("service", service).unwrap(),
        reported_at: Utc
            .with_ymd_and_hms(2025, 10, 20, h, m, 30)
            .single()
            .unwrap(),
        symptom: None,
        comment: None,
        country: None,
        reporter_hash: reporter.to_string(),
        via: "public",
    }
}

fn minute(h: u32, m: u32) -> NaiveDateTime {
    Utc.with_ymd_and_hms(2025, 10, 20, h, m, 0)
        .single()
        .unwrap()
        .naive_utc()
}

#[test]
fn the_earliest_report_of_a_key_is_its_candidate_whatever_the_order() {
    let batch = [
        report("a", "github", 9, 14),
        // The same key as the first, earlier: it is the one that counts.
        report("a", "github", 9, 1),
        // Another window, another service, another reporter: each its own key.
        report("a", "github", 9, 15),
        report("a", "slack", 9, 1),
        report("b", "github", 9, 1),
        // The same key and time as the previous one: the first stays.
        report("b", "github", 9, 1),
    ];
    let keys = counting::dedup_keys(&batch);
    let picked: Vec<usize> = counting::candidates(&batch, &keys).into_values().collect();
    let mut picked = picked;
    picked.sort_unstable();
    assert_eq!(picked, [1, 2, 3, 4]);
    assert_eq!(
        keys[0].2,
        minute(9, 0),
        "the window starts on the quarter hour"
    );
}
