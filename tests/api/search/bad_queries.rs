//! Bad queries: a malformed one is answered leniently, one past a limit is a clear error.

use reqwest::StatusCode;
use serde_json::Value;

use super::incident;
use crate::helpers::{assert_problem, spawn_app};

#[actix_web::test]
async fn malformed_queries_are_answered_leniently() {
    let app = spawn_app().await;
    incident(
        &app,
        "Webhooks delayed (again)",
        &["github"],
        "minor",
        "Deliveries \"stuck\" in queue.",
    )
    .await;
    for q in [
        "\"webhooks delayed",
        "(webhooks OR",
        "webhooks)",
        "AND",
        "nosuchfield:webhooks",
        "title:webhooks",
        "service:",
        "*",
        "NOT webhooks",
        "webhooks^^^2",
        "[a TO",
        "ünïcödé 🔥 webhooks",
    ] {
        let res = app.search_response(&[("q", q)]).await;
        assert_eq!(res.status(), StatusCode::OK, "query {q:?}");
        let body: Value = res.json().await.unwrap();
        assert!(body["total"].is_u64(), "query {q:?}: {body}");
    }
    let body = app.search(&[("q", "webhooks nosuchfield:x")]).await;
    assert!(!body["warnings"].as_array().unwrap().is_empty(), "{body}");
}

#[actix_web::test]
async fn limits_that_protect_the_server_are_clear_errors() {
    let app = spawn_app().await;
    let long = "webhooks ".repeat(1112);
    assert!(long.len() >= 10_000);
    let body = assert_problem(
        app.search_response(&[("q", &long)]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("longer than"),
        "{body}"
    );
    assert_problem(
        app.search_response(&[("offset", "1000000000000")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.search_response(&[("offset", "99999999999999999999999")])
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.search_response(&[("limit", "0")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.search_response(&[("limit", "1000")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.search_response(&[("since", "yesterday")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.search_response(&[("impact", "apocalyptic")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.search_response(&[("sort", "random")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.search_response(&[
            ("since", "2025-01-02T00:00:00Z"),
            ("until", "2025-01-01T00:00:00Z"),
        ])
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let res = app.get("/api/v1/incidents/not-an-id/similar").await;
    assert_problem(res, StatusCode::BAD_REQUEST).await;
}
