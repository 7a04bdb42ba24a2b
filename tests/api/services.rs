//! The service catalog API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[actix_web::test]
async fn put_creates_then_replaces_a_service_and_creates_its_dependencies() {
    let app = spawn_app().await;
    let body = json!({"name": "Parley", "provider": "parley", "kind": "application", "depends_on": ["nimbus-us-east-1"]});
    let res = app.put_json("/api/v1/services/parley", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let again = app.put_json("/api/v1/services/parley", &body).await;
    assert_eq!(again.status(), StatusCode::OK);
    let read = app.get_json("/api/v1/services/parley").await;
    assert_eq!(read["name"], "Parley");
    assert_eq!(read["depends_on"], json!(["nimbus-us-east-1"]));
    let upstream = app.get_json("/api/v1/services/nimbus-us-east-1").await;
    assert_eq!(upstream["dependents"], json!(["parley"]));

    let replaced: Value = app
        .put_json(
            "/api/v1/services/parley",
            &json!({"name": "Parley Chat", "kind": "application"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        replaced["depends_on"],
        json!([]),
        "PUT replaces the whole description"
    );
}

#[actix_web::test]
async fn the_list_holds_every_service_in_slug_order() {
    let app = spawn_app().await;
    app.put_json("/api/v1/services/zeta", &json!({"name": "Zeta"}))
        .await;
    app.put_json(
        "/api/v1/services/alpha",
        &json!({"name": "Alpha", "kind": "infrastructure", "region": "eu-west-1"}),
    )
    .await;
    let list = app.get_json("/api/v1/services").await;
    let slugs: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["alpha", "zeta"]);
    assert_eq!(list["items"][0]["kind"], "infrastructure");
    assert_eq!(list["items"][0]["region"], "eu-west-1");
}

#[actix_web::test]
async fn a_service_page_lists_its_recent_incidents() {
    let app = spawn_app().await;
    app.create_incident(json!({"title": "Outage", "services": ["gamma"]}))
        .await;
    let read = app.get_json("/api/v1/services/gamma").await;
    assert_eq!(read["recent_incidents"][0]["title"], "Outage");
}

#[actix_web::test]
async fn bad_service_descriptions_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot();
    for body in [
        json!({"name": ""}),
        json!({"name": "X", "kind": "platform"}),
        json!({"name": "X", "depends_on": ["Not A Slug"]}),
        json!({"name": "X", "depends_on": ["self-ref"]}),
        json!({"name": "X", "status_page_url": "javascript:alert(1)"}),
        json!({"name": "X", "colour": "red"}),
    ] {
        let res = app.put_json("/api/v1/services/self-ref", &body).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let res = app
        .put_json("/api/v1/services/Bad%20Slug", &json!({"name": "X"}))
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST).await;
    assert_problem(
        app.get("/api/v1/services/nobody").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.snapshot(), before);
}
