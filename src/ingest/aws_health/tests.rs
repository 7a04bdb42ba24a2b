#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::ingest::test_support::{assert_snapshot, corpus_dir, files, fixture};
use crate::ingest::{detect, parse as parse_format};

#[test]
fn utf16_fixture() {
    let bytes = fixture("aws-health/currentevents.json");
    assert_eq!(&bytes[..2], &[0xFE, 0xFF]);
    assert_eq!(detect(&bytes), Some(Format::AwsHealth));
    let d = parse_format(Format::AwsHealth, &bytes).unwrap();
    let ddb = &d.incidents[0];
    assert!(
        ddb.external_id
            .starts_with("arn:aws:health:eu-north-1::event/DYNAMODB/")
    );
    assert_eq!(ddb.service.as_deref(), Some("aws-eu-north-1"));
    assert_eq!(ddb.status, Some(IncidentStatus::Identified));
    assert_eq!(
        ddb.components,
        ["Amazon DynamoDB Accelerator", "Amazon DynamoDB"]
    );
    let kinds: Vec<EntryKind> = ddb.updates.iter().map(|u| u.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EntryKind::ComponentChange)
            .count(),
        2
    );
    assert!(ddb.updates.iter().all(|u| !u.body.contains("<b>")));
    let cf = &d.incidents[1];
    assert_eq!(cf.service.as_deref(), Some("aws"));
    assert_eq!(cf.status, Some(IncidentStatus::Resolved));
    assert_eq!(cf.title, "Elevated Invalidation Times");
    assert_eq!(cf.resolved_at.map(|t| t.timestamp()), Some(1_767_303_600));
    assert_snapshot("aws_health", &d);
}

#[test]
fn truncated_utf16_is_an_error() {
    let mut bytes = fixture("aws-health/currentevents.json");
    bytes.truncate(bytes.len() - 1);
    assert!(matches!(
        parse_format(Format::AwsHealth, &bytes),
        Err(ParseError::Encoding { .. })
    ));
    bytes.truncate(bytes.len() - 41);
    assert!(matches!(
        parse_format(Format::AwsHealth, &bytes),
        Err(ParseError::Json { .. })
    ));
}

#[test]
fn corpus_aws_health_capture() {
    let Some(dir) = corpus_dir("ai-cloud-status-captures", "corpus_aws_health_capture") else {
        return;
    };
    let path = files(&dir, ".json")
        .into_iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with("aws-"))
        })
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(detect(&bytes), Some(Format::AwsHealth));
    let d = parse_format(Format::AwsHealth, &bytes).unwrap();
    assert_eq!(d.incidents.len(), 2);
    let log_entries: usize = d
        .incidents
        .iter()
        .map(|i| {
            i.updates
                .iter()
                .filter(|u| u.kind == EntryKind::StatusUpdate)
                .count()
        })
        .sum();
    eprintln!(
        "aws currentevents capture: {} events, {log_entries} log entries",
        d.incidents.len()
    );
    assert_eq!(log_entries, 36);
    assert_eq!(d.incidents[0].service.as_deref(), Some("aws-me-central-1"));
}

/// An outage shaped like us-east-1 on 2025-10-20: codes become words, the impact is the worst
/// the event reached (3 on two services), and the severity's course gives the milestones.
#[test]
fn an_outage_reads_in_words_with_its_worst_impact_and_course() {
    let d = parse_format(
        Format::AwsHealth,
        &fixture("aws-health/outage-us-east-1.json"),
    )
    .unwrap();
    let outage = &d.incidents[0];
    assert_eq!(outage.status, Some(IncidentStatus::Resolved));
    assert_eq!(outage.impact, Some(crate::domain::Impact::Critical));
    assert_eq!(
        outage.impact_raw.as_deref(),
        Some("0"),
        "the raw code is kept"
    );
    let posts: Vec<(Option<IncidentStatus>, Option<&str>)> = outage
        .updates
        .iter()
        .filter(|u| u.kind == EntryKind::StatusUpdate)
        .map(|u| (u.status, u.status_raw.as_deref()))
        .collect();
    assert_eq!(
        posts,
        [
            (Some(IncidentStatus::Identified), Some("informational")),
            (None, Some("service disruption")),
            (
                Some(IncidentStatus::Monitoring),
                Some("degraded performance")
            ),
            (None, Some("degraded performance")),
            (Some(IncidentStatus::Resolved), Some("resolved")),
        ]
    );
    let first_change = outage
        .updates
        .iter()
        .find(|u| u.kind == EntryKind::ComponentChange)
        .unwrap();
    assert_eq!(
        first_change.body,
        "Amazon DynamoDB: service disruption (was operational)"
    );
    assert_snapshot("aws_health_outage", &d);
}
