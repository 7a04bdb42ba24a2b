//! Bad input gets a problem+json 4xx and changes nothing.

use reqwest::{RequestBuilder, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// An app with one incident, and its id, for requests that refer to it.
async fn app_with_an_incident() -> (TestApp, String) {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "x", "services": ["api"]}))
        .await;
    let id = incident["id"].as_str().unwrap().to_string();
    (app, id)
}

/// A POST of this body, sent as JSON whatever it holds, with the test's token.
fn post(app: &TestApp, path: &str, body: &'static str) -> RequestBuilder {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body(body)
}

/// Sends each request and expects a problem with this status and a detail; then no table may
/// have gained or lost a row.
async fn assert_refused_without_a_trace(app: &TestApp, cases: Vec<(RequestBuilder, StatusCode)>) {
    let before = app.snapshot();
    for (request, status) in cases {
        let problem = assert_problem(request.send().await.unwrap(), status).await;
        assert!(!problem["detail"].as_str().unwrap().is_empty());
    }
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn a_body_that_does_not_parse_as_json_is_a_400_and_changes_nothing() {
    let (app, _) = app_with_an_incident().await;
    let cases = vec![
        (
            post(&app, "/api/v1/incidents", "{\"title\": "),
            StatusCode::BAD_REQUEST,
        ),
        (
            post(&app, "/api/v1/incidents", "not json"),
            StatusCode::BAD_REQUEST,
        ),
    ];
    assert_refused_without_a_trace(&app, cases).await;
}

#[actix_web::test]
async fn a_new_incident_with_a_mistyped_missing_or_unknown_field_is_a_422_and_changes_nothing() {
    let (app, _) = app_with_an_incident().await;
    let cases = vec![
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": 5, \"services\": [\"api\"]}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"t\", \"services\": \"api\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(&app, "/api/v1/incidents", "{\"title\": \"t\"}"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"t\", \"services\": [\"api\"], \"severity\": 1}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    assert_refused_without_a_trace(&app, cases).await;
}

#[actix_web::test]
async fn a_new_incident_with_an_invalid_value_is_a_422_and_changes_nothing() {
    let (app, _) = app_with_an_incident().await;
    let cases = vec![
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"t\", \"services\": []}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"t\", \"services\": [\"api\"], \"impact\": \"apocalyptic\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"t\", \"services\": [\"api\"], \"status\": \"Resolved\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"t\", \"services\": [\"api\"], \"started_at\": \"yesterday\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"t\", \"services\": [\"api\"], \"started_at\": \"2999-01-01T00:00:00Z\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"two\\nlines\", \"services\": [\"api\"]}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents",
                "{\"title\": \"t\", \"services\": [\"API!\"]}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    assert_refused_without_a_trace(&app, cases).await;
}

#[actix_web::test]
async fn a_bad_update_or_one_to_no_such_incident_is_refused_and_changes_nothing() {
    let (app, id) = app_with_an_incident().await;
    let cases = vec![
        (
            post(
                &app,
                &format!("/api/v1/incidents/{id}/updates"),
                "{\"body\": \"\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                &format!("/api/v1/incidents/{id}/updates"),
                "{\"body\": \"b\", \"status\": \"fixed\"}",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(
                &app,
                "/api/v1/incidents/not-a-uuid/updates",
                "{\"body\": \"b\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            post(
                &app,
                &format!("/api/v1/incidents/{}/updates", uuid::Uuid::now_v7()),
                "{\"body\": \"b\"}",
            ),
            StatusCode::NOT_FOUND,
        ),
    ];
    assert_refused_without_a_trace(&app, cases).await;
}

#[actix_web::test]
async fn a_body_sent_as_another_media_type_is_a_415_and_changes_nothing() {
    let (app, _) = app_with_an_incident().await;
    let cases = vec![(
        app.client
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&app.token)
            .header("content-type", "text/plain")
            .body("{}"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )];
    assert_refused_without_a_trace(&app, cases).await;
}

#[actix_web::test]
async fn a_patch_with_no_field_or_a_resolution_before_the_start_is_a_422_and_changes_nothing() {
    let (app, id) = app_with_an_incident().await;
    let patch = |body: serde_json::Value| {
        app.client
            .patch(app.url(&format!("/api/v1/incidents/{id}")))
            .bearer_auth(&app.token)
            .json(&body)
    };
    let cases = vec![
        (patch(json!({})), StatusCode::UNPROCESSABLE_ENTITY),
        (
            patch(json!({"resolved_at": "2000-01-01T00:00:00Z"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    assert_refused_without_a_trace(&app, cases).await;
}

#[actix_web::test]
async fn validation_problems_name_every_bad_field() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "", "services": ["ok"], "impact": "huge", "status": "done"}),
        )
        .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "status", "impact"]);
    assert!(
        problem["errors"][2]["message"]
            .as_str()
            .unwrap()
            .contains("none, minor, major, critical")
    );
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let before = app.snapshot();
    let huge = json!({"title": "t", "services": ["api"], "body": "x".repeat(300 * 1024)});
    assert_problem(
        app.post_json("/api/v1/incidents", &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn unknown_routes_methods_ids_and_queries_are_problems() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/nothing-here").await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.client
            .delete(app.url("/api/v1/incidents"))
            .send()
            .await
            .unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
    )
    .await;
    assert_problem(
        app.get("/api/v1/incidents/12345").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.get("/api/v1/incidents?limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/incidents?limit=many").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.get("/api/v1/incidents?status=down").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/incidents?cursor=zz").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/incidents?since=last-week").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/incidents?colour=red").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}
