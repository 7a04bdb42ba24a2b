//! Ingest that must fail cleanly, webhooks with their secret URLs, and replay idempotence.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};
use crate::ingest::{fixture, ingest, ingest_ok};

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

    // The admin page shows the webhook with its last success and last error, to admins only:
    // the address carries the secret.
    let res = app.get("/admin/sources").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    crate::forms::sign_in(&app).await;
    let refused =
        crate::helpers::html(app.get("/admin/sources").await, StatusCode::FORBIDDEN).await;
    assert!(!refused.contains("s3cret"), "{refused}");
    let admin = app.token_of(aftermath::db::tokens::Scope::Admin);
    crate::forms::sign_in_with(&app, &admin).await;
    let page = crate::helpers::html(app.get("/admin/sources").await, StatusCode::OK).await;
    assert!(
        page.contains(&format!("/api/v1/hooks/{}/s3cret", source.id)),
        "{page}"
    );
    assert!(page.contains("invalid JSON"));
}

mod idempotence {
    use aftermath::correlate::{self, Provenance};
    use aftermath::domain::ServiceSlug;
    use proptest::prelude::*;

    use crate::ingest::{FIXTURES, fixture};

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
                correlate::ingest_bytes(&db, None, Some(&service), bytes, &Provenance(path.to_string())).unwrap();
            }
            for (path, bytes) in &docs {
                let report = correlate::ingest_bytes(&db, None, Some(&service), bytes, &Provenance(path.to_string())).unwrap();
                prop_assert!(report.changed_nothing(), "{path} changed on replay: {report:?}");
            }
        }
    }
}
