//! Conditional GET on the v2 JSON, the feeds and the incident JSON: a strong `ETag` and
//! `Last-Modified`, and `304` to `If-None-Match` and `If-Modified-Since`.

use aftermath::demo;
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};
use crate::ingest::{fixture, ingest_ok};

async fn get_with(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = app.client.request(method, app.url(path));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
        .to_string()
}

/// A store with the demo's services, components and incidents, and one incident of `api`.
async fn populated() -> (TestApp, String) {
    let app = spawn_app().await;
    demo::load(&app.db).unwrap();
    // A Statuspage page, for its components.
    ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    let created = app
        .create_incident(json!({"title": "Slow", "services": ["api"], "impact": "minor"}))
        .await;
    (app, created["id"].as_str().unwrap().to_string())
}

fn polled(id: &str) -> Vec<String> {
    let mut paths: Vec<String> = [
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
        "/api/v2/summary.json?service=api",
        "/feed.atom",
        "/feed.atom?service=api",
        "/history.rss",
        "/services/api/feed.atom",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    paths.push(format!("/api/v1/incidents/{id}"));
    paths
}

#[actix_web::test]
async fn polled_reads_carry_validators_and_answer_304_while_current() {
    let (app, id) = populated().await;
    for path in polled(&id) {
        let res = get_with(&app, Method::GET, &path, &[]).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let etag = header(&res, "etag");
        let modified = header(&res, "last-modified");
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {path} {etag}"
        );
        let body = res.bytes().await.unwrap();

        let again = get_with(&app, Method::GET, &path, &[]).await;
        assert_eq!(
            header(&again, "etag"),
            etag,
            "the same answer, the same tag: {path}"
        );
        assert_eq!(again.bytes().await.unwrap(), body, "{path}");

        let cases = [
            ("If-None-Match", etag.as_str(), StatusCode::NOT_MODIFIED),
            (
                "If-None-Match",
                "\"other\", W/\"also-other\"",
                StatusCode::OK,
            ),
            ("If-None-Match", "*", StatusCode::NOT_MODIFIED),
            (
                "If-Modified-Since",
                modified.as_str(),
                StatusCode::NOT_MODIFIED,
            ),
        ];
        for method in [Method::GET, Method::HEAD] {
            for (name, value, status) in cases {
                let res = get_with(&app, method.clone(), &path, &[(name, value)]).await;
                assert_eq!(res.status(), status, "{method} {path} {name}: {value}");
                if status == StatusCode::NOT_MODIFIED {
                    assert_eq!(header(&res, "etag"), etag, "{path}");
                    assert_eq!(header(&res, "last-modified"), modified, "{path}");
                    assert!(res.bytes().await.unwrap().is_empty(), "{path}");
                }
            }
        }
        // If-None-Match decides when both are sent (RFC 9110, 13.2.2).
        let res = get_with(
            &app,
            Method::GET,
            &path,
            &[
                ("If-None-Match", "\"stale\""),
                ("If-Modified-Since", &modified),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        // A date before the last change, a malformed one, or one in the future: the whole answer.
        for since in [
            "Mon, 01 Jan 2001 00:00:00 GMT",
            "yesterday",
            "Fri, 01 Jan 2100 00:00:00 GMT",
        ] {
            let res = get_with(&app, Method::GET, &path, &[("If-Modified-Since", since)]).await;
            assert_eq!(res.status(), StatusCode::OK, "{path} since {since}");
        }
    }
}

#[actix_web::test]
async fn a_change_changes_the_tag_and_the_old_one_gets_the_new_answer() {
    let (app, id) = populated().await;
    let mut before = Vec::new();
    for path in polled(&id) {
        let res = get_with(&app, Method::GET, &path, &[]).await;
        before.push((path, header(&res, "etag")));
    }
    let res = app
        .post_json(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"body": "Found it", "status": "identified"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for (path, etag) in before {
        if path.contains("components") || path.contains("status.json") {
            continue; // neither shows an update's words
        }
        let res = get_with(&app, Method::GET, &path, &[("If-None-Match", &etag)]).await;
        assert_eq!(res.status(), StatusCode::OK, "{path} changed");
        assert_ne!(header(&res, "etag"), etag, "{path}");
    }
}

#[actix_web::test]
async fn errors_and_other_routes_are_left_alone() {
    let app = spawn_app().await;
    let res = get_with(
        &app,
        Method::GET,
        "/api/v2/summary.json?service=nope",
        &[("If-None-Match", "*")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = get_with(
        &app,
        Method::GET,
        "/api/v1/services",
        &[("If-None-Match", "*")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("etag").is_none());
}
