#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::ingest::test_support::{assert_snapshot, corpus_dir, fixture};
use crate::ingest::{detect, parse as parse_format};

#[test]
fn gcp_fixture() {
    let bytes = fixture_bytes();
    assert_eq!(detect(&bytes), Some(Format::Gcp));
    let d = parse_format(Format::Gcp, &bytes).unwrap();
    let open = &d.incidents[0];
    assert_eq!(open.service.as_deref(), Some("gcp"));
    assert_eq!(open.status, Some(IncidentStatus::Investigating));
    assert_eq!(open.resolved_at, None);
    assert_eq!(open.impact, Some(crate::domain::Impact::Major));
    assert_eq!(
        open.url.as_deref(),
        Some("https://status.cloud.google.com/incidents/Qk7mP2xRt9LwZ3vN8aYc")
    );
    assert!(open.updates[0].occurred_at < open.updates[1].occurred_at);
    let done = &d.incidents[1];
    assert_eq!(done.status, Some(IncidentStatus::Resolved));
    assert_eq!(done.status_raw, "AVAILABLE");
    assert_eq!(
        done.components,
        ["Cloud Run", "Cloud Functions", "Frankfurt (europe-west3)"]
    );
    // An unknown update status word is kept, unmapped.
    assert_eq!(done.updates[1].status, None);
    assert_eq!(
        done.updates[1].status_raw.as_deref(),
        Some("SERVICE_PARTIAL_DEGRADATION")
    );
    assert_snapshot("gcp", &d);
}

pub(super) fn fixture_bytes() -> Vec<u8> {
    fixture("gcp/incidents.json")
}

#[test]
fn errors() {
    let e = parse_format(Format::Gcp, br#"[{"id": "a", "updates": [{"when": 5}]}]"#).unwrap_err();
    assert!(e.to_string().contains("$[0].updates[0]"), "{e}");
    assert!(parse_format(Format::Gcp, b"{}").is_err());
}

#[test]
fn corpus_gcp() {
    let Some(dir) = corpus_dir("gcp-status-incidents", "corpus_gcp") else {
        return;
    };
    let bytes = std::fs::read(dir.join("incidents.json")).unwrap();
    assert_eq!(detect(&bytes), Some(Format::Gcp));
    let d = parse_format(Format::Gcp, &bytes).unwrap();
    let updates: usize = d.incidents.iter().map(|i| i.updates.len()).sum();
    let ids: std::collections::HashSet<&str> = d
        .incidents
        .iter()
        .flat_map(|i| i.updates.iter().map(|u| u.external_id.as_str()))
        .collect();
    eprintln!(
        "gcp corpus: {} incidents, {updates} updates",
        d.incidents.len()
    );
    assert_eq!(d.incidents.len(), 157);
    assert_eq!(updates, 770);
    assert_eq!(ids.len(), 770);
    assert!(
        d.incidents
            .iter()
            .all(|i| i.status == Some(IncidentStatus::Resolved))
    );
}
