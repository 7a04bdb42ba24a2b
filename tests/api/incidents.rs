//! The incidents API: create, read, list with filters and cursors, patch, and updates that move
//! the status and the milestones.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[actix_web::test]
async fn creating_an_incident_answers_201_with_its_timeline_and_creates_unknown_services() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "DNS failures in us-east-1", "services": ["nimbus-us-east-1"], "impact": "critical",
                    "started_at": "2025-10-20T07:11:00Z", "body": "We are investigating DNS errors."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let incident: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/incidents/{}", incident["id"].as_str().unwrap())
    );
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["impact"], "critical");
    assert_eq!(incident["origin"], "manual");
    assert_eq!(incident["services"], json!(["nimbus-us-east-1"]));
    assert_eq!(incident["started_at"], "2025-10-20T07:11:00Z");
    assert_eq!(
        incident["timeline"][0]["body"],
        "We are investigating DNS errors."
    );
    assert_eq!(incident["timeline"][0]["kind"], "status_update");
    assert_eq!(incident["links"], json!([]));
    let service = app.get_json("/api/v1/services/nimbus-us-east-1").await;
    assert_eq!(service["kind"], "application");
}

#[actix_web::test]
async fn an_incident_reads_back_with_services_timeline_links_and_milestones() {
    let app = spawn_app().await;
    let created = app
        .create_incident(json!({"title": "Webhooks delayed", "services": ["forge"]}))
        .await;
    let id = created["id"].as_str().unwrap();
    let read = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    for key in [
        "id",
        "title",
        "status",
        "impact",
        "origin",
        "services",
        "started_at",
        "detected_at",
        "acknowledged_at",
        "mitigated_at",
        "resolved_at",
        "report_count",
        "timeline",
        "links",
    ] {
        assert!(read.get(key).is_some(), "missing {key} in {read}");
    }
    assert_eq!(
        read["timeline"][0]["body"], "Webhooks delayed",
        "the title stands in for a missing first update"
    );
    assert_eq!(read["resolved_at"], Value::Null);
}

#[actix_web::test]
async fn updates_move_the_status_and_set_each_milestone_once() {
    let app = spawn_app().await;
    let i = app
        .create_incident(
            json!({"title": "Errors", "services": ["api"], "started_at": "2025-10-20T07:00:00Z"}),
        )
        .await;
    let path = format!("/api/v1/incidents/{}/updates", i["id"].as_str().unwrap());
    for (status, at) in [
        ("identified", "07:30"),
        ("investigating", "07:45"),
        ("identified", "08:00"),
        ("monitoring", "09:00"),
        ("resolved", "10:00"),
    ] {
        let res = app
            .post_json(
                &path,
                &json!({"body": format!("now {status}"), "status": status,
                                               "occurred_at": format!("2025-10-20T{at}:00Z")}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let read = app
        .get_json(&format!("/api/v1/incidents/{}", i["id"].as_str().unwrap()))
        .await;
    assert_eq!(read["status"], "resolved");
    assert_eq!(
        read["acknowledged_at"], "2025-10-20T07:30:00Z",
        "the first identified wins"
    );
    assert_eq!(read["mitigated_at"], "2025-10-20T09:00:00Z");
    assert_eq!(read["resolved_at"], "2025-10-20T10:00:00Z");
    assert_eq!(read["durations"]["to_resolve_seconds"], 3 * 3600);
    assert_eq!(read["timeline"].as_array().unwrap().len(), 6);
}

#[actix_web::test]
async fn a_backfilled_update_older_than_the_latest_does_not_move_the_status() {
    let app = spawn_app().await;
    let i = app
        .create_incident(
            json!({"title": "Errors", "services": ["api"], "started_at": "2025-10-20T07:00:00Z"}),
        )
        .await;
    let id = i["id"].as_str().unwrap();
    let path = format!("/api/v1/incidents/{id}/updates");
    app.post_json(
        &path,
        &json!({"body": "fixed", "status": "resolved", "occurred_at": "2025-10-20T10:00:00Z"}),
    )
    .await;
    app.post_json(&path, &json!({"body": "mitigation", "status": "monitoring", "occurred_at": "2025-10-20T09:00:00Z"})).await;
    let read = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(read["status"], "resolved");
    assert_eq!(read["mitigated_at"], "2025-10-20T09:00:00Z");
    let times: Vec<&str> = read["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2025-10-20T07:00:00Z",
            "2025-10-20T09:00:00Z",
            "2025-10-20T10:00:00Z"
        ],
        "oldest first"
    );
}

#[actix_web::test]
async fn a_person_can_override_milestones_and_clear_them_with_null() {
    let app = spawn_app().await;
    let i = app
        .create_incident(
            json!({"title": "Slow", "services": ["api"], "started_at": "2025-10-20T07:00:00Z"}),
        )
        .await;
    let path = format!("/api/v1/incidents/{}", i["id"].as_str().unwrap());
    let res = app.patch_json(&path, &json!({"title": "Slow API", "impact": "major", "acknowledged_at": "2025-10-20T07:05:00Z"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.post_json(
        &format!("{path}/updates"),
        &json!({"body": "found it", "status": "identified", "occurred_at": "2025-10-20T07:30:00Z"}),
    )
    .await;
    let read = app.get_json(&path).await;
    assert_eq!(read["title"], "Slow API");
    assert_eq!(read["impact"], "major");
    assert_eq!(
        read["acknowledged_at"], "2025-10-20T07:05:00Z",
        "a time a person set is not moved by updates"
    );
    let cleared: Value = app
        .patch_json(&path, &json!({"acknowledged_at": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["acknowledged_at"], Value::Null);
}

#[actix_web::test]
async fn patching_the_status_to_resolved_sets_resolved_at() {
    let app = spawn_app().await;
    let i = app
        .create_incident(
            json!({"title": "Down", "services": ["api"], "started_at": "2025-10-20T07:00:00Z"}),
        )
        .await;
    let path = format!("/api/v1/incidents/{}", i["id"].as_str().unwrap());
    let read: Value = app
        .patch_json(&path, &json!({"status": "resolved"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["status"], "resolved");
    assert!(read["resolved_at"].is_string());
}

async fn ids_of(app: &crate::helpers::TestApp, path: &str) -> (Vec<String>, Option<String>) {
    let page = app.get_json(path).await;
    assert!(
        page["items"][0].get("timeline").is_none(),
        "lists leave the timeline out"
    );
    let ids = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    (ids, page["next_cursor"].as_str().map(str::to_string))
}

#[actix_web::test]
async fn the_list_pages_with_a_cursor_newest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for n in 0..7 {
        // Two incidents share each start time, so the cursor must break ties.
        let at = format!("2025-01-0{}T00:00:00Z", 1 + n / 2);
        created.push(
            app.create_incident(
                json!({"title": format!("incident {n}"), "services": ["api"], "started_at": at}),
            )
            .await,
        );
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/incidents?limit=3".to_string();
    loop {
        let (ids, next) = ids_of(&app, &path).await;
        seen.extend(ids);
        match next {
            Some(c) => path = format!("/api/v1/incidents?limit=3&cursor={c}"),
            None => break,
        }
    }
    let mut expected: Vec<(String, String)> = created
        .iter()
        .map(|i| {
            (
                i["started_at"].as_str().unwrap().to_string(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        seen,
        expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    );
}

#[actix_web::test]
async fn the_list_filters_by_status_service_and_start_time() {
    let app = spawn_app().await;
    let a = app
        .create_incident(
            json!({"title": "a", "services": ["alpha"], "started_at": "2024-05-01T00:00:00Z"}),
        )
        .await;
    let b = app.create_incident(json!({"title": "b", "services": ["beta"], "status": "resolved", "started_at": "2024-06-01T00:00:00Z"})).await;
    let c = app.create_incident(json!({"title": "c", "services": ["alpha", "beta"], "started_at": "2024-07-01T00:00:00Z"})).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    assert_eq!(
        ids_of(&app, "/api/v1/incidents?service=alpha").await.0,
        [id(&c), id(&a)]
    );
    assert_eq!(
        ids_of(&app, "/api/v1/incidents?status=resolved").await.0,
        [id(&b)]
    );
    assert_eq!(
        ids_of(
            &app,
            "/api/v1/incidents?since=2024-06-01T00:00:00Z&until=2024-07-01T00:00:00Z"
        )
        .await
        .0,
        [id(&b)],
        "since is inclusive, until exclusive"
    );
    let none = app.get_json("/api/v1/incidents?service=nobody").await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["next_cursor"], Value::Null);
}

#[actix_web::test]
async fn every_write_announces_the_incident_in_the_outbox() {
    let app = spawn_app().await;
    let outbox = |app: &crate::helpers::TestApp| app.snapshot().rows("outbox");
    let i = app
        .create_incident(json!({"title": "x", "services": ["api"]}))
        .await;
    assert_eq!(outbox(&app), 1);
    let path = format!("/api/v1/incidents/{}", i["id"].as_str().unwrap());
    app.post_json(&format!("{path}/updates"), &json!({"body": "b"}))
        .await;
    assert_eq!(outbox(&app), 2);
    app.patch_json(&path, &json!({"title": "y"})).await;
    assert_eq!(outbox(&app), 3);
    let rows = app
        .db
        .run(|c| aftermath::db::outbox::read_after(c, 0, 10))
        .unwrap();
    assert!(
        rows.iter()
            .all(|r| r.entity == "incident" && r.entity_id == i["id"].as_str().unwrap())
    );
    assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq));
}

#[actix_web::test]
async fn an_unknown_incident_is_a_404_problem() {
    let app = spawn_app().await;
    let res = app
        .get(&format!("/api/v1/incidents/{}", uuid::Uuid::now_v7()))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
}
