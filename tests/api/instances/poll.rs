//! Each due fetch happens once: two `poll --once` processes on one database share ten due
//! sources through their leases, and a local server counts ten fetches, not twenty.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftermath::db::services;
use aftermath::db::sources::{self, NewSource};
use aftermath::domain::ServiceSlug;

use super::Cluster;
use crate::cli::aftermath;

/// Counts requests by path, and answers each slowly (so that both pollers' cycles overlap)
/// with a small Statuspage document of a page of its own.
struct CountingServer {
    address: String,
    hits: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl CountingServer {
    fn start(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let hits = Arc::new(Mutex::new(BTreeMap::new()));
        let log = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || answer(stream, &log, delay));
            }
        });
        Self { address, hits }
    }

    fn hits(&self) -> BTreeMap<String, usize> {
        self.hits.lock().unwrap().clone()
    }
}

fn answer(mut stream: TcpStream, log: &Mutex<BTreeMap<String, usize>>, delay: Duration) {
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
    *log.lock().unwrap().entry(path.clone()).or_default() += 1;
    std::thread::sleep(delay);
    let page = path.trim_start_matches('/');
    let body = format!(
        r#"{{"page":{{"id":"{page}","name":"Page {page}","url":"https://{page}.example","time_zone":"Etc/UTC","updated_at":"2026-02-11T15:41:08.512Z"}},"components":[],"incidents":[],"scheduled_maintenances":[],"status":{{"indicator":"none","description":"All Systems Operational"}}}}"#
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

fn add_sources(cluster: &Cluster, server: &CountingServer, count: usize) {
    let slug = ServiceSlug::parse("service", "acme").unwrap();
    cluster
        .db
        .write(|conn| {
            services::ensure_exist(conn, std::slice::from_ref(&slug))?;
            for n in 0..count {
                let new = NewSource {
                    kind: "statuspage".into(),
                    format: Some("statuspage".into()),
                    url: Some(format!("http://{}/page{n}", server.address)),
                    service: "acme".into(),
                    interval_secs: Some(300),
                    secret: None,
                };
                sources::add(conn, &new)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn ten_due_sources_and_two_concurrent_pollers_make_ten_fetches_not_twenty() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    // Each fetch takes 2 s, so the second poller claims while the first one's fetches are
    // under way: without leases, it would fetch every source again.
    let server = CountingServer::start(Duration::from_secs(2));
    add_sources(&cluster, &server, 10);
    let pollers: Vec<_> = (0..2)
        .map(|_| {
            aftermath()
                .args(["--database-url", &cluster.database_url])
                .args(["--allow-private-sources", &server.address])
                .args(["poll", "--once"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut fetched = 0;
    for poller in pollers {
        let out = poller.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "poll --once failed ({}): stdout {stdout:?}, stderr {stderr:?}",
            out.status
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        fetched += summary["fetched"].as_u64().unwrap();
    }
    let hits = server.hits();
    assert_eq!(hits.len(), 10, "every source fetched: {hits:?}");
    assert!(hits.values().all(|&n| n == 1), "each once: {hits:?}");
    assert_eq!(fetched, 10, "the two summaries add up to ten fetches");
}
