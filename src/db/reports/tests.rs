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
fn a_report_counts_once_per_reporter_service_and_quarter_hour() {
    let batch = [
        report("a", "github", 9, 1),
        // The same key as the first, later in the same batch.
        report("a", "github", 9, 14),
        // Another window, another service, another reporter: each new.
        report("a", "github", 9, 15),
        report("a", "slack", 9, 1),
        report("b", "github", 9, 1),
        // Stored before this batch.
        report("c", "github", 9, 2),
    ];
    let keys = dedup_keys(&batch);
    let mut taken: HashSet<DedupKey> = [keys[5].clone()].into();
    let stored = decide(&batch, &keys, &mut taken);
    assert_eq!(stored.counted, [true, false, true, true, true, false]);
    let buckets: Vec<(&str, NaiveDateTime, i64)> = stored
        .buckets
        .iter()
        .map(|((s, m), n)| (s.as_str(), *m, *n))
        .collect();
    assert_eq!(
        buckets,
        [
            ("github", minute(9, 1), 2),
            ("github", minute(9, 15), 1),
            ("slack", minute(9, 1), 1),
        ]
    );
    assert_eq!(taken.len(), 5, "the counted keys are taken now");
}
