//! `HEAD` on every `GET` route of the declared table: the same status and headers, no body.

use std::collections::BTreeSet;

use aftermath::db::tokens::Scope;
use aftermath::http::routes::{ROUTES, Verb};
use reqwest::{Method, Response};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// A route pattern with its parameters filled: real incidents, a real service.
fn fill(pattern: &str, incident: &str, other: &str) -> String {
    pattern
        .replace("{id}", incident)
        .replace("{other}", other)
        .replace("{slug}", "api")
        .replace("{action}", "confirm")
}

/// Headers whose value must be the same on both; the others must only be present on both.
const SAME_VALUE: &[&str] = &[
    "content-type",
    "etag",
    "last-modified",
    "location",
    "cache-control",
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
];

/// Headers that differ between any two answers by nature.
const PER_ANSWER: &[&str] = &["date", "set-cookie", "x-request-id"];

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    method: Method,
    path: &str,
    token: &str,
) -> Response {
    client
        .request(method, app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn names(res: &Response) -> BTreeSet<String> {
    res.headers()
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| !PER_ANSWER.contains(&k.as_str()))
        .collect()
}

#[actix_web::test]
async fn every_get_route_answers_head_with_its_status_and_headers_and_no_body() {
    let app = spawn_app().await;
    let admin = app.token_of(Scope::Admin);
    let incident = app
        .create_incident(json!({"title": "x", "services": ["api"], "body": "first"}))
        .await;
    let other = app
        .create_incident(json!({"title": "y", "services": ["db"]}))
        .await;
    let (incident, other) = (
        incident["id"].as_str().unwrap(),
        other["id"].as_str().unwrap(),
    );
    // No cookie store: each answer stands alone, as an uptime checker sees it.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let gets: Vec<_> = ROUTES.iter().filter(|r| r.method == Verb::Get).collect();
    assert!(gets.len() > 20, "the table was read");
    for route in gets {
        let path = fill(route.path, incident, other);
        let get = call(&app, &client, Method::GET, &path, &admin).await;
        let head = call(&app, &client, Method::HEAD, &path, &admin).await;
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_ne!(head.status().as_u16(), 405, "HEAD {path}");
        assert_eq!(names(&head), names(&get), "header names of HEAD {path}");
        for name in SAME_VALUE {
            assert_eq!(
                head.headers().get(*name),
                get.headers().get(*name),
                "{name} of HEAD {path}"
            );
        }
        // A validated answer is byte for byte the same, so its length is too.
        if get.headers().contains_key("etag") {
            assert_eq!(
                head.headers().get("content-length"),
                get.headers().get("content-length"),
                "content-length of HEAD {path}"
            );
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
}

#[actix_web::test]
async fn head_of_a_route_without_get_is_refused_like_its_get() {
    let app = spawn_app().await;
    let res = call(
        &app,
        &app.client,
        Method::HEAD,
        "/api/v1/reports",
        &app.token,
    )
    .await;
    assert_eq!(res.status().as_u16(), 405);
    let res = call(&app, &app.client, Method::HEAD, "/no/such/page", &app.token).await;
    assert_eq!(res.status().as_u16(), 404);
}
