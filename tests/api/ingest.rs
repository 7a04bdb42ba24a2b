//! Ingest: every fixture format in, idempotently; later snapshots, edits, two formats of one page,
//! provenance, webhooks, and bad documents that change nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

pub const FIXTURES: &[(&str, &str)] = &[
    ("statuspage", "statuspage/incident_backfilled.json"),
    ("statuspage", "statuspage/summary.json"),
    ("statuspage", "statuspage/summary_incidentio.json"),
    ("statuspage", "statuspage/webhook_incident.json"),
    ("statuspage", "statuspage/webhook_component_update.json"),
    ("atom", "atom/history.atom"),
    ("rss", "rss/history.rss"),
    ("rss", "rss/aws-service.rss"),
    ("rss", "rss/azure.rss"),
    ("aws-datajson", "aws-datajson/data.json"),
    ("aws-health", "aws-health/currentevents.json"),
    ("gcp", "gcp/incidents.json"),
    ("slack", "slack/current.json"),
    ("slack", "slack/history.json"),
    ("instatus", "instatus/summary.json"),
    ("instatus", "instatus/webhook_incident.json"),
    ("betterstack", "betterstack/index.json"),
    ("checkly", "checkly/unresolved-incidents.json"),
];

pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

pub async fn ingest(app: &TestApp, format: &str, query: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/ingest/{format}{query}")))
        .bearer_auth(&app.token)
        .body(body)
        .send()
        .await
        .unwrap()
}

pub async fn ingest_ok(app: &TestApp, format: &str, body: Vec<u8>) -> Value {
    let res = ingest(app, format, "?service=acme", body).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[actix_web::test]
async fn every_fixture_ingests_and_a_second_time_changes_nothing() {
    let app = spawn_app().await;
    for (format, path) in FIXTURES {
        let report = ingest_ok(&app, format, fixture(path)).await;
        assert_eq!(report["format"], *format, "{path}");
    }
    let after_first = app.snapshot();
    assert!(after_first.rows("incidents") >= 15, "{after_first:?}");
    for (format, path) in FIXTURES {
        let report = ingest_ok(&app, format, fixture(path)).await;
        assert_eq!(
            (report["created"].as_u64(), report["updated"].as_u64()),
            (Some(0), Some(0)),
            "{path}: {report}"
        );
        assert_eq!(report["entries_added"], 0, "{path}");
    }
    assert_eq!(app.snapshot(), after_first);
    let list = app.get_json("/api/v1/incidents?limit=200").await;
    for incident in list["items"].as_array().unwrap() {
        let detail = app
            .get_json(&format!(
                "/api/v1/incidents/{}",
                incident["id"].as_str().unwrap()
            ))
            .await;
        assert!(
            !detail["timeline"].as_array().unwrap().is_empty(),
            "{} has an empty timeline",
            detail["title"]
        );
        assert_eq!(detail["origin"], "status_page");
    }
}

fn statuspage_incident(updates: &[(&str, &str, &str, &str)], status: &str) -> Vec<u8> {
    let updates: Vec<Value> = updates
        .iter()
        .rev()
        .map(|(id, at, st, body)| {
            json!({"id": id, "status": st, "body": body, "incident_id": "zz9abc", "created_at": at,
                   "updated_at": at, "display_at": at, "affected_components": null, "deliver_notifications": true})
        })
        .collect();
    serde_json::to_vec(&json!({
        "page": {"id": "pg1", "name": "Acme", "url": "https://status.acme.example", "time_zone": "Etc/UTC", "updated_at": "2026-03-01T12:00:00.000Z"},
        "incident": {"id": "zz9abc", "name": "Checkout errors", "status": status, "impact": "major",
                     "created_at": "2026-03-01T10:00:00.000Z", "updated_at": "2026-03-01T12:00:00.000Z",
                     "started_at": "2026-03-01T10:00:00.000Z", "monitoring_at": null, "resolved_at": null,
                     "shortlink": "https://stspg.io/x", "page_id": "pg1", "incident_updates": updates, "components": []}
    }))
    .unwrap()
}

async fn only_incident(app: &TestApp) -> Value {
    let list = app.get_json("/api/v1/incidents?service=acme").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    app.get_json(&format!(
        "/api/v1/incidents/{}",
        list["items"][0]["id"].as_str().unwrap()
    ))
    .await
}

#[actix_web::test]
async fn a_later_snapshot_adds_only_its_new_updates_and_moves_status_and_milestones() {
    let app = spawn_app().await;
    let first = [(
        "u1",
        "2026-03-01T10:00:00.000Z",
        "investigating",
        "Looking into checkout errors.",
    )];
    ingest_ok(
        &app,
        "statuspage",
        statuspage_incident(&first, "investigating"),
    )
    .await;
    let later = [
        first[0],
        (
            "u2",
            "2026-03-01T10:30:00.000Z",
            "identified",
            "A bad deploy.",
        ),
        (
            "u3",
            "2026-03-01T11:00:00.000Z",
            "monitoring",
            "Rolled back.",
        ),
        ("u4", "2026-03-01T12:00:00.000Z", "resolved", "All good."),
    ];
    let report = ingest_ok(&app, "statuspage", statuspage_incident(&later, "resolved")).await;
    assert_eq!(
        (report["updated"].as_u64(), report["entries_added"].as_u64()),
        (Some(1), Some(3))
    );
    let incident = only_incident(&app).await;
    assert_eq!(incident["status"], "resolved");
    assert_eq!(incident["acknowledged_at"], "2026-03-01T10:30:00Z");
    assert_eq!(incident["mitigated_at"], "2026-03-01T11:00:00Z");
    assert_eq!(incident["resolved_at"], "2026-03-01T12:00:00Z");
    assert_eq!(incident["timeline"].as_array().unwrap().len(), 4);
    // Reading the older snapshot again rolls nothing back.
    ingest_ok(
        &app,
        "statuspage",
        statuspage_incident(&first, "investigating"),
    )
    .await;
    assert_eq!(only_incident(&app).await["status"], "resolved");
}

#[actix_web::test]
async fn an_edited_post_keeps_its_earlier_text_and_shows_it_was_edited() {
    let app = spawn_app().await;
    let original = [(
        "u1",
        "2026-03-01T10:00:00.000Z",
        "investigating",
        "Looking into errros.",
    )];
    ingest_ok(
        &app,
        "statuspage",
        statuspage_incident(&original, "investigating"),
    )
    .await;
    let fixed = [(
        "u1",
        "2026-03-01T10:00:00.000Z",
        "investigating",
        "Looking into errors.",
    )];
    let report = ingest_ok(
        &app,
        "statuspage",
        statuspage_incident(&fixed, "investigating"),
    )
    .await;
    assert_eq!(report["entries_edited"], 1);
    let incident = only_incident(&app).await;
    let entry = &incident["timeline"][0];
    assert_eq!(entry["body"], "Looking into errors.");
    assert!(entry["edited_at"].is_string());
    let versions = app
        .db
        .run(|c| aftermath::db::observed::previous_versions(c, entry["id"].as_str().unwrap()))
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].0, "Looking into errros.");
    let page = crate::helpers::html(
        app.get(&format!("/incidents/{}", incident["id"].as_str().unwrap()))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(page.contains("edited"), "the page says the post was edited");
}

#[actix_web::test]
async fn statuspage_json_and_its_atom_feed_make_one_incident() {
    let app = spawn_app().await;
    let updates = [
        (
            "u1",
            "2026-03-01T10:00:00.000Z",
            "investigating",
            "Looking into checkout errors.",
        ),
        ("u2", "2026-03-01T12:00:00.000Z", "resolved", "All good."),
    ];
    ingest_ok(
        &app,
        "statuspage",
        statuspage_incident(&updates, "resolved"),
    )
    .await;
    let atom = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">
  <id>tag:status.acme.example,2005:/history</id>
  <link rel="alternate" type="text/html" href="https://status.acme.example"/>
  <title>Acme Status - Incident History</title>
  <updated>2026-03-01T12:00:05Z</updated>
  <entry>
    <id>tag:status.acme.example,2005:Incident/777</id>
    <published>2026-03-01T10:00:00Z</published>
    <updated>2026-03-01T12:00:05Z</updated>
    <link rel="alternate" type="text/html" href="https://status.acme.example/incidents/zz9abc"/>
    <title>Checkout errors</title>
    <content type="html">&lt;p&gt;&lt;small&gt;Mar &lt;var data-var='date'&gt; 1&lt;/var&gt;, &lt;var data-var='time'&gt;12:00&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - All good.&lt;/p&gt;&lt;p&gt;&lt;small&gt;Mar &lt;var data-var='date'&gt; 1&lt;/var&gt;, &lt;var data-var='time'&gt;10:00&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - Looking into checkout errors.&lt;/p&gt;</content>
  </entry>
</feed>"#;
    let report = ingest_ok(&app, "atom", atom.as_bytes().to_vec()).await;
    assert_eq!(report["created"], 0, "{report}");
    assert_eq!(
        report["entries_added"], 0,
        "the same posts through the feed are not added again: {report}"
    );
    assert_eq!(
        only_incident(&app).await["timeline"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[actix_web::test]
async fn provenance_keeps_each_raw_item_once_with_origin_time_and_hash() {
    let app = spawn_app().await;
    let body = fixture("gcp/incidents.json");
    ingest_ok(&app, "gcp", body.clone()).await;
    ingest_ok(&app, "gcp", body).await;
    let rows: Vec<(String, String, String, String)> = app
        .db
        .run(|c| {
            use aftermath::db::schema::observations::dsl::*;
            use diesel::prelude::*;
            Ok(observations
                .select((format, origin, content_hash, raw))
                .load(c)?)
        })
        .unwrap();
    let incidents = app.get_json("/api/v1/incidents?service=acme").await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        rows.len(),
        incidents,
        "one raw item per incident, kept once"
    );
    for (fmt, origin, hash, raw) in rows {
        assert_eq!(fmt, "gcp");
        assert_eq!(origin, "api:tester");
        assert_eq!(hash, aftermath::db::provenance::content_hash(&raw));
    }
}

#[actix_web::test]
async fn a_statuspage_postmortem_is_honoured_on_ingest() {
    let app = spawn_app().await;
    let updates = [
        (
            "u1",
            "2026-03-01T10:00:00.000Z",
            "investigating",
            "Looking into checkout errors.",
        ),
        ("u2", "2026-03-01T12:00:00.000Z", "resolved", "All good."),
    ];
    let mut doc: Value =
        serde_json::from_slice(&statuspage_incident(&updates, "postmortem")).unwrap();
    doc["incident"]["postmortem_body"] = json!("## What happened\n\nA bad deploy.");
    let body = serde_json::to_vec(&doc).unwrap();
    ingest_ok(&app, "statuspage", body.clone()).await;
    ingest_ok(&app, "statuspage", body).await;
    let incident = only_incident(&app).await;
    assert_eq!(incident["status"], "postmortem");
    let path = format!(
        "/api/v1/incidents/{}/postmortem",
        incident["id"].as_str().unwrap()
    );
    let pm = app.get_json(&path).await;
    assert_eq!(
        (pm["status"].as_str(), pm["author"].as_str()),
        (Some("published"), Some("acme status page"))
    );
    assert_eq!(pm["markdown"], "## What happened\n\nA bad deploy.");
    assert_eq!(
        app.get_json(&format!("{path}/revisions")).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
