#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use super::*;
use crate::ingest::test_support::{assert_snapshot, corpus_dir, files, fixture};
use crate::ingest::{detect, parse as parse_format};

fn times(inc: &IncidentObservation) -> Vec<String> {
    inc.updates
        .iter()
        .map(|u| u.occurred_at.to_rfc3339())
        .collect()
}

#[test]
fn fixture_dates_across_midnight_new_year_and_dst() {
    let bytes = fixture("aws-datajson/data.json");
    assert_eq!(detect(&bytes), Some(Format::AwsDatajson));
    let d = parse_format(Format::AwsDatajson, &bytes).unwrap();
    // The current event is also in the archive: one copy.
    assert_eq!(d.incidents.len(), 4);
    let by_id: HashMap<&str, &IncidentObservation> = d
        .incidents
        .iter()
        .map(|i| (i.external_id.as_str(), i))
        .collect();

    let sqs = by_id["sqs-us-west-2_1767253200"];
    assert_eq!(sqs.service.as_deref(), Some("aws-us-west-2"));
    assert_eq!(sqs.title, "Delayed Message Delivery");
    assert_eq!(sqs.status, Some(IncidentStatus::Resolved));
    // 11:40 PM Dec 31, then 12:25 AM without a date (rolls to Jan 1), then "Jan 1, 1:05 AM".
    assert_eq!(
        times(sqs),
        [
            "2026-01-01T07:40:00+00:00",
            "2026-01-01T08:25:00+00:00",
            "2026-01-01T09:05:00+00:00"
        ]
    );
    assert_eq!(sqs.updates[1].original_time, "12:25 AM PST");
    assert!(sqs.updates[1].body.contains("FIFO queues") && !sqs.updates[1].body.contains('<'));
    assert_eq!(sqs.updates[2].status, Some(IncidentStatus::Resolved));

    let lambda = by_id["lambda-us-east-1_1767261600"];
    assert_eq!(lambda.status_raw, "2");
    // "Dec 31" under a Jan 1 event date is the previous year.
    assert_eq!(
        times(lambda),
        ["2026-01-01T07:52:00+00:00", "2026-01-01T09:10:00+00:00"]
    );

    let cf = by_id["cloudfront_1751400000"];
    assert_eq!(cf.service.as_deref(), Some("aws"));
    assert_eq!(cf.status, Some(IncidentStatus::Identified));
    assert_eq!(cf.impact, Some(crate::domain::Impact::Major));
    assert_eq!(
        times(cf),
        ["2025-07-01T20:00:00+00:00", "2025-07-01T20:00:00+00:00"]
    );
    assert_ne!(cf.updates[0].external_id, cf.updates[1].external_id);

    let r53 = by_id["route53_1762074000"];
    assert_eq!(r53.status, Some(IncidentStatus::Resolved));
    assert_eq!(
        times(r53),
        ["2025-11-02T08:20:00+00:00", "2025-11-02T09:30:00+00:00"]
    );
    assert_snapshot("aws_datajson", &d);
}

#[test]
fn bad_items_name_their_path() {
    let e = parse_format(
        Format::AwsDatajson,
        br#"{"current": [], "archive": [{"service": "ec2-us-east-1", "date": "x"}]}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("$.archive[0].date"), "{e}");
    let e = parse_format(
        Format::AwsDatajson,
        br#"{"current": [], "archive": [{"service": 7, "date": "1"}]}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("$.archive[0]"), "{e}");
    assert!(parse_format(Format::AwsDatajson, br#"{"current": 3}"#).is_err());
}

#[test]
fn corpus_aws_datajson() {
    let Some(root) = corpus_dir("", "corpus_aws_datajson") else {
        return;
    };
    let mut paths = files(&root.join("aws-status-datajson-history"), ".json");
    paths.extend(files(&root.join("aws-status-datajson"), ".json"));
    let mut events: HashMap<String, IncidentObservation> = HashMap::new();
    let mut per_file = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            detect(&bytes),
            Some(Format::AwsDatajson),
            "{}",
            path.display()
        );
        let d = parse_format(Format::AwsDatajson, &bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        per_file += d.incidents.len();
        for inc in d.incidents {
            for w in inc.updates.windows(2) {
                assert!(
                    w[0].occurred_at <= w[1].occurred_at,
                    "{}: updates out of order",
                    inc.external_id
                );
            }
            for u in &inc.updates {
                assert!(!crate::ingest::html::looks_like_html(&u.body), "{}", u.body);
            }
            // Every update lies within a week of the event's date (post-event summaries come days later).
            let date = inc.started_at.unwrap();
            assert!(
                inc.updates
                    .iter()
                    .all(|u| (u.occurred_at - date).num_days().abs() < 7),
                "{}",
                inc.external_id
            );
            events.insert(inc.external_id.clone(), inc);
        }
    }
    let updates: usize = events.values().map(|i| i.updates.len()).sum();
    eprintln!(
        "aws data.json corpus: {} files, {per_file} events in total, {} distinct, {updates} updates",
        paths.len(),
        events.len()
    );
    assert_eq!(paths.len(), 27);
    assert_eq!(events.len(), 576);
    assert_eq!(updates, 1_954);
}
