//! A hanging source holds up no other source, and no shutdown.

use std::time::Duration;

use aftermath::jobs::poller::{PollSummary, run};

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
    assert!(
        cycle.elapsed < Duration::from_secs(5),
        "cycle took {:?}",
        cycle.elapsed
    );
    let ok = row(&cycle.app.db, &cycle.good);
    let hang = row(&cycle.app.db, &cycle.bad["/hang"]);
    assert!(
        ok.last_success_at.unwrap() < hang.last_error_at.unwrap(),
        "the good source waited for the hanging one"
    );
}

#[actix_web::test]
async fn run_stops_promptly_on_shutdown_even_while_a_source_hangs() {
    let app = spawn_app().await;
    let server = Server::start();
    add_source(&app, server.url("/hang"));
    let settings = settings(&server).with_timeout(Duration::from_secs(30));
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
