//! Filing user reports: the public endpoint, the token holder's backfill, and every bad input.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// Declares a service so reports about it are taken.
pub async fn add_service(app: &TestApp, slug: &str, kind: &str, depends_on: &[&str]) {
    let res = app
        .put_json(
            &format!("/api/v1/services/{slug}"),
            &json!({"name": slug.to_uppercase(), "kind": kind, "depends_on": depends_on}),
        )
        .await;
    assert!(res.status().is_success(), "PUT service {slug}");
}

async fn file(app: &TestApp, user_agent: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/reports"))
        .header("user-agent", user_agent)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// (stored reports, counted reports).
fn totals(app: &TestApp) -> (i64, i64) {
    app.db.run(aftermath::db::reports::totals).unwrap()
}

async fn backfill(app: &TestApp, body: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/ingest/reports-jsonl"))
        .bearer_auth(&app.token)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_public_report_is_accepted_and_counted_once_per_reporter_and_quarter_hour() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let report = json!({"service": "snapgram", "symptom": "login", "comment": "cannot log in", "country": "fr"});
    let first = file(&app, "browser-a", &report).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(
        (first["accepted"].as_bool(), first["counted"].as_bool()),
        (Some(true), Some(true))
    );

    let again: Value = file(&app, "browser-a", &report).await.json().await.unwrap();
    assert_eq!(
        again["counted"], false,
        "a duplicate is accepted but not counted"
    );
    let other: Value = file(&app, "browser-b", &report).await.json().await.unwrap();
    assert_eq!(
        other["counted"], false,
        "the same address under another user agent is the same reporter"
    );
    assert_eq!(totals(&app), (3, 1));

    let service = app.get_json("/api/v1/services/snapgram").await;
    let counted: i64 = service["report_buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 1);
}

#[actix_web::test]
async fn the_reporter_is_stored_only_as_a_salted_hash() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    file(&app, "SecretAgent/1.0", &json!({"service": "snapgram"})).await;
    let (hash, salt) = app
        .db
        .run(|conn| {
            use aftermath::db::schema::reports;
            use diesel::prelude::*;
            let hash: String = reports::table.select(reports::reporter_hash).first(conn)?;
            Ok((hash, aftermath::correlate::reports::reporter_salt(conn)?))
        })
        .unwrap();
    assert_eq!(hash.len(), 64);
    assert!(!hash.contains("127.0.0.1") && !hash.contains("SecretAgent"));
    let unsalted = aftermath::domain::report::reporter_hash(b"", &["public", "127.0.0.1"]);
    assert_ne!(hash, unsalted);
    assert_eq!(
        hash,
        aftermath::domain::report::reporter_hash(&salt, &["public", "127.0.0.1"]),
        "the reporter is the address alone: the user agent is the client's to choose"
    );
}

#[actix_web::test]
async fn a_reported_at_sent_by_the_public_is_ignored() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let res = file(
        &app,
        "ua",
        &json!({"service": "snapgram", "reported_at": "2020-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let body: Value = res.json().await.unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(body["reported_at"].as_str().unwrap()).unwrap();
    assert!(chrono::Utc::now().signed_duration_since(at) < chrono::Duration::minutes(1));
}

#[actix_web::test]
async fn bad_public_reports_get_a_problem_and_change_nothing() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let before = app.snapshot();
    let cases = [
        (
            json!({"service": "no-such-service"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "service",
        ),
        (
            json!({"service": "snapgram", "comment": "x".repeat(501)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "comment",
        ),
        (
            json!({"service": "snapgram", "comment": "ring\u{7}the bell"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "comment",
        ),
        (
            json!({"service": "snapgram", "symptom": "sad"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "symptom",
        ),
        (
            json!({"service": "snapgram", "country": "France"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "country",
        ),
        (
            json!({"service": "snapgram", "extra": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
        ),
    ];
    for (body, status, field) in cases {
        let problem = assert_problem(file(&app, "ua", &body).await, status).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    let empty = app
        .client
        .post(app.url("/api/v1/reports"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_problem(empty, StatusCode::BAD_REQUEST).await;
    assert_eq!(totals(&app), (0, 0));
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn a_flood_from_one_address_gets_429_as_a_problem() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let mut limited = None;
    let mut accepted = 0;
    for i in 0..40 {
        let res = file(&app, &format!("bot-{i}"), &json!({"service": "snapgram"})).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        accepted += 1;
    }
    let limited = limited.expect("the flood was never limited");
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(
        totals(&app),
        (accepted, 1),
        "refused reports are not stored, and one address counts once"
    );
}

#[actix_web::test]
async fn a_backfill_takes_past_times_and_counts_duplicates_once() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let body = "\
{\"service\":\"snapgram\",\"reported_at\":\"2019-05-01T10:00:05Z\",\"reporter\":\"u1\",\"comment\":\"down\"}
{\"service\":\"snapgram\",\"reported_at\":\"2019-05-01T10:03:00Z\",\"reporter\":\"u1\"}

{\"service\":\"snapgram\",\"reported_at\":\"2019-05-01T10:20:00+02:00\",\"reporter\":\"u2\",\"symptom\":\"app\",\"country\":\"de\"}
";
    let res = backfill(&app, body).await;
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (
            report["reports"].as_i64(),
            report["counted"].as_i64(),
            report["duplicates"].as_i64()
        ),
        (Some(3), Some(2), Some(1))
    );
}

#[actix_web::test]
async fn a_bad_backfill_line_is_named_and_nothing_of_the_document_is_stored() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let before = app.snapshot();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let good = r#"{"service":"snapgram","reported_at":"2019-05-01T10:00:00Z","reporter":"u1"}"#;
    let cases = [
        (
            format!(
                "{good}\n{{\"service\":\"snapgram\",\"reported_at\":\"{tomorrow}\",\"reporter\":\"u2\"}}\n"
            ),
            "line 2: reported_at: must not be in the future",
        ),
        (format!("{good}\nnot json\n"), "line 2:"),
        (
            format!(
                "{good}\n{{\"service\":\"ghost\",\"reported_at\":\"2019-05-01T10:00:00Z\",\"reporter\":\"u3\"}}\n"
            ),
            "line 2: service: unknown service",
        ),
        (
            format!(
                "{good}\n{{\"service\":\"snapgram\",\"reported_at\":\"2019-05-01T10:00:00Z\",\"reporter\":\"u3\",\"comment\":\"{}\"}}\n",
                "y".repeat(501)
            ),
            "line 2: comment",
        ),
        (String::new(), "no reports"),
    ];
    for (body, expected) in cases {
        let problem = assert_problem(
            backfill(&app, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(
            problem["detail"].as_str().unwrap().contains(expected),
            "{problem}"
        );
    }
    assert_eq!(totals(&app), (0, 0));
    assert_eq!(app.snapshot(), before, "nothing else changed either");
    let anonymous = app
        .client
        .post(app.url("/api/v1/ingest/reports-jsonl"))
        .body(good)
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED).await;
}
