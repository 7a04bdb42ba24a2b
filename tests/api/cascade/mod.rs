//! The synthetic cascade scenario in `fixtures/cascade/`: spikes found at the injected onsets,
//! none in daily-cycle noise, links with and without declared dependencies, people's decisions,
//! and the same signals from a backfill as from a live stream.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

mod catalog;
mod incidents;
mod links;
mod postmortem;
mod spikes;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cascade");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

async fn post_bytes(app: &TestApp, path: &str, body: Vec<u8>) -> Value {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "POST {path}");
    res.json().await.unwrap()
}

/// Catalog, status posts, then the reports: the order a team would load history in.
pub async fn load_scenario(app: &TestApp, with_catalog: bool) {
    if with_catalog {
        post_catalog(app).await;
    } else {
        // The same services, no dependencies declared.
        for (slug, kind) in [
            ("nimbus-us-east", "infrastructure"),
            ("snapgram", "application"),
            ("robotrade", "application"),
            ("coinpurse", "application"),
            ("fortvale", "application"),
            ("quietnotes", "application"),
        ] {
            crate::reports::add_service(app, slug, kind, &[]).await;
        }
    }
    post_status_posts(app).await;
    post_reports(app).await;
}

/// The providers' posts: Nimbus, Snapgram and Robotrade acknowledge the outage 25 to 29 minutes
/// after their users' reports spiked.
pub async fn post_status_posts(app: &TestApp) -> Vec<Value> {
    let mut answers = Vec::new();
    for doc in [
        "status-nimbus.json",
        "status-snapgram.json",
        "status-robotrade.json",
    ] {
        answers.push(post_bytes(app, "/api/v1/ingest/statuspage", fixture(doc)).await);
    }
    answers
}

/// A week of user reports with the injected cascade (a backfill: spikes are evaluated at once).
pub async fn post_reports(app: &TestApp) {
    post_bytes(
        app,
        "/api/v1/ingest/reports-jsonl",
        fixture("reports.jsonl"),
    )
    .await;
}

pub async fn post_catalog(app: &TestApp) {
    post_bytes(app, "/api/v1/ingest/services", fixture("catalog.toml")).await;
}

/// The incident a service's first spike belongs to.
pub async fn incident_of(app: &TestApp, service: &str) -> Value {
    let id = app
        .db
        .run(|conn| aftermath::db::spikes::spikes_of_service(conn, service))
        .unwrap()
        .first()
        .and_then(|s| s.incident_id.clone())
        .unwrap_or_else(|| panic!("{service} has no spike incident"));
    app.get_json(&format!("/api/v1/incidents/{id}")).await
}
