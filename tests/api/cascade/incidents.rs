//! A spike joins its provider's incident, or opens one of its own, with people's comments attached.

use super::{incident_of, load_scenario};
use crate::helpers::spawn_app;

#[actix_web::test]
async fn spikes_join_the_providers_incidents_or_open_their_own_with_comments_attached() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let snapgram = incident_of(&app, "snapgram").await;
    assert_eq!(
        snapgram["origin"], "status_page",
        "joined the provider's incident"
    );
    assert!(
        snapgram["report_count"].as_i64().unwrap() > 1000,
        "{}",
        snapgram["report_count"]
    );
    let kinds: Vec<&str> = snapgram["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "report_spike")
        .map(|e| e["body"].as_str().unwrap())
        .collect();
    assert!(
        kinds.iter().any(|b| b.starts_with("User reports spiked")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|b| b.starts_with("Peak of user reports")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|b| b.starts_with("User reports back at baseline")),
        "{kinds:?}"
    );

    let fortvale = incident_of(&app, "fortvale").await;
    assert_eq!(fortvale["origin"], "user_reports");
    assert_eq!(
        fortvale["status"], "resolved",
        "30 quiet minutes resolve it"
    );
    assert_eq!(fortvale["started_at"], "2026-11-23T07:21:00Z");
    assert!(fortvale["mitigated_at"].is_string() && fortvale["resolved_at"].is_string());

    let id: aftermath::domain::IncidentId = snapgram["id"].as_str().unwrap().parse().unwrap();
    let comments = app
        .db
        .run(|conn| aftermath::db::reports::comments_for_incident(conn, &id))
        .unwrap();
    assert!(!comments.is_empty());
    let page = app
        .get(&format!("/incidents/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<script>alert"),
        "a comment's HTML is escaped"
    );
    assert!(
        !page.contains("href=\"javascript:"),
        "a comment's Markdown is not rendered"
    );
    assert!(page.contains("What people reported"));
    if comments.iter().any(|c| c.contains("<script>")) {
        assert!(
            page.contains("&#60;script&#62;"),
            "the comment is shown, escaped"
        );
    }
}
