//! The postmortem draft of a cascaded outage tells how it was detected, its impact and the cascade.

use super::{incident_of, load_scenario};
use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_postmortem_draft_tells_detection_impact_and_the_cascade() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let snapgram = incident_of(&app, "snapgram").await;
    let draft = app
        .get_json(&format!(
            "/api/v1/incidents/{}/postmortem",
            snapgram["id"].as_str().unwrap()
        ))
        .await;
    let markdown = draft["markdown"].as_str().unwrap();
    assert!(
        markdown.contains("the official post came 25m after the first spike"),
        "{markdown}"
    );
    insta::with_settings!({filters => vec![(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC from", "[generated] from")]}, {
        insta::assert_snapshot!("cascade_snapgram_draft", markdown);
    });
}

/// The export reads incidents a page at a time (`db::details::of`): each must be exactly what
/// reading that incident alone gives, links and components included, with nothing of another
/// incident of the page mixed in.
#[actix_web::test]
async fn a_page_of_details_matches_each_incident_read_alone() {
    use aftermath::db::{details, incidents};
    let app = crate::helpers::spawn_app().await;
    super::load_scenario(&app, true).await;
    aftermath::demo::load(&app.db).unwrap();
    let page = app
        .db
        .run(|conn| incidents::list(conn, &Default::default(), 500, None))
        .unwrap();
    assert!(page.items.len() > 10);
    let batch = app
        .db
        .run(|conn| details::of(conn, page.items.clone()))
        .unwrap();
    assert!(
        batch.iter().any(|d| !d.links.is_empty()),
        "the scenario links"
    );
    for detail in batch {
        let alone = app
            .db
            .run(|conn| incidents::get(conn, detail.incident.id))
            .unwrap();
        assert_eq!(format!("{detail:?}"), format!("{alone:?}"));
    }
}
