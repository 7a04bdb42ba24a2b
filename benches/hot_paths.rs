//! Micro-benchmarks of the hot functions: each source parser on our fixtures, Markdown escaping
//! and rendering, and drafting a postmortem for a 1,000-entry incident. Run with `cargo bench`;
//! CI only builds them (timings on a shared 2-core machine are not assertions).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use aftermath::db::incidents::IncidentDetail;
use aftermath::domain::{
    EntryId, EntryKind, Impact, Incident, IncidentId, IncidentStatus, Milestones, Origin,
    TimelineEntry,
};
use aftermath::ingest::{self, Format};
use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn parsers(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (format, path) in [
        (Format::Statuspage, "statuspage/incident_backfilled.json"),
        (Format::Statuspage, "statuspage/summary.json"),
        (Format::Atom, "atom/history.atom"),
        (Format::Rss, "rss/history.rss"),
        (Format::AwsDatajson, "aws-datajson/data.json"),
        (Format::AwsHealth, "aws-health/currentevents.json"),
        (Format::Gcp, "gcp/incidents.json"),
        (Format::Slack, "slack/history.json"),
        (Format::Instatus, "instatus/webhook_incident.json"),
        (Format::Betterstack, "betterstack/index.json"),
        (Format::Checkly, "checkly/unresolved-incidents.json"),
    ] {
        let bytes = fixture(path);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(path, |b| {
            b.iter(|| ingest::parse(format, black_box(&bytes)).unwrap())
        });
    }
    group.finish();
}

/// An incident with `n` timeline entries of realistic prose, some with hostile characters.
fn big_incident(n: usize) -> IncidentDetail {
    let start = Utc.with_ymd_and_hms(2025, 10, 20, 7, 11, 0).unwrap();
    let id = IncidentId::generate();
    let statuses = ["investigating", "identified", "monitoring", "update"];
    let timeline = (0..n)
        .map(|i| TimelineEntry {
            id: EntryId::generate(),
            incident_id: id,
            occurred_at: start + Duration::minutes(i as i64),
            recorded_at: start,
            kind: EntryKind::StatusUpdate,
            source: "Nimbus Health Dashboard".into(),
            status: Some(statuses[i % statuses.len()].into()),
            impact: None,
            body: format!(
                "Update {i}: we continue to see elevated error rates for requests to the *DriftKV* endpoint | \
                 in US-EAST-1 <region>; root cause analysis & mitigation of item #{i} is in progress. [details](x)"
            ),
            author: None,
            url: None,
            edited_at: None,
        })
        .collect();
    IncidentDetail {
        incident: Incident {
            id,
            title: "Increased error rates and latencies in US-EAST-1".into(),
            status: IncidentStatus::Resolved,
            impact: Impact::Critical,
            origin: Origin::StatusPage,
            services: vec!["nimbus-us-east-1".into()],
            milestones: Milestones {
                started: Some(start),
                detected: Some(start),
                acknowledged: Some(start + Duration::minutes(120)),
                mitigated: Some(start + Duration::minutes(500)),
                resolved: Some(start + Duration::minutes(n as i64)),
            },
            url: None,
            report_count: 0,
            created_at: start,
            updated_at: start,
        },
        timeline,
        links: vec![],
        components: vec![("nimbus-us-east-1".into(), "DriftKV".into())],
    }
}

fn postmortems(c: &mut Criterion) {
    let detail = big_incident(1_000);
    c.bench_function("postmortem/draft_1000_entries", |b| {
        b.iter(|| aftermath::postmortem::draft(black_box(&detail), None))
    });
    let markdown = aftermath::postmortem::draft(&detail, None).markdown;
    let mut group = c.benchmark_group("markdown");
    group.throughput(Throughput::Bytes(markdown.len() as u64));
    group.bench_function("render_1000_entry_draft", |b| {
        b.iter(|| aftermath::markdown::render(black_box(&markdown)))
    });
    group.finish();
    let text = "Errors for *DriftKV* | in US-EAST-1 <region> & [links](x) #1. ".repeat(20);
    let mut group = c.benchmark_group("md_escape");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("inline", |b| {
        b.iter(|| aftermath::postmortem::md_escape::inline(black_box(&text)))
    });
    group.bench_function("table_cell", |b| {
        b.iter(|| aftermath::postmortem::md_escape::table_cell(black_box(&text)))
    });
    group.finish();
}

criterion_group!(benches, parsers, postmortems);
criterion_main!(benches);
