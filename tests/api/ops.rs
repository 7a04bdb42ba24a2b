//! Health, metrics and the OpenAPI document.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{backend_name, spawn_app};

#[actix_web::test]
async fn healthz_says_ok_names_the_backend_and_the_index_lag() {
    let app = spawn_app().await;
    app.create_incident(json!({"title": "x", "services": ["api"]}))
        .await;
    app.search(&[("q", "x")]).await;
    let health = app.get_json("/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["database"], backend_name(), "{health}");
    // On PostgreSQL the election may not have run yet; SQLite's one process always leads.
    let leader = health["leader"].as_bool().expect("a leader boolean");
    assert!(leader || backend_name() == "postgres", "{health}");
    assert_eq!(
        (&health["index_lag_seconds"], &health["index_behind_rows"]),
        (&json!(0.0), &json!(0)),
        "caught up: {health}"
    );
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool_and_writes() {
    let app = spawn_app().await;
    app.create_incident(json!({"title": "x", "services": ["api"]}))
        .await;
    app.get("/api/v1/incidents/not-an-id").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for needle in [
        "aftermath_http_requests_total{endpoint=\"/api/v1/incidents\",method=\"POST\",status=\"201\"}",
        "aftermath_http_requests_total{endpoint=\"/api/v1/incidents/{id}\",method=\"GET\",status=\"400\"}",
        "aftermath_http_requests_duration_seconds_bucket{endpoint=\"/api/v1/incidents\"",
        "aftermath_db_pool_connections ",
        "aftermath_db_pool_idle_connections ",
        "aftermath_db_pool_max_size ",
        "aftermath_writes_total{entity=\"incident\",operation=\"upsert\"}",
        "aftermath_outbox_rows 1",
        "aftermath_index_lag_seconds ",
        "aftermath_index_behind_rows ",
        "aftermath_outbox_replicas{kind=\"index\"} 1",
        "aftermath_outbox_replica_position_age_seconds{host=",
        "aftermath_outbox_replica_heartbeat_age_seconds{host=",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

/// Every route of the JSON API (and the operational ones) is described, with its methods.
#[actix_web::test]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let routes = [
        ("/api/v1/incidents", "get"),
        ("/api/v1/incidents", "post"),
        ("/api/v1/incidents/{id}", "get"),
        ("/api/v1/incidents/{id}", "patch"),
        ("/api/v1/incidents/{id}/updates", "post"),
        ("/api/v1/incidents/{id}/postmortem", "get"),
        ("/api/v1/incidents/{id}/postmortem", "post"),
        ("/api/v1/incidents/{id}/postmortem/revisions", "get"),
        ("/api/v1/incidents/{id}/postmortem/diff", "get"),
        ("/api/v1/incidents/{id}/postmortem/regenerate", "post"),
        ("/api/v1/services", "get"),
        ("/api/v1/services/{slug}", "get"),
        ("/api/v1/services/{slug}", "put"),
        ("/api/v1/ingest/{format}", "post"),
        ("/api/v1/hooks/{source_id}/{secret}", "post"),
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/api/openapi.json", "get"),
        ("/api/v2/summary.json", "get"),
        ("/api/v2/incidents.json", "get"),
        ("/api/v2/incidents/unresolved.json", "get"),
        ("/feed.atom", "get"),
        ("/api/v2/status.json", "get"),
        ("/api/v2/components.json", "get"),
        ("/api/v2/scheduled-maintenances.json", "get"),
        ("/api/v2/scheduled-maintenances/upcoming.json", "get"),
        ("/api/v2/scheduled-maintenances/active.json", "get"),
        ("/history.rss", "get"),
        ("/services/{slug}/feed.atom", "get"),
        ("/api/v1/search", "get"),
        ("/api/v1/search/suggest", "get"),
        ("/api/v1/incidents/{id}/similar", "get"),
        // User reports and links.
        ("/api/v1/reports", "post"),
        ("/api/v1/ingest/reports-jsonl", "post"),
        ("/api/v1/ingest/services", "post"),
        ("/api/v1/incidents/{id}/links/{other}/confirm", "post"),
        ("/api/v1/incidents/{id}/links/{other}", "delete"),
        // Administration (admin tokens only).
        ("/api/v1/sources", "get"),
        ("/api/v1/sources", "post"),
        ("/api/v1/sources/{id}", "delete"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{id}", "delete"),
        // Notifications out (a write token manages its own).
        ("/api/v1/subscriptions", "get"),
        ("/api/v1/subscriptions", "post"),
        ("/api/v1/subscriptions/{id}", "get"),
        ("/api/v1/subscriptions/{id}", "delete"),
        ("/api/v1/subscriptions/{id}/rotate-secret", "post"),
        ("/api/v1/subscriptions/{id}/resume", "post"),
        ("/api/v1/subscriptions/{id}/test", "post"),
        ("/api/v1/subscriptions/{id}/deliveries", "get"),
    ];
    for (path, method) in routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "a documented route is missing from this test's list"
    );
    assert!(doc["components"]["schemas"]["IncidentJson"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // And every documented GET without parameters really answers (to an admin token).
    let admin = app.token_of(aftermath::db::tokens::Scope::Admin);
    for (path, method) in routes {
        if method == "get" && !path.contains('{') {
            let res = app.client.get(app.url(path)).bearer_auth(&admin).send();
            assert_eq!(res.await.unwrap().status(), StatusCode::OK, "GET {path}");
        }
    }
}
