//! The index follows the store: what was just written is found, and an edit replaces what was.

use reqwest::StatusCode;
use serde_json::json;

use super::incident;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_new_incident_and_its_updates_are_searchable_at_once() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "Elevated API errors",
        &["acme-api"],
        "major",
        "We are investigating.",
    )
    .await;
    let res = app
        .post_json(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"body": "The DynamoDB endpoint in us-east-1 stopped resolving.", "status": "identified"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let body = app.search(&[("q", "dynamodb resolving")]).await;
    assert_eq!(body["total"], 1, "{body}");
    let hit = &body["hits"][0];
    assert_eq!(hit["incident_id"], id.as_str());
    assert_eq!(hit["services"], json!(["acme-api"]));
    assert_eq!(hit["status"], "identified");
    assert!(
        hit["started_at"]
            .as_str()
            .unwrap()
            .starts_with("2025-10-20T07:11:00")
    );
    assert!(
        hit["snippet"].as_str().unwrap().contains("<b>DynamoDB</b>"),
        "{hit}"
    );
}

#[actix_web::test]
async fn an_edited_incident_is_replaced_not_duplicated() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "Slow checkout",
        &["shop"],
        "minor",
        "Looking into it.",
    )
    .await;
    assert_eq!(app.search(&[("q", "checkout")]).await["total"], 1);
    let res = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &json!({"title": "Payments failing"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.search(&[("q", "checkout")]).await["total"], 0);
    assert_eq!(app.search(&[("q", "payments")]).await["total"], 1);
    assert_eq!(
        app.search(&[]).await["total"],
        1,
        "one document per incident"
    );
}

#[actix_web::test]
async fn a_search_right_after_the_first_start_waits_for_the_index_instead_of_failing() {
    for _ in 0..5 {
        let app = spawn_app().await;
        let res = app.get("/api/v1/search?q=anything").await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.get("/search?q=anything").await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
