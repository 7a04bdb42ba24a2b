//! Headers on every response: pages keep a strict Content-Security-Policy (no inline script
//! or style), nothing may be sniffed into another type, and no address leaks to other sites.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::json;

use crate::forms::sign_in;
use crate::helpers::{TestApp, html, spawn_app};

const PAGE_CSP: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every page a visitor or a signed-in person can open, with a table in a postmortem.
async fn every_page(app: &TestApp) -> Vec<String> {
    let incident = app
        .create_incident(json!({"title": "Outage", "services": ["api"], "body": "It broke."}))
        .await;
    let id = incident["id"].as_str().unwrap().to_string();
    let saved = app
        .post_json(
            &format!("/api/v1/incidents/{id}/postmortem"),
            &json!({"markdown": "# PM\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n"}),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::CREATED);
    [
        "/".to_string(),
        "/incidents".into(),
        format!("/incidents/{id}"),
        format!("/incidents/{id}/postmortem"),
        "/incidents/new".into(),
        "/search?q=outage".into(),
        "/services/api".into(),
        "/report".into(),
        "/signin".into(),
    ]
    .into()
}

#[actix_web::test]
async fn every_page_sends_the_strict_policy_and_holds_no_inline_style_or_script() {
    let app = spawn_app().await;
    sign_in(&app).await;
    for path in every_page(&app).await {
        let res = app.get(&path).await;
        assert_eq!(
            header(res.headers(), "content-security-policy"),
            Some(PAGE_CSP),
            "{path}"
        );
        assert_eq!(
            header(res.headers(), "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header(res.headers(), "referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
        let page = html(res, StatusCode::OK).await;
        // Scripts are files of our own under /static/ (the search box's suggestions), never
        // inline: take those out, and nothing script-like may be left.
        let page = page.replace("<script src=\"/static/", "");
        for banned in [
            " style=",
            "<style",
            "<script",
            " onclick=",
            " onerror=",
            "javascript:",
        ] {
            assert!(!page.contains(banned), "{path} holds {banned:?}");
        }
    }
}

#[actix_web::test]
async fn api_answers_and_errors_are_not_sniffed_and_carry_no_page_policy() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/incidents",
        "/api/v1/incidents/not-an-id",
        "/healthz",
        "/feed.atom",
    ] {
        let res = app.get(path).await;
        assert_eq!(
            header(res.headers(), "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header(res.headers(), "referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            header(res.headers(), "content-security-policy"),
            None,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn the_standalone_postmortem_allows_only_its_own_stylesheet_by_hash() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "Outage", "services": ["api"]}))
        .await;
    let id = incident["id"].as_str().unwrap();
    let res = app.get(&format!("/incidents/{id}/postmortem.html")).await;
    let csp = header(res.headers(), "content-security-policy")
        .unwrap()
        .to_string();
    let page = html(res, StatusCode::OK).await;
    let style = page
        .split("<style>")
        .nth(1)
        .unwrap()
        .split("</style>")
        .next()
        .unwrap();
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
    assert_eq!(
        csp,
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
    );
}

#[actix_web::test]
async fn report_charts_carry_their_own_restrictive_policy() {
    let app = spawn_app().await;
    app.put_json("/api/v1/services/api", &json!({"name": "API"}))
        .await;
    let res = app.get("/services/api/reports.svg").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = header(res.headers(), "content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
}
