//! Incident versions: the `ETag` of `GET /api/v1/incidents/{id}`, conditional reads
//! (`If-None-Match` → 304), conditional writes (`If-Match` → 412 when stale, changing nothing),
//! and the edit pages that show the other person's change beside one's own instead of
//! overwriting it. The same on both backends; several instances are in `instances::versions`.

mod api;
mod pages;

use reqwest::Response;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The ETag header of a response.
pub fn etag_of(res: &Response) -> String {
    res.headers()
        .get("etag")
        .unwrap_or_else(|| panic!("no ETag on {}", res.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// The version an ETag of ours names: `"v7"` → 7.
pub fn version_in(etag: &str) -> i64 {
    etag.trim_matches('"')
        .strip_prefix('v')
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{etag:?} is not an ETag of ours"))
}

/// Opens an incident of `service` and returns its id.
pub async fn open(app: &TestApp, title: &str, service: &str) -> String {
    let created = app
        .create_incident(json!({"title": title, "services": [service], "impact": "minor"}))
        .await;
    created["id"].as_str().unwrap().to_string()
}

/// `GET /api/v1/incidents/{id}`: its ETag and JSON.
pub async fn read(app: &TestApp, id: &str) -> (String, Value) {
    let res = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(res.status(), 200);
    let etag = etag_of(&res);
    (etag, res.json().await.unwrap())
}
