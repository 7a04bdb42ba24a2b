//! `aftermath bench --scale tiny --json` as CI's smoke test: it completes and reports every key.
//! Timings are never asserted (they belong to the benchmark, not to tests).

use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::helpers::backend_name;

/// Every key of the report, as JSON pointers.
const KEYS: &[&str] = &[
    "/scale",
    "/backend",
    "/date",
    "/machine/cores",
    "/machine/memory_gib",
    "/corpus/seed",
    "/corpus/services",
    "/corpus/incidents",
    "/corpus/entries",
    "/ingest/in_process_entries",
    "/ingest/in_process_entries_per_sec",
    "/ingest/http_entries",
    "/ingest/http_entries_per_sec",
    "/ingest/http_concurrency",
    "/corpus_ingest/dir",
    "/corpus_ingest/files",
    "/corpus_ingest/failed",
    "/corpus_ingest/entries",
    "/corpus_ingest/seconds",
    "/corpus_ingest/entries_per_sec",
    "/reindex/incidents",
    "/reindex/entries",
    "/reindex/seconds",
    "/reindex/entries_per_sec",
    "/search/queries",
    "/search/p50_ms",
    "/search/p99_ms",
    "/search/max_ms",
    "/search/suggest/p50_ms",
    "/search/suggest/p99_ms",
    "/fts5/engine",
    "/fts5/build_seconds",
    "/fts5/p50_ms",
    "/fts5/p99_ms",
    "/fts5/max_ms",
    "/fts5/ratio_p50",
    "/freshness/writes",
    "/freshness/p50_ms",
    "/freshness/p99_ms",
    "/freshness/max_ms",
    "/report_intake/connections",
    "/report_intake/requests",
    "/report_intake/requests_per_sec",
    "/report_intake/p50_ms",
    "/report_intake/p99_ms",
    "/report_intake/max_ms",
    "/spike_evaluation/services",
    "/spike_evaluation/history_minutes",
    "/spike_evaluation/seconds_per_minute",
    "/cascade/services",
    "/cascade/days",
    "/cascade/reports",
    "/cascade/seconds",
    "/cascade/reports_per_sec",
    "/cascade/injected_spikes",
    "/cascade/detected_spikes",
    "/cascade/false_spikes",
    "/cascade/upstream_links",
    "/postmortems/draft_1000_entries_ms",
    "/postmortems/render_1000_entries_ms",
    "/postmortems/exported",
    "/postmortems/export_per_sec",
    "/resources/peak_rss_mib",
    "/resources/database_bytes",
    "/resources/index_bytes",
    "/resources/database_mib_per_million_entries",
    "/resources/index_mib_per_million_entries",
];

/// The report of one tiny run, shared by the tests below: they check different parts of it, and
/// the run is the slow part.
fn tiny_report() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(run_the_tiny_benchmark)
}

fn run_the_tiny_benchmark() -> Value {
    // A small corpus of the repository's fixtures stands in for the real one in the corpus phase.
    let corpus = tempfile::tempdir().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (dir, file) in [
        ("statuspage", "incident_backfilled.json"),
        ("atom", "history.atom"),
        ("gcp", "incidents.json"),
        ("aws-datajson", "data.json"),
    ] {
        std::fs::copy(
            fixtures.join(dir).join(file),
            corpus.path().join(format!("{dir}-{file}")),
        )
        .unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftermath"));
    cmd.env_remove("AFTERMATH_DATABASE_URL")
        .env_remove("AFTERMATH_CORPUS")
        .env("RUST_LOG", "error");
    if let Ok(pg) = std::env::var("AFTERMATH_TEST_DATABASE_URL") {
        cmd.args(["--database-url", &pg]);
    }
    let out = cmd
        .args(["bench", "--scale", "tiny", "--json", "--corpus"])
        .arg(corpus.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_tiny_benchmark_completes_and_reports_every_key() {
    let report = tiny_report();
    for key in KEYS {
        assert!(
            report.pointer(key).is_some_and(|v| !v.is_null()),
            "{key} missing: {report}"
        );
    }
    assert_eq!(report["scale"], "tiny");
}

#[test]
fn the_tiny_generated_corpus_is_ingested_whole() {
    let report = tiny_report();
    assert_eq!(
        report["corpus"]["entries"], 2_000,
        "the tiny corpus is all ingested: {report}"
    );
}

#[test]
fn every_file_of_the_corpus_directory_is_ingested() {
    let report = tiny_report();
    assert_eq!(report["corpus_ingest"]["files"], 4, "{report}");
    assert_eq!(report["corpus_ingest"]["failed"], 0, "{report}");
    assert!(
        report["corpus_ingest"]["entries"].as_u64().unwrap() > 0,
        "the fixtures' entries were ingested: {report}"
    );
}

/// Not a timing: the generated cascade is found whole, and nothing else is.
#[test]
fn the_generated_cascade_is_found_whole_and_nothing_else_is() {
    let report = tiny_report();
    assert_eq!(
        report["cascade"]["detected_spikes"], report["cascade"]["injected_spikes"],
        "{report}"
    );
    assert_eq!(report["cascade"]["false_spikes"], 0, "{report}");
}

#[test]
fn the_report_names_its_backend_and_on_postgres_times_postgres_full_text_search_too() {
    let report = tiny_report();
    assert_eq!(report["backend"], backend_name(), "{report}");
    if backend_name() == "postgres" {
        assert!(
            report
                .pointer("/postgres_fts/p50_ms")
                .is_some_and(|v| v.is_number()),
            "{report}"
        );
    }
}

/// `bench --only PART` at the tiny scale: each part runs alone and reports its figures under the
/// full report's keys (not timed here either).
#[test]
fn each_part_runs_alone_and_reports_its_keys_under_the_full_reports_names() {
    let parts: &[(&str, &[&str])] = &[
        ("spikes", &["/spike_evaluation/seconds_per_minute"]),
        (
            "reports",
            &["/report_intake/requests_per_sec", "/report_intake/p99_ms"],
        ),
        (
            "cascade",
            &["/cascade/reports_per_sec", "/cascade/detected_spikes"],
        ),
        (
            "ingest",
            &[
                "/ingest/in_process_entries_per_sec",
                "/ingest/http_entries_per_sec",
            ],
        ),
        (
            "export",
            &["/ingest/http_entries", "/postmortems/export_per_sec"],
        ),
        (
            "search",
            &[
                "/search/p50_ms",
                "/search/p99_ms",
                "/search/suggest/p99_ms",
                "/freshness/p99_ms",
                "/cross_instance_freshness/p99_ms",
            ],
        ),
        (
            "notifications",
            &[
                "/notifications/subscriptions",
                "/notifications/changes",
                "/notifications/deliveries",
                "/notifications/enqueue_p50_ms",
                "/notifications/enqueue_p99_ms",
                "/notifications/delivered",
                "/notifications/deliveries_per_sec",
            ],
        ),
    ];
    for (part, keys) in parts {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftermath"));
        cmd.env_remove("AFTERMATH_DATABASE_URL")
            .env_remove("AFTERMATH_CORPUS")
            .env("RUST_LOG", "error");
        if let Ok(pg) = std::env::var("AFTERMATH_TEST_DATABASE_URL") {
            cmd.args(["--database-url", &pg]);
        }
        let out = cmd
            .args(["bench", "--scale", "tiny", "--json", "--only", part])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{part}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["backend"], backend_name(), "{part}: {report}");
        for key in *keys {
            assert!(
                report.pointer(key).is_some_and(Value::is_number),
                "{part}: {key} missing: {report}"
            );
        }
    }
}
