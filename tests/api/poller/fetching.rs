//! What a fetch brings in and how it asks: the document is ingested like any other, the first
//! request is unconditional and names the poller, and redirects are followed up to a limit.

use aftermath::jobs::poller::{PollSummary, poll_once};
use serde_json::Value;

use super::{LAST_MODIFIED, Server, add_source, make_due, poll_six_sources_once, row, settings};
use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_fetched_status_page_is_ingested_like_any_other_document() {
    let cycle = poll_six_sources_once().await;
    // summary.json holds one incident and one scheduled maintenance: both kinds are asked for,
    // since the list holds outages alone by default.
    let incidents: Value = cycle
        .app
        .get_json("/api/v1/incidents?service=acme&kind=all")
        .await;
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
}

#[actix_web::test]
async fn a_first_fetch_is_unconditional_and_names_aftermath_as_its_user_agent() {
    let cycle = poll_six_sources_once().await;
    let first_hit = &cycle.server.hits("/good")[0];
    assert!(first_hit.if_none_match.is_none());
    assert!(
        first_hit
            .user_agent
            .as_deref()
            .unwrap()
            .starts_with("aftermath/")
    );
}

#[actix_web::test]
async fn poller_follows_redirects_and_revalidates_with_last_modified() {
    let app = spawn_app().await;
    let server = Server::start();
    let moved = add_source(&app, server.url("/moved"));
    let looping = add_source(&app, server.url("/loop"));

    let summary = poll_once(&app.db, &settings(&server)).await;
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
    let summary = poll_once(&app.db, &settings(&server)).await;
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
