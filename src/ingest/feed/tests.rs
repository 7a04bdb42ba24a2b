#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};

use super::*;
use crate::ingest::test_support::{assert_snapshot, corpus_dir, files, fixture};
use crate::ingest::{detect, parse as parse_format};

#[test]
fn statuspage_atom_years_and_labels() {
    let bytes = fixture("atom/history.atom");
    assert_eq!(detect(&bytes), Some(Format::Atom));
    let d = parse_format(Format::Atom, &bytes).unwrap();
    let page = d.page.as_ref().unwrap();
    assert_eq!(page.name, "Inkwell");
    let sso = &d.incidents[0];
    assert_eq!(sso.service.as_deref(), Some("inkwell"));
    assert_eq!(
        sso.url.as_deref(),
        Some("https://status.inkwell.example/incidents/k3j5h7g9f1d2")
    );
    let times: Vec<String> = sso
        .updates
        .iter()
        .map(|u| u.occurred_at.to_rfc3339())
        .collect();
    // Published Dec 31; "Jan 1" updates belong to the next year.
    assert_eq!(
        times,
        [
            "2025-12-31T23:20:00+00:00",
            "2026-01-01T00:05:00+00:00",
            "2026-01-01T00:41:00+00:00"
        ]
    );
    assert_eq!(sso.status, Some(IncidentStatus::Resolved));
    assert_eq!(sso.status_raw, "Resolved");
    assert_eq!(
        sso.resolved_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-01-01T00:41:00+00:00")
    );
    assert_eq!(sso.updates[1].status_raw.as_deref(), Some("Update"));
    assert_eq!(sso.updates[1].status, None);
    assert!(
        !sso.updates[1].body.contains('<') && sso.updates[1].body.contains("not"),
        "{}",
        sso.updates[1].body
    );
    assert_eq!(sso.updates[0].original_time, "Dec 31, 23:20 UTC");
    let maint = &d.incidents[1];
    assert!(maint.is_maintenance);
    assert_eq!(maint.status, Some(IncidentStatus::Resolved));
    assert_eq!(maint.status_raw, "Completed");
    let exports = &d.incidents[2];
    assert_eq!(exports.status, Some(IncidentStatus::Monitoring));
    let ids: HashSet<&str> = exports
        .updates
        .iter()
        .map(|u| u.external_id.as_str())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(sso.raw.starts_with("<entry>") && sso.raw.ends_with("</entry>"));
    assert_snapshot("atom_statuspage", &d);
}

#[test]
fn statuspage_rss_matches_atom_ids() {
    let bytes = fixture("rss/history.rss");
    assert_eq!(detect(&bytes), Some(Format::Rss));
    let d = parse_format(Format::Rss, &bytes).unwrap();
    let inc = &d.incidents[0];
    assert_eq!(inc.updates.len(), 3);
    assert_eq!(
        inc.updates[2].occurred_at.to_rfc3339(),
        "2026-01-01T00:41:00+00:00"
    );
    assert_eq!(
        inc.url.as_deref(),
        Some("https://status.inkwell.example/incidents/k3j5h7g9f1d2")
    );
    assert_eq!(inc.service.as_deref(), Some("inkwell"));
    assert_snapshot("rss_statuspage", &d);
}

#[test]
fn aws_rss_groups_items_into_events() {
    let d = parse_format(Format::Rss, &fixture("rss/aws-service.rss")).unwrap();
    assert_eq!(d.incidents.len(), 2);
    let metrics = &d.incidents[0];
    assert_eq!(metrics.title, "Delayed CloudWatch metrics for streams");
    let latency = &d.incidents[1];
    assert_eq!(latency.service.as_deref(), Some("aws-eu-central-1"));
    assert_eq!(latency.updates.len(), 2);
    assert_eq!(latency.status, Some(IncidentStatus::Resolved));
    assert_eq!(
        latency.updates[0].occurred_at.to_rfc3339(),
        "2025-11-04T09:35:00+00:00"
    );
    assert_eq!(
        latency.updates[1].external_id,
        "http://status.aws.amazon.com/#kinesis-eu-central-1_1762252800"
    );
    assert_snapshot("rss_aws", &d);
}

#[test]
fn azure_rss_one_update_per_item() {
    let d = parse_format(Format::Rss, &fixture("rss/azure.rss")).unwrap();
    let inc = &d.incidents[0];
    assert_eq!(inc.external_id, "storage-latency-in-north-europe");
    assert_eq!(inc.title, "Storage latency in North Europe");
    assert_eq!(inc.components, ["Storage", "North Europe"]);
    assert_eq!(
        inc.updates[0].occurred_at.to_rfc3339(),
        "2026-02-09T10:41:30+00:00"
    );
    assert_eq!(inc.updates[0].original_time, "Mon, 09 Feb 2026 10:41:30 Z");
    assert!(!inc.updates[0].body.contains('<'));
    assert_eq!(inc.service.as_deref(), Some("azure"));
    assert_snapshot("rss_azure", &d);
}

#[test]
fn infers_status_from_text() {
    assert_eq!(
        infer_status("Resolved - all good"),
        Some(("Resolved".to_string(), Some(IncidentStatus::Resolved)))
    );
    assert_eq!(
        infer_status("Investigating - looking").and_then(|(_, s)| s),
        Some(IncidentStatus::Investigating)
    );
    assert_eq!(
        infer_status("[RESOLVED] Errors").and_then(|(_, s)| s),
        Some(IncidentStatus::Resolved)
    );
    assert_eq!(infer_status("We had a problem - sorry"), None);
}

#[test]
fn broken_and_hostile_xml() {
    let e = parse_format(
        Format::Atom,
        b"<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<entry><title>x</titl></entry></feed>",
    )
    .unwrap_err();
    assert!(matches!(e, ParseError::Xml { .. }), "{e}");
    assert!(e.to_string().contains("line 2"), "{e}");
    assert!(parse_format(Format::Rss, b"<rss><channel><item>").is_err());
    assert!(parse_format(Format::Atom, b"not xml at all").is_err());
    // Billion laughs: entities declared in a DTD are not expanded.
    let mut lol =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE feed [\n <!ENTITY lol \"lol\">\n");
    lol.push_str(" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..10 {
        let prev = format!("&lol{};", i - 1).repeat(10);
        lol.push_str(&format!(" <!ENTITY lol{i} \"{prev}\">\n"));
    }
    lol.push_str("]>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>1</id><title>&lol9;</title><published>2026-01-01T00:00:00Z</published><content type=\"html\">&lol9;</content></entry></feed>");
    let started = std::time::Instant::now();
    if let Ok(d) = parse_format(Format::Atom, lol.as_bytes()) {
        let size: usize = d
            .incidents
            .iter()
            .map(|i| i.title.len() + i.updates.iter().map(|u| u.body.len()).sum::<usize>())
            .sum();
        assert!(size < 1_000, "entities were expanded: {size} bytes");
    }
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn corpus_github_atom() {
    let Some(dir) = corpus_dir("statuspage-atom-githubstatus-history", "corpus_github_atom") else {
        return;
    };
    let paths = files(&dir, ".atom");
    let mut entries: HashMap<String, usize> = HashMap::new();
    let mut update_ids = HashSet::new();
    let mut labels: HashMap<String, usize> = HashMap::new();
    let mut total = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(detect(&bytes), Some(Format::Atom));
        let d = parse_format(Format::Atom, &bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(d.incidents.len(), 25, "{}", path.display());
        for inc in d.incidents {
            assert!(
                inc.url
                    .as_deref()
                    .unwrap()
                    .starts_with("https://www.githubstatus.com/incidents/")
            );
            assert!(
                inc.status.is_some(),
                "{}: {}",
                inc.external_id,
                inc.status_raw
            );
            assert_eq!(inc.service.as_deref(), Some("github"));
            for u in &inc.updates {
                *labels
                    .entry(u.status_raw.clone().unwrap_or_default())
                    .or_default() += 1;
                update_ids.insert(u.external_id.clone());
                assert!(!crate::ingest::html::looks_like_html(&u.body), "{}", u.body);
                let published = inc.started_at.unwrap();
                assert!(
                    (u.occurred_at - published).num_days() < 60,
                    "{} {}",
                    inc.external_id,
                    u.original_time
                );
            }
            total += inc.updates.len();
            entries.insert(inc.external_id.clone(), inc.updates.len());
        }
    }
    eprintln!(
        "github atom corpus: {} files, {} distinct entries, {total} updates, {} distinct updates, labels {labels:?}",
        paths.len(),
        entries.len(),
        update_ids.len()
    );
    assert_eq!(paths.len(), 35);
    assert_eq!(entries.len(), 819);
    assert_eq!(total, 4_867);
    assert_eq!(update_ids.len(), 4_568);
    assert_eq!(labels.get("Update"), Some(&3_027));
    assert_eq!(labels.get("Resolved"), Some(&856));
    assert_eq!(labels.get("Investigating"), Some(&829));
}

#[test]
fn corpus_azure_rss() {
    let Some(dir) = corpus_dir("ai-cloud-status-captures", "corpus_azure_rss") else {
        return;
    };
    for name in ["azure-20260723-152634-major.json", "azure_live_westus.xml"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(detect(&bytes), Some(Format::Rss), "{name}");
        let d = parse_format(Format::Rss, &bytes).unwrap();
        assert_eq!(d.incidents.len(), 1);
        let inc = &d.incidents[0];
        assert_eq!(inc.external_id, "issues-connecting-to-resources-in-west-us");
        assert_eq!(inc.updates.len(), 1);
        assert!(!inc.updates[0].body.contains("<p>"));
    }
}
