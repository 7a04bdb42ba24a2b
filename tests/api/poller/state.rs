//! When sources come due, and poll state that outlives the process.

use aftermath::db::{Db, poll_state};
use aftermath::jobs::poller::{PollSummary, poll_once};
use chrono::Utc;

use super::{ETAG, poll_six_sources_once, poll_six_sources_twice, row, settings};

#[actix_web::test]
async fn a_cycle_with_nothing_due_fetches_nothing_at_all() {
    let cycle = poll_six_sources_once().await;
    let hits_so_far = cycle.server.hits.lock().unwrap().len();
    assert_eq!(
        poll_once(&cycle.app.db, &settings(&cycle.server)).await,
        PollSummary::default()
    );
    assert_eq!(cycle.server.hits.lock().unwrap().len(), hits_so_far);
}

#[actix_web::test]
async fn a_restarted_process_reads_the_same_poll_state_from_the_database() {
    let second = poll_six_sources_twice().await;
    let restarted = Db::connect(&second.first.app.database_url).unwrap();
    let ok = row(&restarted, &second.first.good);
    assert_eq!((ok.etag.as_deref(), ok.failures), (Some(ETAG), 0));
    let failing = row(&restarted, &second.first.bad["/error"]);
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
