//! A hanging source holds up no other source, and a stop no longer than the poller's drain; a
//! fetch under way when the stop comes is finished first.

use std::time::Duration;

use aftermath::db::poll_state;
use aftermath::jobs::poller::{PollSummary, run};
use chrono::Utc;

use super::{Server, add_source, poll_six_sources_once, row, settings};
use crate::helpers::spawn_app;

#[actix_web::test]
async fn one_cycle_polls_every_due_source_at_once_so_a_hanging_one_delays_no_other() {
    let cycle = poll_six_sources_once().await;
    assert_eq!(
        cycle.summary,
        PollSummary {
            fetched: 1,
            failed: 5,
            created: 2,
            ..Default::default()
        }
    );
    // Told by the order of what was recorded, not by a clock: a cycle that waited for the
    // hanging source (its 1 s timeout) would record every later source after it.
    let hang = row(&cycle.app.db, &cycle.bad["/hang"])
        .last_error_at
        .unwrap();
    let ok = row(&cycle.app.db, &cycle.good);
    assert!(
        ok.last_success_at.unwrap() < hang,
        "the good source waited for the hanging one"
    );
    for path in ["/error", "/garbage", "/truncated", "/big"] {
        let failed = row(&cycle.app.db, &cycle.bad[path]).last_error_at.unwrap();
        assert!(failed < hang, "{path} waited for the hanging source");
    }
}

#[actix_web::test]
async fn run_stops_within_its_drain_even_while_a_source_hangs_and_gives_the_source_back() {
    let app = spawn_app().await;
    let server = Server::start();
    let hang = add_source(&app, server.url("/hang"));
    let settings = settings(&server)
        .with_timeout(Duration::from_secs(30))
        .with_drain(Duration::from_secs(1));
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(run(app.db.clone(), settings, shutdown));
    reached(&server, "/hang").await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .expect("the poller stops without waiting for the 30 s fetch timeout")
        .unwrap();
    let left = row(&app.db, &hang);
    assert_eq!(
        left.last_error_at, None,
        "the fetch was abandoned, not recorded"
    );
    let due = app
        .db
        .write(|conn| poll_state::claim(conn, "other", Utc::now(), Utc::now(), 10))
        .unwrap();
    assert_eq!(due.len(), 1, "its lease was released for another instance");
}

#[actix_web::test]
async fn run_finishes_a_fetch_under_way_before_it_stops() {
    let app = spawn_app().await;
    let server = Server::start();
    let slow = add_source(&app, server.url("/slow"));
    let settings = settings(&server)
        .with_timeout(Duration::from_secs(10))
        .with_drain(Duration::from_secs(20));
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(run(app.db.clone(), settings, shutdown));
    reached(&server, "/slow").await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), poller)
        .await
        .expect("the poller stops once the fetch is done")
        .unwrap();
    let done = row(&app.db, &slow);
    assert!(
        done.last_success_at.is_some(),
        "the fetch under way was recorded"
    );
}

/// Waits until the poller's cycle has reached the server's `path`.
async fn reached(server: &Server, path: &str) {
    let hit = async {
        while server.hits(path).is_empty() {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), hit)
        .await
        .expect("the poller fetches the due source");
}
