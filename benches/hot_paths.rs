//! Micro-benchmarks of the hot functions: each source parser on our fixtures, Markdown escaping
//! and rendering, and drafting a postmortem for a 1,000-entry incident. Run with `cargo bench`;
//! CI only builds them (timings on a shared 2-core machine are not assertions).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use aftermath::ingest::{self, Format};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

// The same 1,000-entry incident `aftermath bench` drafts, so both measure one thing. The bench
// module belongs to the binary (the library exports no test rig), and a bench target can only
// reach the binary's source by path; the file names only the library's public items.
#[path = "../src/bench/fixtures.rs"]
mod fixtures;

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

fn postmortems(c: &mut Criterion) {
    let detail = fixtures::big_incident(1_000);
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

fn queries(c: &mut Criterion) {
    let live = aftermath::search::Live::in_memory().unwrap();
    let mut group = c.benchmark_group("search_query_parse");
    for q in [
        "webhooks",
        "webhooks delayed github",
        "\"elevated error rates\" service:aws-us-east-1 -resolved",
        "(webhooks OR \"git operations\" unbalanced",
    ] {
        group.bench_function(q, |b| {
            b.iter(|| aftermath::search::query::parse_text(&live, black_box(q)))
        });
    }
    group.finish();
}

criterion_group!(benches, parsers, postmortems, queries);
criterion_main!(benches);
