//! Results grouped by cascade: a hit downstream of another hit is nested under it, so one
//! outage reads as one result; `total` counts incidents, `limit` and `offset` count results.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::titles;
use crate::helpers::{TestApp, html, spawn_app};

const CASCADE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cascade");
const NIMBUS: &str = "Increased error rates and latencies in us-east";

async fn post_fixture(app: &TestApp, path: &str, name: &str) {
    let body = std::fs::read(format!("{CASCADE}/{name}")).unwrap();
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "POST {path} {name}");
}

/// The catalog (Snapgram and Robotrade depend on Nimbus us-east), then the three status pages:
/// both apps' incidents get an `upstream` link to Nimbus's. Each page says things are back to
/// "normal", which is what the tests search.
async fn cascade(app: &TestApp) {
    post_fixture(app, "/api/v1/ingest/services", "catalog.toml").await;
    for name in [
        "status-nimbus.json",
        "status-snapgram.json",
        "status-robotrade.json",
    ] {
        post_fixture(app, "/api/v1/ingest/statuspage", name).await;
    }
}

fn downstream_titles(hit: &Value) -> Vec<String> {
    let mut out: Vec<String> = hit["downstream"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|h| h["title"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[actix_web::test]
async fn hits_downstream_of_another_hit_are_nested_under_it() {
    let app = spawn_app().await;
    cascade(&app).await;
    let body = app.search(&[("q", "normal")]).await;
    assert_eq!(
        body["total"], 3,
        "every matching incident is counted: {body}"
    );
    assert_eq!(titles(&body), [NIMBUS], "one outage, one result: {body}");
    assert_eq!(
        downstream_titles(&body["hits"][0]),
        ["Delayed order execution", "Messages failing to send"],
        "{body}"
    );
    let nested = &body["hits"][0]["downstream"][0];
    assert!(
        nested["snippet"].is_string() && nested["services"].is_array(),
        "{nested}"
    );
    assert!(
        nested.get("downstream").is_none(),
        "one level only: {nested}"
    );
}

#[actix_web::test]
async fn a_hit_whose_upstream_does_not_match_stands_alone() {
    let app = spawn_app().await;
    cascade(&app).await;
    // Only Snapgram's posts speak of messages: Nimbus is not a hit, so it is not pulled in.
    let body = app.search(&[("q", "messages")]).await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(titles(&body), ["Messages failing to send"], "{body}");
    assert!(body["hits"][0].get("downstream").is_none(), "{body}");
}

#[actix_web::test]
async fn limit_and_offset_count_results_and_total_counts_incidents() {
    let app = spawn_app().await;
    cascade(&app).await;
    app.create_incident(json!({
        "title": "Search back to normal", "services": ["quietnotes"],
        "started_at": "2026-11-20T10:00:00Z", "body": "Search results are normal again."
    }))
    .await;
    let mut seen = Vec::new();
    for offset in ["0", "1", "2"] {
        let body = app
            .search(&[("q", "normal"), ("limit", "1"), ("offset", offset)])
            .await;
        assert_eq!(body["total"], 4, "{body}");
        seen.extend(titles(&body));
        if offset == "2" {
            assert_eq!(titles(&body).len(), 0, "two results in all: {body}");
        }
    }
    seen.sort();
    assert_eq!(seen, [NIMBUS, "Search back to normal"]);
}

#[actix_web::test]
async fn a_flat_listing_by_date_groups_too_and_strict_searches_group_the_same() {
    let app = spawn_app().await;
    cascade(&app).await;
    for params in [
        &[("q", ""), ("since", "2026-11-23T00:00:00Z")][..],
        &[("q", "normal"), ("strict", "true")],
        &[("q", "normal"), ("sort", "date")],
    ] {
        let body = app.search(params).await;
        assert_eq!(titles(&body), [NIMBUS], "{params:?}: {body}");
        assert_eq!(downstream_titles(&body["hits"][0]).len(), 2, "{body}");
    }
}

#[actix_web::test]
async fn the_page_says_how_many_apps_were_affected_downstream() {
    let app = spawn_app().await;
    cascade(&app).await;
    app.search(&[("q", "normal")]).await;
    let page = html(app.get("/search?q=normal").await, StatusCode::OK).await;
    assert!(page.contains("and 2 apps affected downstream"), "{page}");
    assert!(page.contains("Messages failing to send"), "{page}");
    assert!(
        page.contains("3 incidents found"),
        "the total counts incidents: {page}"
    );
}

#[actix_web::test]
async fn an_app_outage_is_found_by_the_name_of_the_provider_that_caused_it() {
    let app = spawn_app().await;
    cascade(&app).await;
    // Neither app's posts say "Nimbus"; their links to its outage do.
    let body = app.search(&[("q", "nimbus"), ("strict", "true")]).await;
    let mut found: Vec<String> = titles(&body);
    for hit in body["hits"].as_array().unwrap() {
        found.extend(downstream_titles(hit));
    }
    for title in ["Messages failing to send", "Delayed order execution"] {
        assert!(found.contains(&title.to_string()), "{title}: {body}");
    }
}
