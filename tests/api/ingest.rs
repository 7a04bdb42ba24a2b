//! Ingest: every fixture format in, idempotently; later snapshots, edits, two formats of one page,
//! provenance, webhooks, and bad documents that change nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const FIXTURES: &[(&str, &str)] = &[
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

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

async fn ingest(app: &TestApp, format: &str, query: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/ingest/{format}{query}")))
        .bearer_auth(&app.token)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn ingest_ok(app: &TestApp, format: &str, body: Vec<u8>) -> Value {
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
    assert!(after_first[0].1 >= 15, "incidents: {after_first:?}");
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
async fn bad_documents_are_refused_whole_and_change_nothing() {
    let app = spawn_app().await;
    ingest_ok(&app, "gcp", fixture("gcp/incidents.json")).await;
    let before = app.snapshot();
    let good = fixture("statuspage/incident_backfilled.json");
    let truncated = good[..good.len() / 2].to_vec();
    let bomb = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><feed xmlns="http://www.w3.org/2005/Atom"><title>&lol4;</title><entry><id>x</id><title>&lol4;</title><updated>nope</updated></entry></feed>"#.to_vec();
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode)> = vec![
        (
            "statuspage",
            "?service=acme",
            truncated,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "statuspage",
            "?service=acme",
            vec![0xff, 0xfe, 0x00, 0xd8, 0x41],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "statuspage",
            "?service=acme",
            br#"{"incident": {"id": 5, "name": ["x"]}}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "gcp",
            "?service=acme",
            b"[{\"id\": \"a\"}, 7]".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "atom",
            "?service=acme",
            b"<feed><entry>".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "atom",
            "?service=acme",
            bomb,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "checkly",
            "",
            fixture("checkly/unresolved-incidents.json"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "statuspage",
            "?service=Not%20A%20Slug",
            good.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "myspace",
            "?service=acme",
            good.clone(),
            StatusCode::NOT_FOUND,
        ),
        (
            "statuspage",
            "?service=acme",
            vec![b' '; 17 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (n, (format, query, body, status)) in cases.into_iter().enumerate() {
        let res = ingest(&app, format, query, body).await;
        assert_eq!(res.status(), status, "case {n}");
        let problem = assert_problem(res, status).await;
        assert!(!problem["detail"].as_str().unwrap().is_empty());
    }
    let res = app
        .client
        .post(app.url("/api/v1/ingest/statuspage"))
        .body(good)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn a_parse_error_says_where_the_document_broke() {
    let app = spawn_app().await;
    let res = ingest(
        &app,
        "statuspage",
        "?service=acme",
        b"{\n  \"incident\": {\n    \"id\": \"x\",,\n".to_vec(),
    )
    .await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("line 3"),
        "{problem}"
    );
}

#[actix_web::test]
async fn a_webhook_source_has_its_own_secret_url() {
    let app = spawn_app().await;
    let source = app
        .db
        .write(|c| {
            aftermath::db::services::ensure_exist(
                c,
                &[aftermath::domain::ServiceSlug::parse("s", "acme").unwrap()],
            )?;
            aftermath::db::sources::add(
                c,
                &aftermath::db::sources::NewSource {
                    kind: "statuspage-webhook".into(),
                    format: None,
                    url: None,
                    service: "acme".into(),
                    interval_secs: None,
                    secret: Some("s3cret".into()),
                },
            )
        })
        .unwrap();
    let body = fixture("statuspage/webhook_incident.json");
    let post = |path: String, body: Vec<u8>| app.client.post(app.url(&path)).body(body).send();
    let before = app.snapshot();
    assert_problem(
        post(format!("/api/v1/hooks/{}/wrong", source.id), body.clone())
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        post(
            format!("/api/v1/hooks/{}/s3cret", uuid::Uuid::now_v7()),
            body.clone(),
        )
        .await
        .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.snapshot(), before);
    let res = post(format!("/api/v1/hooks/{}/s3cret", source.id), body)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["created"], 1);
    let res = post(
        format!("/api/v1/hooks/{}/s3cret", source.id),
        b"{not json".to_vec(),
    )
    .await
    .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let stored = app
        .db
        .run(|c| aftermath::db::sources::get(c, &source.id))
        .unwrap();
    assert!(stored.last_success_at.is_some());
    assert!(stored.last_error.unwrap().contains("invalid JSON"));
    let incidents = app.get_json("/api/v1/incidents?service=acme").await;
    assert_eq!(incidents["items"].as_array().unwrap().len(), 1);

    // The admin page shows the webhook with its last success and last error, to signed-in people.
    let res = app.get("/admin/sources").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    crate::forms::sign_in(&app).await;
    let page = crate::helpers::html(app.get("/admin/sources").await, StatusCode::OK).await;
    assert!(
        page.contains(&format!("/api/v1/hooks/{}/s3cret", source.id)),
        "{page}"
    );
    assert!(page.contains("invalid JSON"));
}

mod idempotence {
    use aftermath::correlate::{self, Origin};
    use aftermath::domain::ServiceSlug;
    use proptest::prelude::*;

    use super::{FIXTURES, fixture};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// Whatever documents arrive, in whatever order and with repeats, ingesting the same
        /// sequence again changes nothing.
        #[test]
        fn replaying_any_sequence_of_documents_changes_nothing(picks in proptest::collection::vec(0..FIXTURES.len(), 1..10)) {
            let dir = tempfile::tempdir().unwrap();
            let (url, _schema) = crate::helpers::fresh_database(dir.path());
            let db = aftermath::db::Db::connect(&url).unwrap();
            let service = ServiceSlug::parse("service", "acme").unwrap();
            let docs: Vec<(&str, Vec<u8>)> = picks.iter().map(|&i| (FIXTURES[i].1, fixture(FIXTURES[i].1))).collect();
            for (path, bytes) in &docs {
                correlate::ingest_bytes(&db, None, Some(&service), bytes, &Origin(path.to_string())).unwrap();
            }
            for (path, bytes) in &docs {
                let report = correlate::ingest_bytes(&db, None, Some(&service), bytes, &Origin(path.to_string())).unwrap();
                prop_assert!(report.changed_nothing(), "{path} changed on replay: {report:?}");
            }
        }
    }
}
