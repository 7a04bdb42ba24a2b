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
