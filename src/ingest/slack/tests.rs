#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::ingest::test_support::{assert_snapshot, fixture};
use crate::ingest::{detect, parse as parse_format};

#[test]
fn history_and_current() {
    let bytes = fixture("slack/history.json");
    assert_eq!(detect(&bytes), Some(Format::Slack));
    let d = parse_format(Format::Slack, &bytes).unwrap();
    let inc = &d.incidents[0];
    assert_eq!(inc.service.as_deref(), Some("slack"));
    assert_eq!(inc.status, Some(IncidentStatus::Resolved));
    assert_eq!(
        inc.started_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2025-12-31T23:40:00+00:00")
    );
    assert_eq!(
        inc.updates[0].body,
        "We're looking into reports that threads fail to load for some users.\nWe'll update as soon as we know more."
    );
    assert_eq!(inc.updates[1].status, Some(IncidentStatus::Resolved));
    let maint = &d.incidents[1];
    assert_eq!(maint.external_id, "3060");
    assert!(maint.is_maintenance);
    assert_eq!(maint.status, None);
    assert_snapshot("slack_history", &d);

    let bytes = fixture("slack/current.json");
    assert_eq!(detect(&bytes), Some(Format::Slack));
    let d = parse_format(Format::Slack, &bytes).unwrap();
    assert_eq!(d.incidents[0].status, Some(IncidentStatus::Investigating));
    // The same note has the same id in the live and the history document.
    let live_note = &d.incidents[0].updates[0].external_id;
    let hist = parse_format(Format::Slack, &fixture("slack/history.json")).unwrap();
    assert_eq!(live_note, &hist.incidents[0].updates[0].external_id);
}

#[test]
fn wrong_types() {
    let e = parse_format(
        Format::Slack,
        br#"[{"id": "1", "notes": [{"date_created": 3}]}]"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("$[0].notes[0]"), "{e}");
}
