//! Tests of the small formats: Instatus, Better Stack, Checkly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::domain::status::{Impact, IncidentStatus};
use crate::ingest::test_support::{assert_snapshot, corpus_dir, files, fixture};
use crate::ingest::{Format, detect, parse};

#[test]
fn instatus_summary_and_webhook() {
    let bytes = fixture("instatus/summary.json");
    assert_eq!(detect(&bytes), Some(Format::Instatus));
    let d = parse(Format::Instatus, &bytes).unwrap();
    let inc = &d.incidents[0];
    assert_eq!(inc.service.as_deref(), Some("driftwood-maps"));
    assert_eq!(inc.status, Some(IncidentStatus::Identified));
    assert_eq!(inc.impact, Some(Impact::Critical));
    assert_eq!(inc.impact_raw.as_deref(), Some("MAJOROUTAGE"));
    assert!(d.incidents[1].is_maintenance);
    assert_eq!(
        d.incidents[1].started_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-04-02T05:00:00+00:00")
    );
    assert_snapshot("instatus_summary", &d);

    let bytes = fixture("instatus/webhook_incident.json");
    assert_eq!(detect(&bytes), Some(Format::Instatus));
    let d = parse(Format::Instatus, &bytes).unwrap();
    assert_eq!(d.format, Format::Instatus);
    let inc = &d.incidents[0];
    assert_eq!(inc.updates.len(), 2);
    assert_eq!(inc.updates[0].status, Some(IncidentStatus::Investigating));
    assert_eq!(
        inc.url.as_deref(),
        Some("https://status.driftwood.example/incidents/cm9k2x7pl000a0bmq1rst2uvw")
    );
    assert_snapshot("instatus_webhook", &d);
}

#[test]
fn betterstack_index() {
    let bytes = fixture("betterstack/index.json");
    assert_eq!(detect(&bytes), Some(Format::Betterstack));
    let d = parse(Format::Betterstack, &bytes).unwrap();
    assert_eq!(d.page.as_ref().unwrap().name, "Kettle Data");
    assert_eq!(d.component_changes.len(), 2);
    let slow = &d.incidents[0];
    assert_eq!(slow.service.as_deref(), Some("kettle-data"));
    assert_eq!(slow.status, Some(IncidentStatus::Investigating));
    assert_eq!(slow.impact, Some(Impact::Minor));
    assert_eq!(slow.components, ["Query API"]);
    let maint = &d.incidents[1];
    assert!(maint.is_maintenance);
    assert_eq!(maint.status, Some(IncidentStatus::Resolved));
    assert_eq!(maint.updates[0].external_id, "7002");
    assert_eq!(maint.updates[1].status, Some(IncidentStatus::Resolved));
    assert_snapshot("betterstack_index", &d);
}

#[test]
fn checkly_incidents() {
    let bytes = fixture("checkly/unresolved-incidents.json");
    assert_eq!(detect(&bytes), Some(Format::Checkly));
    let d = parse(Format::Checkly, &bytes).unwrap();
    let inc = &d.incidents[0];
    assert_eq!(inc.status, Some(IncidentStatus::Monitoring));
    assert_eq!(inc.impact, Some(Impact::Critical));
    assert_eq!(inc.components, ["Webhooks"]);
    assert_eq!(inc.updates[0].original_time, "2026-05-19T11:00:00.000Z");
    assert_snapshot("checkly_unresolved", &d);
    let e = parse(
        Format::Checkly,
        br#"{"incidents": [{"id": "x", "incidentUpdates": [{"id": "u"}]}]}"#,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("$.incidents[0].incidentUpdates[0]"),
        "{e}"
    );
}

#[test]
fn corpus_every_capture_parses() {
    let Some(dir) = corpus_dir("ai-cloud-status-captures", "corpus_every_capture_parses") else {
        return;
    };
    let mut parsed = 0;
    for path in files(&dir, "") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("LICENSE") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let format = detect(&bytes).unwrap_or_else(|| panic!("{name}: format not detected"));
        let expected = match name.split('-').next().unwrap_or_default() {
            "anthropic" | "cloudflare" | "github" | "bitbucket" | "openai" | "cohere" => {
                Format::Statuspage
            }
            "perplexity" => Format::Instatus,
            "huggingface" => Format::Betterstack,
            "mistral" => Format::Checkly,
            "aws" => Format::AwsHealth,
            _ => Format::Rss,
        };
        assert_eq!(format, expected, "{name}");
        let d = parse(format, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!d.incidents.is_empty(), "{name}");
        eprintln!(
            "{name}: {format}, {} incidents, {} updates",
            d.incidents.len(),
            d.incidents.iter().map(|i| i.updates.len()).sum::<usize>()
        );
        parsed += 1;
    }
    assert_eq!(parsed, 12);
    // Better Stack: 5 status reports with 10 updates.
    let hf = files(&dir, ".json")
        .into_iter()
        .find(|p| p.to_string_lossy().contains("huggingface"))
        .unwrap();
    let d = parse(Format::Betterstack, &std::fs::read(hf).unwrap()).unwrap();
    assert_eq!(d.incidents.len(), 5);
    assert_eq!(
        d.incidents.iter().map(|i| i.updates.len()).sum::<usize>(),
        10
    );
}
