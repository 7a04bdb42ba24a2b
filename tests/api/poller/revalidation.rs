//! A source that answered keeps its validator and revalidates with it: a 304 changes nothing.

use aftermath::jobs::poller::PollSummary;

use super::{ETAG, assert_next_poll, poll_six_sources_once, poll_six_sources_twice, row};

#[actix_web::test]
async fn a_successful_fetch_keeps_its_etag_and_comes_due_again_one_interval_later() {
    let cycle = poll_six_sources_once().await;
    let ok = row(&cycle.app.db, &cycle.good);
    assert_eq!(ok.etag.as_deref(), Some(ETAG));
    assert_eq!(ok.failures, 0);
    assert!(ok.last_error.is_none());
    assert_next_poll(&ok, cycle.before, 300);
}

#[actix_web::test]
async fn a_304_changes_nothing_and_the_source_stays_healthy() {
    let second = poll_six_sources_twice().await;
    let app = &second.first.app;
    assert_eq!(
        second.summary,
        PollSummary {
            not_modified: 1,
            failed: 5,
            ..Default::default()
        }
    );
    assert_eq!(app.snapshot(), second.counts, "a 304 changes nothing");
    let conditional: Vec<_> = second
        .first
        .server
        .hits("/good")
        .into_iter()
        .filter(|h| h.if_none_match.as_deref() == Some(ETAG))
        .collect();
    assert_eq!(conditional.len(), 1);
    let ok = row(&app.db, &second.first.good);
    assert_eq!((ok.etag.as_deref(), ok.failures), (Some(ETAG), 0));
    assert_next_poll(&ok, second.before, 300);
}
