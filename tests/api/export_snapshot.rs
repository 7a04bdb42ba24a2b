//! `export --format jsonl` is one snapshot, streamed: taken while writes go on it always
//! imports (no row refers to one written after the table it lives in was read), and what it
//! holds in memory does not grow with a table.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use aftermath::db::{Db, dump};
use serde_json::{Value, json};

use crate::cli::aftermath;
use crate::helpers::spawn_app_with;

/// Writes until told to stop (at most 2,000 rounds): new incidents, updates to them, edits of
/// them, and reports; `made` counts the incidents.
async fn storm(address: String, token: String, stop: Arc<AtomicBool>, made: Arc<AtomicUsize>) {
    let client = reqwest::Client::new();
    let url = |p: &str| format!("{address}{p}");
    for i in 0..2_000 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let created: Value = client
            .post(url("/api/v1/incidents"))
            .bearer_auth(&token)
            .json(&json!({"title": format!("Storm {i}"), "services": [format!("storm-{}", i % 7)]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_string();
        made.fetch_add(1, Ordering::Relaxed);
        let update = json!({"body": format!("Update {i}"), "status": "identified"});
        let path = format!("/api/v1/incidents/{id}/updates");
        let res = client
            .post(url(&path))
            .bearer_auth(&token)
            .json(&update)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let path = format!("/api/v1/incidents/{id}");
        let patch = json!({"title": format!("Storm {i}, edited"), "impact": "major"});
        let res = client
            .patch(url(&path))
            .bearer_auth(&token)
            .json(&patch)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let report = json!({"service": format!("storm-{}", i % 7), "symptom": "outage"});
        let res = client
            .post(url("/api/v1/reports"))
            .json(&report)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "report {i}");
    }
}

/// Imports an export into a new SQLite store beside it; returns the rows imported.
fn import_into_fresh_sqlite(export: &std::path::Path) -> usize {
    let target = Db::connect(&format!("sqlite://{}.db", export.display())).unwrap();
    let file = std::io::BufReader::new(std::fs::File::open(export).unwrap());
    target
        .write(|c| dump::import(c, file))
        .unwrap_or_else(|e| panic!("{} does not import: {e}", export.display()))
        .rows
}

#[actix_web::test]
async fn an_export_taken_during_a_write_storm_imports_into_a_fresh_sqlite_store() {
    let app = spawn_app_with(|c| c.report_rate_per_minute = 100_000).await;
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            actix_web::rt::spawn(storm(
                app.address.clone(),
                app.token.clone(),
                stop.clone(),
                made.clone(),
            ))
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for round in 0..3 {
        // Let the storm get going (and change the store) before each export.
        let before = made.load(Ordering::Relaxed);
        while made.load(Ordering::Relaxed) < before + 5 {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let out = dir.path().join(format!("export-{round}.jsonl"));
        let mut cmd = aftermath();
        cmd.args([
            "--database-url",
            &app.database_url,
            "export",
            "--format",
            "jsonl",
        ])
        .arg("--out")
        .arg(&out);
        let done = actix_web::rt::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        let rows = import_into_fresh_sqlite(&out);
        assert!(rows > 0, "round {round}");
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(
        made.load(Ordering::Relaxed) >= 15,
        "the storm wrote meanwhile"
    );
}

/// An export's output that stops at the first row of `table` until told to go on.
struct PauseAt {
    data: Vec<u8>,
    marker: Vec<u8>,
    reached: Option<mpsc::Sender<()>>,
    resume: mpsc::Receiver<()>,
}

impl std::io::Write for PauseAt {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.data.extend_from_slice(buf);
        let tail = &self.data[self
            .data
            .len()
            .saturating_sub(buf.len() + self.marker.len())..];
        if tail
            .windows(self.marker.len())
            .any(|w| w == self.marker.as_slice())
            && let Some(reached) = self.reached.take()
        {
            reached.send(()).unwrap();
            self.resume.recv().unwrap();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The PostgreSQL backend serving this connection; none on SQLite.
fn backend_pid(c: &mut aftermath::db::DbConn) -> Option<i32> {
    use diesel::RunQueryDsl;
    match c {
        aftermath::db::DbConn::Postgres(pg) => diesel::select(diesel::dsl::sql::<
            diesel::sql_types::Integer,
        >("pg_backend_pid()"))
        .get_result(pg)
        .ok(),
        aftermath::db::DbConn::Sqlite(_) => None,
    }
}

/// What a PostgreSQL backend is doing now (`active`, `idle in transaction`, ...).
fn backend_state(db: &Db, pid: i32) -> Option<String> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{Nullable, Text};
    let query = format!("(SELECT state FROM pg_stat_activity WHERE pid = {pid})");
    db.run(|c| match c {
        aftermath::db::DbConn::Postgres(pg) => {
            Ok(diesel::select(diesel::dsl::sql::<Nullable<Text>>(&query)).get_result(pg)?)
        }
        aftermath::db::DbConn::Sqlite(_) => Ok(None),
    })
    .unwrap()
}

/// A store with the cascade scenario's catalog and 31,856 reports (the largest table).
fn store_with_reports(dir: &std::path::Path) -> (Db, Option<crate::helpers::SchemaGuard>) {
    let (url, schema) = crate::helpers::fresh_database(dir);
    let db = Db::connect(&url).unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cascade");
    let catalog = std::fs::read(format!("{fixtures}/catalog.toml")).unwrap();
    let services = aftermath::ingest::catalog::parse_catalog(&catalog).unwrap();
    db.write(|c| aftermath::correlate::reports::apply_catalog(c, &services))
        .unwrap();
    let reports = std::fs::read(format!("{fixtures}/reports.jsonl")).unwrap();
    aftermath::correlate::reports::backfill(&db, &reports, chrono::Utc::now()).unwrap();
    (db, schema)
}

#[test]
fn an_export_streams_rows_from_one_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _schema) = store_with_reports(dir.path());
    let (reached_tx, reached) = mpsc::channel();
    let (resume, resume_rx) = mpsc::channel();
    let (pid_tx, pid_rx) = mpsc::channel();
    let source = db.clone();
    let exporter = std::thread::spawn(move || {
        let mut out = PauseAt {
            data: Vec::new(),
            marker: br#"{"table":"reports""#.to_vec(),
            reached: Some(reached_tx),
            resume: resume_rx,
        };
        source
            .run(|c| {
                pid_tx.send(backend_pid(c)).unwrap();
                dump::export(c, &mut out, dump::Secrets::Leave)
            })
            .unwrap();
        out.data
    });
    let pid = pid_rx.recv().unwrap();
    reached.recv().unwrap();
    if let Some(pid) = pid {
        // Streamed: the table is still being sent when its first row reaches the output (it
        // is megabytes, more than the socket buffers hold while nobody reads them).
        assert_eq!(backend_state(&db, pid).as_deref(), Some("active"));
    }
    // Committed while the export is in the middle: a spike and the incident it opens. The
    // spikes table is read after the incidents table, so an export that is not one snapshot
    // writes a spike whose incident is missing, and does not import.
    let onset = chrono::DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z")
        .unwrap()
        .to_utc();
    let id = db
        .write(|c| {
            aftermath::db::spikes::record_onset(c, "snapgram", "Snapgram", onset, 50, 1.0, onset)
        })
        .unwrap();
    resume.send(()).unwrap();
    let data = exporter.join().unwrap();
    assert!(
        !String::from_utf8_lossy(&data).contains(&id.to_string()),
        "the export is the store as it was when it began"
    );
    let path = dir.path().join("export.jsonl");
    std::fs::write(&path, &data).unwrap();
    assert!(import_into_fresh_sqlite(&path) > 31_856);
}
