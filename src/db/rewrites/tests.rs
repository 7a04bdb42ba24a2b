#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, NaiveDateTime};

use super::*;
use crate::domain::{Impact, Milestones};

fn at(hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 10, 20)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .unwrap()
}

fn entry(hour: u32, source: &str, kind: EntryKind, status: Option<&str>, body: &str) -> EntryRow {
    EntryRow {
        id: format!("e{hour}"),
        incident_id: "i".into(),
        occurred_at: at(hour),
        recorded_at: at(hour),
        kind: kind.as_str().into(),
        source: source.into(),
        source_id: Some("s".into()),
        external_id: Some(format!("x{hour}")),
        status: status.map(str::to_string),
        impact: None,
        body: body.into(),
        author: None,
        url: None,
        original_time: None,
        raw_ref: None,
        edited_at: None,
        changes: None,
    }
}

fn state() -> IncidentState {
    IncidentState {
        status: IncidentStatus::Resolved,
        impact: Impact::None,
        milestones: Milestones::default(),
        status_as_of: from_db_time(at(20)),
    }
}

#[test]
fn an_aws_outage_stored_as_codes_reads_in_words_with_its_worst_impact_and_milestones() {
    use EntryKind::{ComponentChange as Change, StatusUpdate as Post};
    let mut entries = vec![
        entry(7, AWS, Post, Some("1"), "We are investigating."),
        entry(
            8,
            AWS,
            Change,
            None,
            "Amazon DynamoDB: 0 -> 3\nAmazon EC2: 0 -> 3",
        ),
        entry(9, AWS, Post, Some("3"), "Root cause is DNS."),
        entry(12, AWS, Post, Some("2"), "Recovering."),
        entry(18, AWS, Post, Some("0"), "Resolved."),
        entry(10, "someone", Post, Some("3"), "Not AWS's."),
    ];
    let mut s = state();
    let changed = reword(&mut entries, &mut s);
    assert_eq!(changed, [0, 1, 2, 3, 4]);
    assert_eq!(entries[0].status.as_deref(), Some("informational"));
    assert_eq!(entries[2].status.as_deref(), Some("service disruption"));
    assert_eq!(entries[4].status.as_deref(), Some("resolved"));
    assert_eq!(entries[5].status.as_deref(), Some("3"));
    assert_eq!(
        entries[1].body,
        "Amazon DynamoDB: service disruption (was operational)\n\
         Amazon EC2: service disruption (was operational)"
    );
    assert!(entries[1].changes.is_some());
    assert_eq!(s.impact, Impact::Critical);
    assert_eq!(s.status, IncidentStatus::Resolved);
    assert_eq!(s.milestones.acknowledged, Some(from_db_time(at(7))));
    assert_eq!(s.milestones.mitigated, Some(from_db_time(at(12))));

    // Run again (a resumed rewrite): nothing more changes.
    let again = s;
    assert!(reword(&mut entries, &mut s).is_empty());
    assert_eq!(s, again);
}

#[test]
fn google_words_and_impact_only_rise() {
    let mut entries = vec![
        entry(
            7,
            GCP,
            EntryKind::StatusUpdate,
            Some("SERVICE_OUTAGE"),
            "Down.",
        ),
        entry(9, GCP, EntryKind::StatusUpdate, Some("AVAILABLE"), "Up."),
    ];
    let mut s = state();
    assert_eq!(reword(&mut entries, &mut s), [0, 1]);
    assert_eq!(entries[0].status.as_deref(), Some("major outage"));
    assert_eq!(entries[1].status.as_deref(), Some("available"));
    assert_eq!(s.impact, Impact::Critical);
}
