//! The index is derived and self-healing: it catches up after a restart, rebuilds itself when it
//! is missing, unreadable or of another schema, and never skips an outbox row, even when
//! PostgreSQL commits them out of order.

use std::path::Path;
use std::time::Duration;

use aftermath::config::Config;
use aftermath::db::Db;
use aftermath::db::outbox::{self, Position};
use aftermath::search::{Search, SearchRequest};
use aftermath::startup::Application;
use serde_json::json;

use crate::helpers::fresh_database;

fn manual(title: &str) -> aftermath::domain::NewIncident {
    crate::helpers::manual_incident(title, "svc")
}

/// A server on this database and data directory; stopped (indexer joined) by `stop`.
struct Server {
    address: String,
    handle: actix_web::dev::ServerHandle,
    search: Search,
    client: reqwest::Client,
    token: String,
}

async fn start(url: &str, data_dir: &Path, token: Option<String>) -> Server {
    let app = Application::build(Config::for_dir(url.to_string(), data_dir.to_path_buf())).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let search = app.search().clone();
    let token = match token {
        Some(t) => t,
        None => {
            app.db()
                .write(|c| {
                    aftermath::db::tokens::create(c, "t", aftermath::db::tokens::Scope::Write)
                })
                .unwrap()
                .1
        }
    };
    actix_web::rt::spawn(app.run_until_stopped());
    Server {
        address,
        handle,
        search,
        client: reqwest::Client::new(),
        token,
    }
}

impl Server {
    async fn create(&self, title: &str) {
        let res = self
            .client
            .post(format!("{}/api/v1/incidents", self.address))
            .bearer_auth(&self.token)
            .json(&json!({"title": title, "services": ["svc"], "body": "Investigating."}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    async fn total(&self, q: &str) -> u64 {
        assert!(
            self.search
                .wait_until_consistent(Duration::from_secs(10))
                .await
                .unwrap()
        );
        let request = SearchRequest {
            q: q.into(),
            limit: 10,
            ..Default::default()
        };
        self.search.query(&request).unwrap().total as u64
    }

    async fn stop(self) {
        self.handle.stop(true).await;
        // run_until_stopped joins the indexer after the server future ends; give it the turn.
        let search = self.search.clone();
        actix_web::rt::task::spawn_blocking(move || search.stop())
            .await
            .unwrap();
    }
}

#[actix_web::test]
async fn a_restart_catches_up_with_what_was_written_while_it_was_down() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let data = dir.path().join("data");
    let server = start(&url, &data, None).await;
    server.create("Webhooks delayed").await;
    assert_eq!(server.total("webhooks").await, 1);
    let token = server.token.clone();
    server.stop().await;

    // Written while no indexer runs: only the outbox knows.
    let db = Db::connect(&url).unwrap();
    db.write(|c| aftermath::db::incidents::create(c, &manual("Webhooks failing")))
        .unwrap();

    let server = start(&url, &data, Some(token)).await;
    assert_eq!(server.total("webhooks").await, 2);
    assert_eq!(server.total("").await, 2, "nothing duplicated");
    server.stop().await;
}

#[actix_web::test]
async fn a_missing_corrupt_or_outdated_index_is_rebuilt_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let data = dir.path().join("data");
    let server = start(&url, &data, None).await;
    server.create("Certificate expired").await;
    assert_eq!(server.total("certificate").await, 1);
    let token = server.token.clone();
    server.stop().await;

    let index = data.join("index");
    let generation = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    // Corrupt: the metadata is garbage.
    std::fs::write(
        index.join(generation.trim()).join("meta.json"),
        b"{not json",
    )
    .unwrap();
    let server = start(&url, &data, Some(token.clone())).await;
    assert_eq!(server.total("certificate").await, 1);
    server.stop().await;

    // Missing: the whole directory is gone.
    std::fs::remove_dir_all(&index).unwrap();
    let server = start(&url, &data, Some(token.clone())).await;
    assert_eq!(server.total("certificate").await, 1);
    server.stop().await;

    // Outdated: built under another schema version (its checkpoint says so).
    let generation = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    let meta_path = index.join(generation.trim()).join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    let mut payload: serde_json::Value =
        serde_json::from_str(meta["payload"].as_str().unwrap()).unwrap();
    payload["schema_version"] = json!(0);
    meta["payload"] = json!(payload.to_string());
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let server = start(&url, &data, Some(token.clone())).await;
    assert_eq!(server.total("certificate").await, 1);
    assert_ne!(
        std::fs::read_to_string(index.join("CURRENT")).unwrap(),
        generation,
        "a new generation replaced the outdated one"
    );
    server.stop().await;

    // Other fields under the same version number (someone forgot to bump it).
    let foreign = index.join("v1-foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    let mut builder = tantivy::schema::Schema::builder();
    builder.add_text_field("id", tantivy::schema::STRING | tantivy::schema::STORED);
    let other = tantivy::Index::create_in_dir(&foreign, builder.build()).unwrap();
    let mut writer: tantivy::IndexWriter = other.writer(15_000_000).unwrap();
    let mut prepared = writer.prepare_commit().unwrap();
    prepared.set_payload(
        &json!({"schema_version": aftermath::search::SCHEMA_VERSION, "txid": 0, "seq": 0})
            .to_string(),
    );
    prepared.commit().unwrap();
    drop(writer);
    std::fs::write(index.join("CURRENT"), "v1-foreign").unwrap();
    let server = start(&url, &data, Some(token)).await;
    assert_eq!(server.total("certificate").await, 1);
    assert_ne!(
        std::fs::read_to_string(index.join("CURRENT")).unwrap(),
        "v1-foreign"
    );
    server.stop().await;
}

#[actix_web::test]
async fn reindex_switches_a_running_server_to_the_new_index() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let data = dir.path().join("data");
    let server = start(&url, &data, None).await;
    server.create("Queue backlog").await;
    assert_eq!(server.total("backlog").await, 1);
    let before = std::fs::read_to_string(data.join("index/CURRENT")).unwrap();
    let db = Db::connect(&url).unwrap();
    let entries = Search::rebuild(&data, &db, &|_, _| {}).unwrap();
    assert_eq!(entries, 1);
    assert_ne!(
        std::fs::read_to_string(data.join("index/CURRENT")).unwrap(),
        before
    );
    // The server keeps answering, then follows the new generation and keeps indexing into it.
    server.create("Queue backlog again").await;
    assert_eq!(server.total("backlog").await, 2);
    server.stop().await;
}

/// On PostgreSQL a row with a lower `seq` can commit after one with a higher `seq`. The tail
/// must hold back until the older transaction ends rather than pass it by.
#[test]
fn the_outbox_tail_never_skips_a_row_that_commits_late() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let db = Db::connect(&url).unwrap();
    let start = db.run(outbox::start_position).unwrap();
    let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
    let (appended_tx, appended_rx) = std::sync::mpsc::channel::<()>();
    let slow_db = db.clone();
    // The slow writer takes its sequence number first and commits last.
    let slow = std::thread::spawn(move || {
        slow_db
            .write(|c| {
                outbox::append(
                    c,
                    outbox::Entity::Incident,
                    "slow",
                    outbox::Operation::Upsert,
                )?;
                appended_tx.send(()).unwrap();
                hold_rx.recv().unwrap();
                Ok(())
            })
            .unwrap();
    });
    let is_sqlite = url.starts_with("sqlite");
    appended_rx.recv().unwrap();
    if !is_sqlite {
        // SQLite has one writer: the fast writer would wait for the slow one, so the race does
        // not exist there.
        db.write(|c| {
            outbox::append(
                c,
                outbox::Entity::Incident,
                "fast",
                outbox::Operation::Upsert,
            )
        })
        .unwrap();
        let early = db.run(|c| outbox::tail(c, start, 100)).unwrap();
        assert!(
            early.rows.is_empty(),
            "a row was handed out while an older transaction was still open: {:?}",
            early.rows
        );
    }
    hold_tx.send(()).unwrap();
    slow.join().unwrap();
    if is_sqlite {
        db.write(|c| {
            outbox::append(
                c,
                outbox::Entity::Incident,
                "fast",
                outbox::Operation::Upsert,
            )
        })
        .unwrap();
    }
    // Other transactions on the same cluster (other tests) may hold the horizon back for a
    // moment; the rows must come, each once, as soon as it moves.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let tail = loop {
        let tail = db.run(|c| outbox::tail(c, start, 100)).unwrap();
        if tail.rows.len() >= 2 || std::time::Instant::now() > deadline {
            break tail;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let ids: Vec<&str> = tail
        .rows
        .iter()
        .map(|(_, r)| r.entity_id.as_str())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["fast", "slow"], "both rows, once each");
    let last: Position = tail.rows.last().unwrap().0;
    let after = db.run(|c| outbox::tail(c, last, 100)).unwrap();
    assert!(after.rows.is_empty());
}

/// Many writers at once, on several connections: every incident ends up indexed exactly once.
#[actix_web::test]
async fn concurrent_writers_are_all_indexed_once() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let data = dir.path().join("data");
    let server = start(&url, &data, None).await;
    let db = Db::connect(&url).unwrap();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..15 {
                    db.write(|c| {
                        let id = aftermath::db::incidents::create(
                            c,
                            &manual(&format!("Concurrent outage {w}-{i}")),
                        )?;
                        // Hold the transaction open a little so commits interleave.
                        std::thread::sleep(Duration::from_millis((i % 3) as u64));
                        Ok(id)
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(server.total("concurrent").await, 60);
    server.stop().await;
}
