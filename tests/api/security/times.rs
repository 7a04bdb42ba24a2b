//! Time bombs: a time from year 1 (or 9999) made one chart request allocate a counter per
//! minute since year 1, and a backfill do the same inside the write lock. Every time from
//! outside now lies between 1990-01-01 and tomorrow (a scheduled maintenance: a year ahead),
//! or is refused like any bad value, naming the field or the place, and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const BOMBS: &[&str] = &[
    "0001-01-01T00:00:00Z",
    "1989-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "2999-01-01T00:00:00+14:00",
];

/// The problem names `field` (in its errors, or its detail).
fn names(problem: &Value, field: &str) -> bool {
    problem.to_string().contains(field)
}

#[actix_web::test]
async fn api_fields_out_of_range_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "Real", "services": ["api"]}))
        .await;
    let id = incident["id"].as_str().unwrap();
    let before = app.snapshot();
    for bomb in BOMBS {
        let cases = [
            (
                "/api/v1/incidents".to_string(),
                json!({"title": "T", "services": ["api"], "started_at": bomb}),
                "started_at",
            ),
            (
                format!("/api/v1/incidents/{id}/updates"),
                json!({"body": "b", "occurred_at": bomb}),
                "occurred_at",
            ),
        ];
        for (path, body, field) in cases {
            let problem = assert_problem(
                app.post_json(&path, &body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert!(names(&problem, field), "{bomb} {field}: {problem}");
        }
        let res = app
            .patch_json(
                &format!("/api/v1/incidents/{id}"),
                &json!({"acknowledged_at": bomb}),
            )
            .await;
        let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(names(&problem, "acknowledged_at"), "{bomb}: {problem}");
    }
    assert_eq!(app.snapshot(), before, "a refused time changed the store");
}

#[actix_web::test]
async fn query_filters_out_of_range_are_refused_naming_the_filter() {
    let app = spawn_app().await;
    for bomb in BOMBS {
        let encoded = bomb.replace('+', "%2B");
        for path in [
            format!("/api/v1/incidents?since={encoded}"),
            format!("/api/v1/search?q=x&until={encoded}"),
        ] {
            let problem =
                assert_problem(app.get(&path).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            let field = if path.contains("since") {
                "since"
            } else {
                "until"
            };
            assert!(names(&problem, field), "{path}: {problem}");
        }
    }
}

/// A Statuspage incident whose post is dated `when`.
fn statuspage_dated(when: &str) -> Vec<u8> {
    json!({
        "page": {"id": "bombpage0001", "name": "Bomb"},
        "incidents": [{
            "id": "bomb00000001",
            "name": "Dated outage",
            "status": "investigating",
            "impact": "minor",
            "created_at": "2025-10-20T07:00:00Z",
            "updated_at": "2025-10-20T07:00:00Z",
            "incident_updates": [{
                "id": "bombupdate01",
                "status": "investigating",
                "body": "It broke.",
                "created_at": when,
                "display_at": when,
                "updated_at": when
            }]
        }]
    })
    .to_string()
    .into_bytes()
}

#[actix_web::test]
async fn a_document_with_a_time_out_of_range_is_refused_whole_naming_the_place() {
    let app = spawn_app().await;
    let before = app.snapshot();
    for bomb in BOMBS {
        let res =
            crate::ingest::ingest(&app, "statuspage", "?service=bomb", statuspage_dated(bomb))
                .await;
        let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(names(&problem, "at incidents[0]."), "{bomb}: {problem}");
        assert!(names(&problem, "1990-01-01"), "{problem}");
    }
    assert_eq!(app.snapshot(), before);
    // The same document, dated in range, goes in.
    let res = crate::ingest::ingest(
        &app,
        "statuspage",
        "?service=bomb",
        statuspage_dated("2025-10-20T07:05:00Z"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_file_with_a_time_out_of_range_is_refused_naming_the_file_and_the_place() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bomb.json");
    std::fs::write(&file, statuspage_dated("0001-01-01T00:00:00Z")).unwrap();
    let before = app.snapshot();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aftermath"))
        .env_remove("AFTERMATH_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args(["--database-url", &app.database_url, "ingest"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bomb.json"), "{stderr}");
    assert!(stderr.contains("at incidents[0]."), "{stderr}");
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn a_report_line_before_1990_fails_its_file_naming_the_line() {
    let app = spawn_app().await;
    app.put_json("/api/v1/services/api", &json!({"name": "API"}))
        .await;
    let before = app.snapshot();
    let body = "{\"service\":\"api\",\"reported_at\":\"2025-10-20T07:00:00Z\",\"reporter\":\"a\"}\n\
                {\"service\":\"api\",\"reported_at\":\"0001-01-01T00:00:00Z\",\"reporter\":\"b\"}\n";
    let res = app
        .client
        .post(app.url("/api/v1/ingest/reports-jsonl"))
        .bearer_auth(&app.token)
        .body(body)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(names(&problem, "line 2"), "{problem}");
    assert_eq!(app.snapshot(), before);
}

/// An incident as long as the range allows (1990 to now) still charts at once: the chart
/// covers at most 31 days.
async fn chart_of_the_longest_incident(app: &TestApp) -> StatusCode {
    let incident = app
        .create_incident(
            json!({"title": "Long", "services": ["api"], "started_at": "1990-01-01T00:00:00Z"}),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    app.get(&format!("/incidents/{id}/reports.svg"))
        .await
        .status()
}

#[actix_web::test]
async fn the_chart_of_an_incident_open_since_1990_covers_a_bounded_span() {
    let app = spawn_app().await;
    assert_eq!(chart_of_the_longest_incident(&app).await, StatusCode::OK);
}

/// Reports bursting for five minutes from `start`: 20 a minute, each from its own reporter.
fn burst(service: &str, start: chrono::DateTime<chrono::Utc>, tag: &str) -> String {
    let mut lines = String::new();
    for minute in 0..5 {
        for n in 0..20 {
            let at = start + chrono::Duration::minutes(minute) + chrono::Duration::seconds(n);
            lines.push_str(&format!(
                "{{\"service\":\"{service}\",\"reported_at\":\"{}\",\"reporter\":\"{tag}-{minute}-{n}\"}}\n",
                at.to_rfc3339()
            ));
        }
    }
    lines
}

#[actix_web::test]
async fn a_backfill_two_months_back_is_evaluated_in_bounded_passes_and_finds_every_spike() {
    use chrono::{DurationRound, TimeDelta, Utc};
    let app = spawn_app().await;
    app.put_json("/api/v1/services/api", &json!({"name": "API"}))
        .await;
    let now = Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap();
    // One spike 60 days back and one 2 days back: more than one 31-day pass apart. A report a
    // day before the first gives the service history, so the first burst is measured against
    // a quiet hour rather than against itself.
    let history = format!(
        "{{\"service\":\"api\",\"reported_at\":\"{}\",\"reporter\":\"first\"}}\n",
        (now - chrono::Duration::days(61)).to_rfc3339()
    );
    let body = history
        + burst("api", now - chrono::Duration::days(60), "old").as_str()
        + burst("api", now - chrono::Duration::days(2), "new").as_str();
    let res = app
        .client
        .post(app.url("/api/v1/ingest/reports-jsonl"))
        .bearer_auth(&app.token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let onsets: Vec<chrono::NaiveDateTime> = app
        .db
        .run(|c| {
            use aftermath::db::schema::report_spikes;
            use diesel::prelude::*;
            Ok(report_spikes::table.select(report_spikes::onset).load(c)?)
        })
        .unwrap();
    assert_eq!(onsets.len(), 2, "{onsets:?} now {now}");
}
