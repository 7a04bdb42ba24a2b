//! `aftermath search` and `aftermath reindex` as real processes, and `serve` killed with SIGKILL.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::fresh_database;

fn aftermath(url: &str, data: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftermath"));
    cmd.env_remove("AFTERMATH_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args(["--database-url", url, "--data-dir"])
        .arg(data);
    cmd
}

fn seed(url: &str, titles: &[&str]) {
    let db = aftermath::db::Db::connect(url).unwrap();
    for title in titles {
        let new = crate::helpers::manual_incident(title, "forge");
        db.write(|c| aftermath::db::incidents::create(c, &new))
            .unwrap();
    }
}

#[test]
fn search_prints_hits_as_text_or_json_and_catches_up_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let data = dir.path().join("data");
    seed(&url, &["Webhooks delayed", "Pages build failing"]);
    let out = aftermath(&url, &data)
        .args(["search", "webhooks"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("1 incident(s)"), "{text}");
    assert!(text.contains("Webhooks delayed [forge]"), "{text}");

    // Written after the first search: the next one indexes it first.
    seed(&url, &["Webhooks failing"]);
    let out = aftermath(&url, &data)
        .args(["search", "webhooks", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["total"], 2, "{body}");
    assert!(body["hits"][0]["incident_id"].is_string());

    let out = aftermath(&url, &data)
        .args(["search", "x", "--since", "soon"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--since"),
        "{out:?}"
    );
}

#[test]
fn reindex_reports_its_rate_and_a_corrupt_index_is_rebuilt_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let data = dir.path().join("data");
    seed(
        &url,
        &["Webhooks delayed", "Webhooks failing", "Login errors"],
    );
    let out = aftermath(&url, &data).arg("reindex").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("indexed 3 incident(s)") && err.contains("entries/s"),
        "{err}"
    );

    let current = std::fs::read_to_string(data.join("index/CURRENT")).unwrap();
    std::fs::write(
        data.join("index").join(current.trim()).join("meta.json"),
        "garbage",
    )
    .unwrap();
    let out = aftermath(&url, &data)
        .args(["search", "webhooks"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rebuilding the search index") && err.contains("cannot open"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("2 incident(s)"));
}

fn serve(url: &str, data: &std::path::Path) -> (Child, String) {
    let mut child = aftermath(url, data)
        .args(["serve", "--bind", "127.0.0.1:0", "--no-poll"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let address = crate::helpers::served_address(&mut child);
    (child, address)
}

/// SIGKILL at any point of indexing loses nothing and duplicates nothing after a restart.
#[actix_web::test]
async fn a_server_killed_mid_indexing_catches_up_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let data = dir.path().join("data");
    let token = {
        let db = aftermath::db::Db::connect(&url).unwrap();
        db.write(|c| aftermath::db::tokens::create(c, "t", aftermath::db::tokens::Scope::Write))
            .unwrap()
            .1
    };
    let client = reqwest::Client::new();
    let mut created = 0;
    for round in 0..3 {
        let (mut child, address) = serve(&url, &data);
        for i in 0..20 {
            let res = client
                .post(format!("{address}/api/v1/incidents"))
                .bearer_auth(&token)
                .json(
                    &json!({"title": format!("Killed outage {round}-{i}"), "services": ["forge"]}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            created += 1;
        }
        // No waiting: the indexer is somewhere in its work.
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let (mut child, address) = serve(&url, &data);
    let body: Value = client
        .get(format!("{address}/api/v1/search"))
        .query(&[("q", "killed"), ("consistent", "true"), ("limit", "1")])
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(body["consistent"], true, "{body}");
    assert_eq!(body["total"], created, "every incident once: {body}");
}

/// On PostgreSQL an outbox position is handed out before its transaction commits, so any
/// transaction open on the cluster holds the index horizon back. The command waits for the
/// writes committed before it started instead of answering without them as consistent.
#[test]
fn search_waits_for_a_write_held_back_by_another_open_transaction() {
    use diesel::{Connection, RunQueryDsl};
    let Ok(pg_url) = std::env::var("AFTERMATH_TEST_DATABASE_URL") else {
        return; // SQLite commits in order: nothing can hold the horizon back.
    };
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let data = dir.path().join("data");
    seed(&url, &["Webhooks delayed"]);
    let first = aftermath(&url, &data)
        .args(["search", "webhooks"])
        .output()
        .unwrap();
    assert!(first.status.success());
    // Another session opens a transaction that takes a transaction id, then a write commits.
    let mut other = diesel::PgConnection::establish(&pg_url).unwrap();
    diesel::sql_query("BEGIN").execute(&mut other).unwrap();
    diesel::sql_query("SELECT txid_current()")
        .execute(&mut other)
        .unwrap();
    seed(&url, &["Webhooks failing"]);
    let closer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        diesel::sql_query("COMMIT").execute(&mut other).unwrap();
    });
    let out = aftermath(&url, &data)
        .args(["search", "webhooks", "--json"])
        .output()
        .unwrap();
    closer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["total"], 2, "{body}");
    assert_eq!(body["consistent"], true, "{body}");
}
