//! Interchange out: the Statuspage v2 reads and `/feed.atom`, checked field by field and by round
//! trip through our own parsers (and feed-rs), so clients written for Statuspage work unchanged.

use std::collections::BTreeSet;

use aftermath::demo;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::ingest::{fixture, ingest_ok};

mod atom;
mod incidents_json;
mod round_trip;
mod scope;
mod summary_json;

pub(super) const HOSTILE_TITLE: &str = "<script>alert(1)</script> & ]]> \"quoted\" 'single'";
pub(super) const HOSTILE_BODY: &str = "a <script>alert('x')</script> & b ]]> c &amp; d";

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

pub(super) fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// ISO 8601 with milliseconds and `Z`, e.g. `2025-10-20T07:11:00.000Z`.
fn assert_ms_z(v: &Value, what: &str) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"));
    assert!(
        s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.',
        "{what}: {s}"
    );
    DateTime::parse_from_rfc3339(s).unwrap();
}

pub(super) fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// A store with the demo data, an ingested Statuspage page, and one hostile incident on `acme`.
pub(super) async fn populated() -> (TestApp, String) {
    let app = spawn_app().await;
    demo::load(&app.db).unwrap();
    ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    let created = app
        .create_incident(
            json!({"title": HOSTILE_TITLE, "services": ["acme"], "impact": "major",
            "body": HOSTILE_BODY, "started_at": "2025-10-20T07:11:00Z"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    for (status, body) in [
        (Some("identified"), "line one\nline <b>two</b> & three"),
        (None, "note ]]> only"),
    ] {
        let mut update = json!({"body": body, "occurred_at": "2025-10-20T08:00:30Z"});
        if let Some(s) = status {
            update["status"] = json!(s);
        }
        let res = app
            .post_json(&format!("/api/v1/incidents/{id}/updates"), &update)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    (app, id)
}

pub(super) async fn bytes(app: &TestApp, path: &str) -> (String, Vec<u8>) {
    let res = app.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    (kind, res.bytes().await.unwrap().to_vec())
}

/// Our own timeline (oldest first) of one incident, from the v1 API.
pub(super) async fn timeline(app: &TestApp, id: &str) -> Vec<Value> {
    let detail = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    detail["timeline"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn an_empty_store_serves_empty_documents() {
    let app = spawn_app().await;
    let summary = app.get_json("/api/v2/summary.json").await;
    assert_eq!(summary["status"]["indicator"], "none");
    assert_eq!(summary["status"]["description"], "All Systems Operational");
    assert_eq!(summary["incidents"], json!([]));
    let (_, raw) = bytes(&app, "/feed.atom").await;
    let feed = feed_rs::parser::parse(raw.as_slice()).unwrap();
    assert!(feed.entries.is_empty() && feed.updated.is_some());
}
