//! The poller against a misbehaving HTTP server of our own on 127.0.0.1: conditional GET, 304,
//! errors named in `last_error`, backoff, isolation of a hanging source, and state that
//! survives a restart. No sleeps: the only waits are the poller's own 1 s timeout.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aftermath::db::services;
use aftermath::db::sources::{self, NewSource, SourceRow};
use aftermath::db::{Db, poll_state};
use aftermath::domain::ServiceSlug;
use aftermath::jobs::poller::{PollSummary, PollerSettings, poll_once, run};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

const ETAG: &str = "\"v1\"";
const LAST_MODIFIED: &str = "Wed, 11 Feb 2026 15:41:08 GMT";
const CAP: usize = 64 * 1024;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
    user_agent: Option<String>,
}

struct Server {
    base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Server {
    /// A thread per connection, so a hanging response never blocks the others.
    fn start() -> Self {
        let fixture = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/statuspage/summary.json"
        ))
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(Mutex::new(Vec::new()));
        let log = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (fixture, log) = (fixture.clone(), log.clone());
                std::thread::spawn(move || serve(stream, &fixture, &log));
            }
        });
        Self { base, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn hits(&self, path: &str) -> Vec<Hit> {
        let hits = self.hits.lock().unwrap();
        hits.iter().filter(|h| h.path == path).cloned().collect()
    }
}

fn serve(mut stream: TcpStream, fixture: &[u8], log: &Mutex<Vec<Hit>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let hit = Hit {
        path: path.clone(),
        if_none_match: header("if-none-match"),
        if_modified_since: header("if-modified-since"),
        user_agent: header("user-agent"),
    };
    log.lock().unwrap().push(hit.clone());
    let respond = |stream: &mut TcpStream, status: &str, extra: &str, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    };
    match path.as_str() {
        "/good" if hit.if_none_match.as_deref() == Some(ETAG) => respond(
            &mut stream,
            "304 Not Modified",
            &format!("etag: {ETAG}\r\n"),
            b"",
        ),
        "/good" => respond(&mut stream, "200 OK", &format!("etag: {ETAG}\r\n"), fixture),
        "/dated" if hit.if_modified_since.as_deref() == Some(LAST_MODIFIED) => {
            respond(&mut stream, "304 Not Modified", "", b"")
        }
        "/dated" => respond(
            &mut stream,
            "200 OK",
            &format!("last-modified: {LAST_MODIFIED}\r\n"),
            fixture,
        ),
        "/moved" => respond(&mut stream, "302 Found", "location: /dated\r\n", b""),
        "/loop" => respond(&mut stream, "302 Found", "location: /loop\r\n", b""),
        "/error" => respond(&mut stream, "500 Internal Server Error", "", b"boom"),
        "/garbage" => respond(&mut stream, "200 OK", "", b"\x00\x9f<html>oops</html>"),
        "/truncated" => respond(&mut stream, "200 OK", "", &fixture[..fixture.len() / 2]),
        "/hang" => {
            // Headers and part of the body, then nothing: only the poller's timeout ends it.
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
                fixture.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&fixture[..100]);
            let _ = stream.flush();
            // Returns when the poller gives up and closes the connection.
            let mut sink = [0u8; 64];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
        "/big" => {
            // Chunked, so no Content-Length gives it away: the cap must hold while streaming.
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
            let mut framed = b"4000\r\n".to_vec();
            framed.extend_from_slice(&[b' '; 16 * 1024]);
            framed.extend_from_slice(b"\r\n");
            for _ in 0..64 {
                if stream.write_all(&framed).is_err() {
                    return;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        }
        _ => respond(&mut stream, "404 Not Found", "", b""),
    }
}

fn settings() -> PollerSettings {
    PollerSettings::default()
        .with_timeout(Duration::from_secs(1))
        .with_max_body_bytes(CAP)
        .without_jitter()
}

fn add_source(app: &TestApp, url: String) -> String {
    let new = NewSource {
        kind: "statuspage".into(),
        format: Some("statuspage".into()),
        url: Some(url),
        service: "acme".into(),
        interval_secs: Some(300),
        secret: None,
    };
    let acme = ServiceSlug::parse("service", "acme").unwrap();
    app.db
        .write(|conn| {
            services::ensure_exist(conn, std::slice::from_ref(&acme))?;
            sources::add(conn, &new)
        })
        .unwrap()
        .id
}

fn row(db: &Db, id: &str) -> SourceRow {
    db.run(|conn| sources::get(conn, id)).unwrap()
}

/// Every source due again now, as if its time had come.
fn make_due(db: &Db, ids: &[&String]) {
    for id in ids {
        db.write(|conn| poll_state::schedule(conn, id, Utc::now()))
            .unwrap();
    }
}

/// `next_poll_at` is `delay` after some moment of the cycle that ran between `before` and now.
fn assert_next_poll(row: &SourceRow, before: NaiveDateTime, delay_secs: i64) {
    let next = row.next_poll_at.expect("next_poll_at set");
    let delay = TimeDelta::seconds(delay_secs);
    let after = Utc::now().naive_utc();
    assert!(
        next >= before + delay - TimeDelta::milliseconds(1) && next <= after + delay,
        "{}: next poll {next} not {delay_secs}s after [{before}, {after}]",
        row.name
    );
}

#[actix_web::test]
async fn poller_fetches_conditionally_isolates_and_backs_off_failing_sources() {
    let app = spawn_app().await;
    let server = Server::start();
    // The hanging source first: were sources polled one after another, the good one would
    // only be recorded after the hang timed out.
    let bad_paths = ["/hang", "/error", "/garbage", "/truncated", "/big"];
    let bad: HashMap<&str, String> = bad_paths
        .iter()
        .map(|&path| (path, add_source(&app, server.url(path))))
        .collect();
    let good = add_source(&app, server.url("/good"));

    let before = Utc::now().naive_utc();
    let started = Instant::now();
    let summary = poll_once(&app.db, &settings()).await;
    let elapsed = started.elapsed();
    assert_eq!(
        summary,
        PollSummary {
            fetched: 1,
            failed: 5,
            created: 2,
            ..Default::default()
        }
    );
    assert!(elapsed < Duration::from_secs(5), "cycle took {elapsed:?}");

    let incidents: Value = app.get_json("/api/v1/incidents?service=acme").await;
    // summary.json holds one incident and one scheduled maintenance.
    let mut titles: Vec<&str> = incidents["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    assert_eq!(
        titles,
        ["Database failover drill", "Delayed outbound email"]
    );

    let ok = row(&app.db, &good);
    assert_eq!(ok.etag.as_deref(), Some(ETAG));
    assert_eq!(ok.failures, 0);
    assert!(ok.last_error.is_none());
    assert_next_poll(&ok, before, 300);
    let hang = row(&app.db, &bad["/hang"]);
    assert!(
        ok.last_success_at.unwrap() < hang.last_error_at.unwrap(),
        "the good source waited for the hanging one"
    );
    let first_hit = &server.hits("/good")[0];
    assert!(first_hit.if_none_match.is_none());
    assert!(
        first_hit
            .user_agent
            .as_deref()
            .unwrap()
            .starts_with("aftermath/")
    );

    let expected_errors = [
        ("/hang", "timed out after 1s"),
        ("/error", "HTTP 500 Internal Server Error"),
        ("/garbage", "cannot parse the statuspage document: "),
        (
            "/truncated",
            "cannot parse the statuspage document: invalid JSON at line ",
        ),
        ("/big", "response body is over the 65536-byte limit"),
    ];
    for (path, expected) in expected_errors {
        let r = row(&app.db, &bad[path]);
        let error = r.last_error.clone().unwrap_or_default();
        assert!(error.starts_with(expected), "{path}: last_error {error:?}");
        assert!(
            error.len() <= 320 && !error.contains('\n'),
            "{path}: {error:?}"
        );
        assert_eq!(r.failures, 1, "{path}");
        assert!(r.etag.is_none() && r.last_success_at.is_none(), "{path}");
        // First failure: interval · 2.
        assert_next_poll(&r, before, 600);
    }

    // Nothing is due: a cycle now fetches nothing at all.
    let hits_so_far = server.hits.lock().unwrap().len();
    assert_eq!(
        poll_once(&app.db, &settings()).await,
        PollSummary::default()
    );
    assert_eq!(server.hits.lock().unwrap().len(), hits_so_far);

    // Everything due again: the good source revalidates and gets a 304, the bad ones back off.
    let all: Vec<&String> = bad.values().chain([&good]).collect();
    make_due(&app.db, &all);
    let counts = app.snapshot();
    let before = Utc::now().naive_utc();
    let summary = poll_once(&app.db, &settings()).await;
    assert_eq!(
        summary,
        PollSummary {
            not_modified: 1,
            failed: 5,
            ..Default::default()
        }
    );
    assert_eq!(app.snapshot(), counts, "a 304 changes nothing");
    let conditional: Vec<_> = server
        .hits("/good")
        .into_iter()
        .filter(|h| h.if_none_match.as_deref() == Some(ETAG))
        .collect();
    assert_eq!(conditional.len(), 1);
    let ok = row(&app.db, &good);
    assert_eq!((ok.etag.as_deref(), ok.failures), (Some(ETAG), 0));
    assert_next_poll(&ok, before, 300);
    for path in bad_paths {
        let r = row(&app.db, &bad[path]);
        assert_eq!(r.failures, 2, "{path}");
        // Second failure in a row: interval · 4, longer than the first back-off.
        assert_next_poll(&r, before, 1200);
    }

    // A restarted process reads the same state from the database.
    let restarted = Db::connect(&app.database_url).unwrap();
    let ok = row(&restarted, &good);
    assert_eq!((ok.etag.as_deref(), ok.failures), (Some(ETAG), 0));
    let failing = row(&restarted, &bad["/error"]);
    assert_eq!(failing.failures, 2);
    assert_eq!(
        failing.last_error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
    let due = restarted
        .run(|conn| poll_state::due(conn, Utc::now()))
        .unwrap();
    assert!(due.is_empty(), "nothing due after a restart: {due:?}");
}

#[actix_web::test]
async fn poller_follows_redirects_and_revalidates_with_last_modified() {
    let app = spawn_app().await;
    let server = Server::start();
    let moved = add_source(&app, server.url("/moved"));
    let looping = add_source(&app, server.url("/loop"));

    let summary = poll_once(&app.db, &settings()).await;
    assert_eq!(
        summary,
        PollSummary {
            fetched: 1,
            failed: 1,
            created: 2,
            ..Default::default()
        }
    );
    let r = row(&app.db, &moved);
    assert_eq!(r.last_modified.as_deref(), Some(LAST_MODIFIED));
    assert!(r.etag.is_none());
    let error = row(&app.db, &looping).last_error.unwrap();
    assert!(error.starts_with("redirect failed: "), "{error:?}");
    // Five redirects followed, the sixth refused.
    assert_eq!(server.hits("/loop").len(), 6);

    make_due(&app.db, &[&moved]);
    let summary = poll_once(&app.db, &settings()).await;
    assert_eq!(
        summary,
        PollSummary {
            not_modified: 1,
            ..Default::default()
        }
    );
    let dated = server.hits("/dated");
    assert_eq!(dated.len(), 2);
    assert_eq!(dated[1].if_modified_since.as_deref(), Some(LAST_MODIFIED));
}

#[actix_web::test]
async fn run_stops_promptly_on_shutdown_even_while_a_source_hangs() {
    let app = spawn_app().await;
    let server = Server::start();
    add_source(&app, server.url("/hang"));
    let settings = settings().with_timeout(Duration::from_secs(30));
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(run(app.db.clone(), settings, shutdown));
    // Let the cycle start and reach the hanging server.
    let reached = async {
        while server.hits("/hang").is_empty() {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), reached)
        .await
        .expect("the poller fetches the due source");
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .expect("the poller stops without waiting for the 30 s fetch timeout")
        .unwrap();
}
