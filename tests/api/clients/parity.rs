//! Statuspage parity: `status.json`, `components.json`, `history.rss` and the per-service Atom
//! feed, in Statuspage's shapes, read back through Aftermath's own parsers.

use aftermath::demo;
use aftermath::ingest::{self, Format, ParsedDocument};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::ingest::{fixture, ingest_ok};

async fn body(app: &TestApp, path: &str, kind: &str) -> Vec<u8> {
    let res = app.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    let got = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(got.starts_with(kind), "{path}: {got}");
    res.bytes().await.unwrap().to_vec()
}

async fn populated() -> TestApp {
    let app = spawn_app().await;
    demo::load(&app.db).unwrap();
    // A Statuspage page, for its components.
    ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    let created = app
        .create_incident(
            json!({"title": "Slow <b>pages</b> & more", "services": ["api"],
            "impact": "major", "body": "We see it.\nLine two"}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"body": "Found it", "status": "identified"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app
}

#[actix_web::test]
async fn status_and_components_are_the_summary_cut_in_two() {
    let app = populated().await;
    for scope in ["", "?service=api"] {
        let summary = app.get_json(&format!("/api/v2/summary.json{scope}")).await;
        let status = app.get_json(&format!("/api/v2/status.json{scope}")).await;
        let components = app
            .get_json(&format!("/api/v2/components.json{scope}"))
            .await;
        // Sorted: serde_json keeps insertion order in test builds (a dev-dependency turns on
        // its `preserve_order`), alphabetical order otherwise.
        let keys = |v: &Value| {
            let mut keys = v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
            keys.sort();
            keys
        };
        assert_eq!(keys(&status), ["page", "status"]);
        assert_eq!(keys(&components), ["components", "page"]);
        assert_eq!(status["page"], summary["page"]);
        assert_eq!(status["status"], summary["status"]);
        assert_eq!(components["page"], summary["page"]);
        assert_eq!(components["components"], summary["components"]);
    }
    let summary = app.get_json("/api/v2/summary.json").await;
    assert_eq!(summary["status"]["indicator"], "major", "{summary}");
    assert!(!summary["components"].as_array().unwrap().is_empty());
    let res = app.get("/api/v2/status.json?service=nope").await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
    let res = app.get("/api/v2/components.json?bogus=1").await;
    assert_problem(res, StatusCode::BAD_REQUEST).await;
}

#[actix_web::test]
async fn status_and_components_read_back_through_our_statuspage_parser() {
    let app = populated().await;
    let raw = body(&app, "/api/v2/status.json", "application/json").await;
    let doc = ingest::parse(Format::Statuspage, &raw).unwrap();
    assert_eq!(doc.page.as_ref().unwrap().name, "Aftermath");
    assert!(doc.incidents.is_empty());

    let raw = body(&app, "/api/v2/components.json", "application/json").await;
    let ours: Value = serde_json::from_slice(&raw).unwrap();
    let doc = ingest::parse(Format::Statuspage, &raw).unwrap();
    let listed = ours["components"].as_array().unwrap();
    assert_eq!(doc.component_changes.len(), listed.len());
    for (c, j) in doc.component_changes.iter().zip(listed) {
        assert_eq!(
            (c.name.as_str(), c.status_raw.as_str()),
            (j["name"].as_str().unwrap(), j["status"].as_str().unwrap())
        );
    }
}

/// The incidents of a feed as (title, update bodies oldest first).
fn stories(doc: &ParsedDocument) -> Vec<(String, Vec<String>)> {
    doc.incidents
        .iter()
        .map(|i| {
            let bodies = i.updates.iter().map(|u| u.body.clone()).collect();
            (i.title.clone(), bodies)
        })
        .collect()
}

#[actix_web::test]
async fn history_rss_is_rss_2_and_tells_the_atom_feeds_story() {
    let app = populated().await;
    for scope in ["", "?service=api"] {
        let rss = body(&app, &format!("/history.rss{scope}"), "application/rss+xml").await;
        let feed = feed_rs::parser::parse(rss.as_slice()).unwrap();
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::RSS2);
        let atom = body(&app, &format!("/feed.atom{scope}"), "application/atom+xml").await;
        let from_rss = ingest::parse(Format::Rss, &rss).unwrap();
        let from_atom = ingest::parse(Format::Atom, &atom).unwrap();
        assert!(!from_rss.incidents.is_empty());
        assert_eq!(stories(&from_rss), stories(&from_atom), "{scope}");
        for (r, a) in from_rss.incidents.iter().zip(&from_atom.incidents) {
            assert_eq!(r.url, a.url, "the incident's page");
            assert_eq!(r.status, a.status);
            let times = |i: &aftermath::ingest::IncidentObservation| {
                i.updates.iter().map(|u| u.occurred_at).collect::<Vec<_>>()
            };
            assert_eq!(times(r), times(a), "{}", r.title);
        }
    }
    let text = String::from_utf8(body(&app, "/history.rss", "application/rss+xml").await).unwrap();
    assert!(!text.contains("<b>pages"), "titles are escaped: {text}");
    let res = app.get("/history.rss?service=nope").await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
}

#[actix_web::test]
async fn a_service_has_its_own_atom_feed() {
    let app = populated().await;
    let own = body(&app, "/services/api/feed.atom", "application/atom+xml").await;
    let scoped = body(&app, "/feed.atom?service=api", "application/atom+xml").await;
    let feed = feed_rs::parser::parse(own.as_slice()).unwrap();
    let this = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("self"))
        .unwrap();
    assert_eq!(this.href, app.url("/services/api/feed.atom"));
    let own = ingest::parse(Format::Atom, &own).unwrap();
    let scoped = ingest::parse(Format::Atom, &scoped).unwrap();
    assert!(!own.incidents.is_empty());
    assert_eq!(stories(&own), stories(&scoped));
    let res = app.get("/services/nope/feed.atom").await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
}
