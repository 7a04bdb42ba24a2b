#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::domain::status::{EntryKind, Impact, IncidentStatus};
use crate::ingest::test_support::{assert_snapshot, corpus_dir, files, fixture};
use crate::ingest::{detect, html, parse as parse_format};

fn doc(path: &str) -> ParsedDocument {
    let bytes = fixture(path);
    assert_eq!(detect(&bytes), Some(Format::Statuspage), "{path}");
    parse_format(Format::Statuspage, &bytes).unwrap()
}

#[test]
fn backfilled_incident_uses_display_at_and_offsets() {
    let d = doc("statuspage/incident_backfilled.json");
    let page = d.page.as_ref().unwrap();
    assert_eq!(page.name, "Lumen Notes");
    let inc = &d.incidents[0];
    assert_eq!(inc.service.as_deref(), Some("lumen-notes"));
    assert_eq!(
        inc.url.as_deref(),
        Some("https://status.lumen-notes.example/incidents/h2k9w4vq7n1c")
    );
    assert_eq!(inc.status, Some(IncidentStatus::Resolved));
    assert_eq!(inc.impact, Some(Impact::Major));
    // 01:10 CST is after 01:45 CDT on the night clocks went back: order is by instant.
    let times: Vec<String> = inc
        .updates
        .iter()
        .map(|u| u.occurred_at.to_rfc3339())
        .collect();
    assert_eq!(
        times,
        [
            "2017-11-05T06:20:00+00:00",
            "2017-11-05T06:45:00+00:00",
            "2017-11-05T07:10:00+00:00"
        ]
    );
    assert_eq!(
        inc.updates[2].original_time,
        "2017-11-05T01:10:00.000-06:00"
    );
    assert!(
        !inc.updates[2].body.contains('<'),
        "{}",
        inc.updates[2].body
    );
    assert!(inc.updates[2].body.contains("Root cause"));
    assert_eq!(
        inc.started_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2017-11-05T06:20:00+00:00")
    );
    assert_eq!(inc.components, ["Notebook Sync"]);
    assert_snapshot("statuspage_incident_backfilled", &d);
}

#[test]
fn summary_has_components_and_maintenance() {
    let d = doc("statuspage/summary.json");
    assert_eq!(d.incidents.len(), 2);
    assert_eq!(d.component_changes.len(), 3);
    let maint = &d.incidents[1];
    assert!(maint.is_maintenance);
    assert_eq!(maint.status, None);
    assert_eq!(maint.status_raw, "scheduled");
    assert_eq!(maint.impact, None);
    assert_eq!(maint.impact_raw.as_deref(), Some("maintenance"));
    assert!(!d.incidents[0].is_maintenance);
    assert_snapshot("statuspage_summary", &d);
}

#[test]
fn incident_io_optional_fields_and_unknown_words() {
    let d = doc("statuspage/summary_incidentio.json");
    let inc = &d.incidents[0];
    assert_eq!(inc.external_id, "01KA7T3E5R1W9Q2Y4U6I8O0P1A");
    assert_eq!(inc.status, None);
    assert_eq!(inc.status_raw, "reviewing");
    assert_eq!(inc.impact, None);
    assert_eq!(inc.impact_raw.as_deref(), Some("elevated"));
    assert_eq!(
        inc.url.as_deref(),
        Some("https://status.parrotbox.example/incidents/01KA7T3E5R1W9Q2Y4U6I8O0P1A")
    );
    assert_eq!(inc.updates[0].status, Some(IncidentStatus::Investigating));
    assert_eq!(inc.started_at, Some(inc.updates[0].occurred_at));
    assert_eq!(d.component_changes[1].status_raw, "flaky");
    assert_snapshot("statuspage_incidentio", &d);
}

#[test]
fn webhooks() {
    let d = doc("statuspage/webhook_incident.json");
    let inc = &d.incidents[0];
    assert_eq!(inc.status, Some(IncidentStatus::Postmortem));
    assert_eq!(
        inc.url.as_deref(),
        Some("http://tallyforge.statuspage.io/incidents/v8b6n4m2k0j9")
    );
    assert_eq!(inc.service, None);
    let pm = inc.postmortem.as_deref().unwrap();
    assert!(
        pm.contains("CSV quoting rules & exports") && !pm.contains('<'),
        "{pm}"
    );
    assert_eq!(inc.updates[1].kind, EntryKind::ComponentChange);
    assert_eq!(inc.updates[0].kind, EntryKind::StatusUpdate);
    assert_snapshot("statuspage_webhook_incident", &d);

    let d = doc("statuspage/webhook_component_update.json");
    assert!(d.incidents.is_empty());
    let c = &d.component_changes[0];
    assert_eq!(
        (c.name.as_str(), c.status_raw.as_str()),
        ("Exports", "major_outage")
    );
    assert_eq!(c.old_status_raw.as_deref(), Some("operational"));
    assert_snapshot("statuspage_webhook_component", &d);
}

#[test]
fn errors_say_where() {
    let e = parse_format(Format::Statuspage, br#"{"page": {"name": "X"}, "incidents": [{"id": "a", "name": "n", "incident_updates": [{"id": "u", "display_at": "soon"}]}]}"#).unwrap_err();
    assert!(
        e.to_string()
            .contains("$.incidents[0].incident_updates[0].display_at"),
        "{e}"
    );
    let e = parse_format(
        Format::Statuspage,
        br#"{"incident": {"id": "a", "name": 5}}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("$.incident"), "{e}");
    let e = parse_format(
        Format::Statuspage,
        br#"{"page": {"name": "X"}, "incidents": [{"id": "a""#,
    )
    .unwrap_err();
    assert!(matches!(e, ParseError::Json { line: 1, .. }), "{e}");
    assert!(parse_format(Format::Statuspage, b"[]").is_err());
    assert!(parse_format(Format::Statuspage, b"{\"other\": 1}").is_err());
}

#[test]
fn corpus_github_incident_history() {
    let Some(dir) = corpus_dir(
        "statuspage-github-incident-history/incidents",
        "corpus_github_incident_history",
    ) else {
        return;
    };
    let (mut incidents, mut updates) = (0, 0);
    let mut update_ids = std::collections::HashSet::new();
    for path in files(&dir, ".json") {
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            detect(&bytes),
            Some(Format::Statuspage),
            "{}",
            path.display()
        );
        let d = parse_format(Format::Statuspage, &bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for inc in &d.incidents {
            assert_eq!(inc.status, Some(IncidentStatus::Resolved));
            assert_eq!(inc.service.as_deref(), Some("github"));
            assert!(
                inc.url
                    .as_deref()
                    .unwrap()
                    .starts_with("https://www.githubstatus.com/incidents/")
            );
            for u in &inc.updates {
                assert!(
                    !html::looks_like_html(&u.body),
                    "{}: {}",
                    inc.external_id,
                    u.body
                );
                update_ids.insert(u.external_id.clone());
            }
            updates += inc.updates.len();
        }
        incidents += d.incidents.len();
    }
    eprintln!("github corpus: {incidents} incidents, {updates} updates");
    assert_eq!(incidents, 1_282);
    assert_eq!(updates, 2_801);
    assert_eq!(update_ids.len(), 2_801);
}

#[test]
fn corpus_webhooks_and_summaries() {
    let Some(root) = corpus_dir("", "corpus_webhooks_and_summaries") else {
        return;
    };
    for path in files(&root.join("statuspage-webhooks-zulip-fixtures"), ".json") {
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            detect(&bytes),
            Some(Format::Statuspage),
            "{}",
            path.display()
        );
        let d = parse_format(Format::Statuspage, &bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            d.incidents.len() + d.component_changes.len(),
            1,
            "{}",
            path.display()
        );
    }
    for name in [
        "anthropic",
        "cloudflare",
        "github",
        "bitbucket",
        "openai",
        "cohere",
    ] {
        let dir = root.join("ai-cloud-status-captures");
        let path = files(&dir, ".json").into_iter().find(|p| {
            p.file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(name))
        });
        let path = path.unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            detect(&bytes),
            Some(Format::Statuspage),
            "{}",
            path.display()
        );
        let d = parse_format(Format::Statuspage, &bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!d.incidents.is_empty(), "{}", path.display());
        assert!(d.page.is_some());
    }
}
