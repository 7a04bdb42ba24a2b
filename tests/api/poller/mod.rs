//! The poller against a misbehaving HTTP server of our own on 127.0.0.1: conditional GET, 304,
//! errors named in `last_error`, backoff, isolation of a hanging source, and state that
//! survives a restart. No sleeps: the only waits are the poller's own 1 s timeout.

use std::collections::HashMap;
use std::time::Duration;

use aftermath::config::PrivateSources;
use aftermath::db::services;
use aftermath::db::sources::{self, NewSource, SourceRow};
use aftermath::db::{Db, poll_state};
use aftermath::domain::ServiceSlug;
use aftermath::jobs::poller::{PollSummary, PollerSettings, poll_once};
use chrono::{NaiveDateTime, TimeDelta, Utc};

use crate::helpers::{Snapshot, TestApp, spawn_app};

use server::Server;

mod failures;
mod fetching;
mod isolation;
mod leases;
pub(crate) mod links;
mod revalidation;
mod server;
mod state;

pub(super) const ETAG: &str = "\"v1\"";

pub(super) const LAST_MODIFIED: &str = "Wed, 11 Feb 2026 15:41:08 GMT";

const CAP: usize = 64 * 1024;

/// Short limits, and the test server's exact `host:port` allowed: it is on loopback, which the
/// poller refuses by default.
fn settings(server: &Server) -> PollerSettings {
    PollerSettings::default()
        .with_private_sources(PrivateSources::Only(vec![server.host_port()]))
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

/// The failing sources, the hanging one first: were sources polled one after another, the
/// good one would only be recorded after the hang timed out.
const BAD_PATHS: [&str; 5] = ["/hang", "/error", "/garbage", "/truncated", "/big"];

/// Five failing sources and a good one, after one cycle.
struct FirstCycle {
    app: TestApp,
    server: Server,
    /// The failing sources' ids, by path.
    bad: HashMap<&'static str, String>,
    good: String,
    /// A moment just before the cycle started.
    before: NaiveDateTime,
    summary: PollSummary,
}

/// Adds the five failing sources and the good one, and polls them all once.
async fn poll_six_sources_once() -> FirstCycle {
    let app = spawn_app().await;
    let server = Server::start();
    let bad: HashMap<&str, String> = BAD_PATHS
        .iter()
        .map(|&path| (path, add_source(&app, server.url(path))))
        .collect();
    let good = add_source(&app, server.url("/good"));

    let before = Utc::now().naive_utc();
    let summary = poll_once(&app.db, &settings(&server)).await;
    FirstCycle {
        app,
        server,
        bad,
        good,
        before,
        summary,
    }
}

/// The same six sources after a second cycle with all of them due again.
struct SecondCycle {
    first: FirstCycle,
    /// The row counts just before the second cycle.
    counts: Snapshot,
    /// A moment just before the second cycle started.
    before: NaiveDateTime,
    summary: PollSummary,
}

/// Polls the six sources once, runs a cycle with nothing due (as the poller does between due
/// times), then makes every source due again and polls them a second time.
async fn poll_six_sources_twice() -> SecondCycle {
    let first = poll_six_sources_once().await;
    poll_once(&first.app.db, &settings(&first.server)).await;
    let all: Vec<&String> = first.bad.values().chain([&first.good]).collect();
    make_due(&first.app.db, &all);
    let counts = first.app.snapshot();
    let before = Utc::now().naive_utc();
    let summary = poll_once(&first.app.db, &settings(&first.server)).await;
    SecondCycle {
        first,
        counts,
        before,
        summary,
    }
}
