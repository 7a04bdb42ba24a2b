//! Similar past outages, from the same index, in the API and on the incident page.

use reqwest::StatusCode;

use super::incident;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn similar_past_outages_come_from_the_same_index() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "DynamoDB DNS resolution failures",
        &["aws-us-east-1"],
        "critical",
        "DNS resolution of the DynamoDB regional endpoint failed.",
    )
    .await;
    incident(
        &app,
        "DynamoDB endpoint DNS errors",
        &["aws-us-east-1"],
        "major",
        "Requests to DynamoDB failed to resolve in DNS.",
    )
    .await;
    incident(
        &app,
        "Billing page typo",
        &["shop"],
        "none",
        "A typo on the invoice page.",
    )
    .await;
    app.search(&[]).await;
    let body = app
        .get_json(&format!("/api/v1/incidents/{id}/similar"))
        .await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[0]["title"], "DynamoDB endpoint DNS errors", "{body}");
    assert!(
        items.iter().all(|i| i["incident_id"] != id.as_str()),
        "not itself"
    );
}

#[actix_web::test]
async fn the_incident_page_lists_similar_past_outages() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "Webhook deliveries delayed",
        &["github"],
        "minor",
        "Webhook deliveries are delayed.",
    )
    .await;
    incident(
        &app,
        "Webhook deliveries failing",
        &["github"],
        "major",
        "Webhook deliveries fail.",
    )
    .await;
    app.search(&[]).await;
    let page =
        crate::helpers::html(app.get(&format!("/incidents/{id}")).await, StatusCode::OK).await;
    assert!(page.contains("Similar past outages"), "{page}");
    assert!(page.contains("Webhook deliveries failing"), "{page}");
}
