//! The judged queries of `judgments/` (93, English and French, a quarter held out), measured by
//! `aftermath bench --relevance` over the real corpus: Aftermath's nDCG@10 is at least 0.15
//! above SQLite FTS5's bm25 in its fair OR form, and does not fall below the level it has
//! reached (over both halves, 2026-12-08, after components weighed above titles, regions below
//! what they qualify and providers' words for "outage": 0.853 on both backends; tuning half
//! 0.868, held-out half 0.806), and it meets issue 20's target of 0.85. The bench measures only
//! once the index holds the whole store: a run on PostgreSQL under load once gave 0.847, most
//! likely because it searched an index still behind the cascade links. Skipped (and it says so) when
//! `AFTERMATH_CORPUS` is not set.

use std::process::Command;

use serde_json::Value;

/// Issue 20's goal for nDCG@10, over both halves: a regression below it fails.
const TARGET: f64 = 0.85;

fn relevance_report() -> Option<Value> {
    let Ok(corpus) = std::env::var("AFTERMATH_CORPUS") else {
        eprintln!("SKIPPED: AFTERMATH_CORPUS is not set; the judged queries need the real data");
        return None;
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftermath"));
    cmd.env_remove("AFTERMATH_DATABASE_URL")
        .env("RUST_LOG", "error");
    if let Ok(pg) = std::env::var("AFTERMATH_TEST_DATABASE_URL") {
        cmd.args(["--database-url", &pg]);
    }
    let out = cmd
        .args(["bench", "--relevance", "--json", "--corpus", &corpus])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn judged_queries_rank_well_and_well_above_fts5() {
    let Some(report) = relevance_report() else {
        return;
    };
    // 30 judgments (of several thousand) name an incident by a title and day the store does
    // not give it, and count as unjudged; more would mean the ingest or the keys changed.
    let unresolved = report["unresolved"].as_u64().unwrap();
    assert!(
        unresolved <= 30,
        "{unresolved} judged incidents not found: {report}"
    );
    let ours = report["all"]["aftermath"]["ndcg10"].as_f64().unwrap();
    let fts5 = report["all"]["fts5"]["ndcg10"].as_f64().unwrap();
    assert!(ours >= TARGET, "nDCG@10 {ours:.3} < {TARGET}: {report}");
    assert!(
        ours >= fts5 + 0.15,
        "nDCG@10 {ours:.3} vs FTS5 {fts5:.3}: {report}"
    );
    for half in report["halves"].as_array().unwrap() {
        assert!(half["queries"].as_u64().unwrap() > 0, "{half}");
    }
}
