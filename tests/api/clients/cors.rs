//! CORS: `Access-Control-Allow-Origin: *` and preflight answers on the public reads only.

use reqwest::{Method, Response, StatusCode};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const OTHER: &str = "https://widget.example";

fn allow_origin(res: &Response) -> Option<String> {
    res.headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_string())
}

/// A browser's preflight for a `GET` with a header that is not CORS-safelisted.
async fn preflight(app: &TestApp, path: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("Origin", OTHER)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "if-none-match")
        .send()
        .await
        .unwrap()
}

async fn get_from_elsewhere(app: &TestApp, path: &str) -> Response {
    app.client
        .get(app.url(path))
        .header("Origin", OTHER)
        .send()
        .await
        .unwrap()
}

const SHARED: &[&str] = &[
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
    "/api/v1/incidents",
    "/api/v1/services",
    "/feed.atom",
    "/history.rss",
    "/api/openapi.json",
];

#[actix_web::test]
async fn public_reads_answer_other_origins_and_their_preflights() {
    let app = spawn_app().await;
    for path in SHARED {
        let res = preflight(&app, path).await;
        assert!(
            res.status().is_success(),
            "preflight {path}: {}",
            res.status()
        );
        assert_eq!(allow_origin(&res).as_deref(), Some("*"), "preflight {path}");
        let methods = res.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(methods.contains("GET"), "{path}: {methods}");
        assert!(
            res.headers()
                .get("access-control-allow-credentials")
                .is_none(),
            "never credentials: {path}"
        );
        let res = get_from_elsewhere(&app, path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        assert_eq!(allow_origin(&res).as_deref(), Some("*"), "GET {path}");
    }
    // An error of a public read is readable too, so a widget can say what went wrong.
    let res = get_from_elsewhere(&app, "/api/v2/summary.json?service=nope").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(allow_origin(&res).as_deref(), Some("*"));
}

#[actix_web::test]
async fn pages_forms_writes_and_operations_are_never_shared() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/incidents",
        "/report",
        "/signin",
        "/metrics",
        "/healthz",
    ] {
        let res = get_from_elsewhere(&app, path).await;
        assert_eq!(allow_origin(&res), None, "GET {path}");
        let res = preflight(&app, path).await;
        assert_eq!(allow_origin(&res), None, "preflight {path}");
        assert!(
            !res.status().is_success(),
            "preflight {path}: {}",
            res.status()
        );
    }
    let res = app
        .client
        .post(app.url("/report"))
        .header("Origin", OTHER)
        .form(&[("service", "api")])
        .send()
        .await
        .unwrap();
    assert_eq!(allow_origin(&res), None, "the report form");
    // A write of the API, even where its GET is shared.
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .header("Origin", OTHER)
        .bearer_auth(&app.token)
        .json(&serde_json::json!({"title": "x", "services": ["api"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(allow_origin(&res), None, "a write");
    let res = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/incidents"))
        .header("Origin", OTHER)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success(), "preflight of a write");
}

#[actix_web::test]
async fn private_reads_are_not_shared() {
    let app = spawn_app_with(|c| c.public_read = false).await;
    for path in SHARED {
        let res = app
            .client
            .get(app.url(path))
            .header("Origin", OTHER)
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        assert_eq!(allow_origin(&res), None, "GET {path}");
        assert_eq!(allow_origin(&preflight(&app, path).await), None, "{path}");
    }
}
