//! The command line, run as a real process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::fresh_database;

fn aftermath() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftermath"));
    cmd.env_remove("AFTERMATH_DATABASE_URL")
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn token_create_prints_the_token_alone_and_it_works() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let out = aftermath()
        .args(["--database-url", &url, "token", "create", "--name", "ci"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim_end_matches('\n');
    assert!(
        !token.contains('\n') && token.starts_with("am_") && token.len() == 67,
        "{stdout:?}"
    );
    let db = aftermath::db::Db::connect(&url).unwrap();
    assert!(
        db.run(|c| aftermath::db::tokens::verify(c, token))
            .unwrap()
            .is_some()
    );
    let out = aftermath()
        .args(["--database-url", &url, "token", "revoke", "ci"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        db.run(|c| aftermath::db::tokens::verify(c, token))
            .unwrap()
            .is_none()
    );
}

#[test]
fn migrate_works_on_a_fresh_database_and_again() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    for _ in 0..2 {
        let out = aftermath()
            .args(["--database-url", &url, "migrate"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_unknown_database_scheme_is_refused_with_a_clear_message() {
    let out = aftermath()
        .args(["--database-url", "mysql://root@localhost/x", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unsupported scheme \"mysql\""), "{stderr}");
}

#[test]
fn help_explains_every_command() {
    let out = aftermath().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "token"] {
        assert!(text.contains(command), "{text}");
    }
    let out = aftermath().args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--demo"));
}

fn serve_until(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let mut child = aftermath()
        .args([
            "--database-url",
            &url,
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    let page = reqwest::blocking_get(&address);
    assert!(page.contains("Aftermath"), "{page}");
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..150 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "serve exits cleanly after {signal}: {status}"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("serve did not stop within 15 s of {signal}");
}

#[test]
fn serve_with_demo_answers_then_stops_gracefully_on_sigterm() {
    serve_until("-TERM");
}

#[test]
fn serve_stops_gracefully_on_sigint() {
    serve_until("-INT");
}

mod reqwest {
    /// A plain GET from a synchronous test, on a throwaway runtime.
    pub fn blocking_get(url: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { ::reqwest::get(url).await.unwrap().text().await.unwrap() })
    }
}

/// A short command used to crash at exit (SIGSEGV) when a pool thread was still inside libpq's
/// connect; run it often enough that the race would show.
#[test]
fn short_commands_exit_cleanly_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    for _ in 0..15 {
        let out = aftermath()
            .args(["--database-url", &url, "token", "list"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

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

#[test]
fn postmortem_writes_the_draft_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let db = aftermath::db::Db::connect(&url).unwrap();
    aftermath::demo::load(&db).unwrap();
    let id = db
        .run(|c| aftermath::db::incidents::list(c, &Default::default(), 1, None))
        .unwrap()
        .items[0]
        .id
        .to_string();
    let out_file = dir.path().join("pm.md");
    let out = aftermath()
        .args([
            "--database-url",
            &url,
            "postmortem",
            &id,
            "--out",
            out_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(text.contains("## Timeline") && text.contains("# Postmortem: "));
    let missing = aftermath()
        .args([
            "--database-url",
            &url,
            "postmortem",
            &uuid::Uuid::now_v7().to_string(),
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no incident with id"));
}

#[test]
fn export_postmortems_writes_a_file_per_incident_and_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let db = aftermath::db::Db::connect(&url).unwrap();
    aftermath::demo::load(&db).unwrap();
    // Same title, same day, created together: each still gets its own file.
    for _ in 0..3 {
        let new = crate::helpers::manual_incident("Incident with Actions", "forge");
        db.write(|c| aftermath::db::incidents::create(c, &new))
            .unwrap();
    }
    let incidents = db.run(aftermath::db::incidents::count).unwrap() as usize;
    let out_dir = dir.path().join("export");
    let out = aftermath()
        .args([
            "--database-url",
            &url,
            "export",
            "postmortems",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), incidents + 1);
    let index = std::fs::read_to_string(out_dir.join("index.md")).unwrap();
    assert_eq!(
        index.lines().filter(|l| l.starts_with("| 20")).count(),
        incidents
    );
    let one = files
        .iter()
        .find(|p| p.to_string_lossy().contains("increased-error-rates"))
        .unwrap();
    let text = std::fs::read_to_string(one).unwrap();
    assert!(
        text.starts_with("---\ntitle: ")
            && text.contains("\nresolvedWhen: \"2025-10-20T20:58:00Z\"\n"),
        "{text}"
    );
    assert_eq!(
        db.run(|c| aftermath::db::postmortems::latest(
            c,
            "00000000-0000-7000-8000-000000000000".parse().unwrap()
        ))
        .unwrap(),
        None
    );
    let saved: i64 = db
        .run(|c| {
            use diesel::prelude::*;
            Ok(aftermath::db::schema::postmortems::table
                .count()
                .get_result(c)?)
        })
        .unwrap();
    assert_eq!(saved, 0, "exporting writes nothing to the store");
}
