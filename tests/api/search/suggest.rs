//! Suggestions while typing: services, components and incident titles by prefix, nothing for a
//! single letter, a clear refusal for an overlong query, and a search page that works without
//! the script that asks for them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, html, spawn_app};

async fn suggest(app: &TestApp, q: &str) -> Value {
    let res = app
        .client
        .get(app.url("/api/v1/search/suggest"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "suggest {q:?}");
    res.json().await.unwrap()
}

fn list(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {body}"))
        .iter()
        .map(|v| match v.as_str() {
            Some(s) => s.to_string(),
            None => v["title"].as_str().unwrap().to_string(),
        })
        .collect()
}

/// An AWS outage whose components name DynamoDB, and a service named like it.
async fn outages(app: &TestApp) {
    let aws = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/aws-health/outage-us-east-1.json"
    ))
    .unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/ingest/aws-health"))
        .bearer_auth(&app.token)
        .body(aws)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.create_incident(json!({
        "title": "DynamoDB throttling in eu-west-1", "services": ["dynamo-proxy"],
        "body": "Requests were throttled."
    }))
    .await;
    app.create_incident(json!({
        "title": "Webhooks delayed", "services": ["github"], "body": "Deliveries are late."
    }))
    .await;
    // Suggestions read the index: wait until both writes are in it.
    app.search(&[("q", "")]).await;
}

#[actix_web::test]
async fn a_prefix_suggests_services_components_and_incident_titles() {
    let app = spawn_app().await;
    outages(&app).await;
    let body = suggest(&app, "dyn").await;
    assert_eq!(list(&body, "services"), ["dynamo-proxy"], "{body}");
    assert!(
        list(&body, "incidents").contains(&"DynamoDB throttling in eu-west-1".to_string()),
        "{body}"
    );
    assert!(
        list(&body, "incidents")
            .iter()
            .all(|t| t.to_lowercase().contains("dyn")),
        "{body}"
    );
    assert!(!list(&body, "incidents").contains(&"Webhooks delayed".to_string()));
    let webhooks = suggest(&app, "why are webh").await;
    assert_eq!(
        list(&webhooks, "incidents"),
        ["Webhooks delayed"],
        "{webhooks}"
    );
    assert_eq!(
        list(&webhooks, "services"),
        Vec::<String>::new(),
        "{webhooks}"
    );
}

#[actix_web::test]
async fn components_are_suggested_as_written() {
    let app = spawn_app().await;
    outages(&app).await;
    let body = suggest(&app, "lamb").await;
    assert_eq!(list(&body, "components"), ["AWS Lambda"], "{body}");
    // Any word of the name may start it.
    let body = suggest(&app, "aws dynamo").await;
    assert_eq!(list(&body, "components"), ["Amazon DynamoDB"], "{body}");
    let mut amazon = list(&suggest(&app, "Amaz").await, "components");
    amazon.sort();
    assert_eq!(amazon, ["Amazon DynamoDB", "Amazon Elastic Compute Cloud"]);
}

#[actix_web::test]
async fn one_letter_suggests_nothing_and_says_how_many_are_needed() {
    let app = spawn_app().await;
    outages(&app).await;
    for q in ["d", "", "   ", "webhooks d", "!"] {
        let body = suggest(&app, q).await;
        assert_eq!(body["min_chars"], 2, "{body}");
        for key in ["services", "components", "incidents"] {
            assert!(list(&body, key).is_empty(), "{q:?}: {body}");
        }
    }
}

#[actix_web::test]
async fn an_overlong_query_is_refused_and_odd_ones_are_answered() {
    let app = spawn_app().await;
    outages(&app).await;
    let res = app
        .client
        .get(app.url("/api/v1/search/suggest"))
        .query(&[("q", "a".repeat(1001))])
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, StatusCode::BAD_REQUEST).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("1000"),
        "{problem}"
    );
    for q in [
        "((((((((((",
        "\"dyn",
        "zzzzzzzzzzzz",
        "the",
        "é",
        "*?",
        &"dyn ".repeat(200),
    ] {
        suggest(&app, q).await;
    }
}

#[actix_web::test]
async fn the_search_page_loads_its_script_from_static_and_works_without_it() {
    let app = spawn_app().await;
    outages(&app).await;
    let res = app.get("/search?q=webhooks").await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let page = html(res, StatusCode::OK).await;
    assert!(
        page.contains("<script src=\"/static/suggest.js\" defer></script>"),
        "{page}"
    );
    assert_eq!(
        page.matches("<script").count(),
        1,
        "no inline script: {page}"
    );
    // Without the script the form is an ordinary GET to the page, which finds the incident.
    assert!(page.contains("action=\"/search\""), "{page}");
    assert!(page.contains("Webhooks delayed"), "{page}");
    let script = app.get("/static/suggest.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"),
        "{:?}",
        script.headers()
    );
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("/api/v1/search/suggest")
    );
}
