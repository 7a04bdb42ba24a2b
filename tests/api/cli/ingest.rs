//! Status documents in from the command line: `ingest` of files, `source add|list`, `poll --once`.

use super::aftermath;
use crate::helpers::fresh_database;

#[test]
fn ingest_reports_each_file_and_fails_after_doing_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "{\n  \"incident\": {\n    \"id\": \"x\",,\n").unwrap();
    let good = format!("{}/fixtures/gcp/incidents.json", env!("CARGO_MANIFEST_DIR"));
    let feed = format!("{}/fixtures/atom/history.atom", env!("CARGO_MANIFEST_DIR"));
    // Parses, but names no service: it fails while being applied, inside the shared transaction.
    let nameless = format!(
        "{}/fixtures/checkly/unresolved-incidents.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = aftermath()
        .args([
            "--database-url",
            &url,
            "ingest",
            bad.to_str().unwrap(),
            &good,
            &nameless,
            &feed,
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a failed file makes the command fail"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.json: error:") && stderr.contains("line 3"),
        "names the file and the place: {stderr}"
    );
    assert!(
        stdout.contains("incidents.json: gcp: 2 created"),
        "{stdout}"
    );
    assert!(stdout.contains("history.atom: atom:"), "{stdout}");
    assert!(
        stderr.contains("unresolved-incidents.json: error: cannot tell which service"),
        "{stderr}"
    );
    let db = aftermath::db::Db::connect(&url).unwrap();
    let incidents = db.run(aftermath::db::incidents::count).unwrap();
    assert_eq!(
        incidents,
        2 + 3,
        "only the two good files' incidents are stored"
    );
    let again = aftermath()
        .args(["--database-url", &url, "ingest", &good, &feed])
        .output()
        .unwrap();
    assert!(again.status.success());
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.lines().all(|l| l.contains(": 0 created, 0 updated")),
        "{stdout}"
    );
}

#[test]
fn sources_are_added_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let hook = aftermath()
        .args([
            "--database-url",
            &url,
            "source",
            "add",
            "--kind",
            "statuspage-webhook",
            "--service",
            "acme",
        ])
        .output()
        .unwrap();
    assert!(
        hook.status.success(),
        "{}",
        String::from_utf8_lossy(&hook.stderr)
    );
    assert!(String::from_utf8_lossy(&hook.stdout).starts_with("/api/v1/hooks/"));
    let polled = aftermath()
        .args([
            "--database-url",
            &url,
            "source",
            "add",
            "--kind",
            "atom",
            "--url",
            "https://status.acme.example/history.atom",
            "--service",
            "acme",
            "--interval",
            "2m",
        ])
        .output()
        .unwrap();
    assert!(
        polled.status.success(),
        "{}",
        String::from_utf8_lossy(&polled.stderr)
    );
    let bad = aftermath()
        .args([
            "--database-url",
            &url,
            "source",
            "add",
            "--kind",
            "atom",
            "--service",
            "acme",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "a polled source needs a URL");
    let list = aftermath()
        .args(["--database-url", &url, "source", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("statuspage-webhook")
            && text.contains("https://status.acme.example/history.atom"),
        "{text}"
    );
    assert!(text.contains("last success: never"), "{text}");
    // The audit log says the command line added them.
    let db = aftermath::db::Db::connect(&url).unwrap();
    let log = db.run(|c| aftermath::db::audit::recent(c, 10)).unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log.iter()
            .all(|e| e.actor.starts_with("cli:") && e.action == "source added"),
        "{log:?}"
    );
}

#[test]
fn poll_once_with_nothing_due_reports_an_empty_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let out = aftermath()
        .args(["--database-url", &url, "poll", "--once"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["fetched"], 0);
    assert_eq!(summary["failed"], 0);
}
