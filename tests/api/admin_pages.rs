//! Administration on the pages (`/admin/*`, admin sessions only): tokens, sources and the audit
//! log.

use aftermath::db::tokens::Scope;
use reqwest::StatusCode;

use crate::forms::{csrf_of, sign_in, sign_in_with};
use crate::helpers::{TestApp, html, spawn_app};

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The `/admin/tokens/{id}/revoke` action of the row of the token named `name`.
fn revoke_action(page: &str, name: &str) -> String {
    let row = page
        .split("<tr>")
        .find(|row| row.contains(&format!("<td>{name}</td>")))
        .unwrap();
    let action = row.split("action=\"").nth(1).unwrap();
    action[..action.find('"').unwrap()].to_string()
}

#[actix_web::test]
async fn an_admin_makes_a_token_sees_it_once_revokes_it_and_the_audit_page_says_so() {
    let app = spawn_app().await;
    let admin = app.token_of(Scope::Admin);
    sign_in_with(&app, &admin).await;
    let page = html(app.get("/admin/tokens").await, StatusCode::OK).await;
    let csrf = csrf_of(&page);
    let res = post_form(
        &app,
        "/admin/tokens",
        &[("csrf_token", &csrf), ("name", "ci"), ("scope", "read")],
    )
    .await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let shown = html(res, StatusCode::CREATED).await;
    let secret = shown
        .split("<code class=\"wrap-anywhere\">")
        .nth(1)
        .unwrap();
    let secret = secret[..secret.find('<').unwrap()].to_string();
    assert!(secret.starts_with("am_"), "{shown}");
    let again = html(app.get("/admin/tokens").await, StatusCode::OK).await;
    assert!(!again.contains(&secret), "shown once");
    let res = app
        .client
        .get(app.url("/api/v1/tokens"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "a read token");

    let res = post_form(&app, &revoke_action(&again, "ci"), &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .client
        .get(app.url("/api/v1/tokens"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "revoked at once");

    let audit = html(app.get("/admin/audit").await, StatusCode::OK).await;
    let revoked = audit.find("token revoked").unwrap();
    let created = audit.find("token created").unwrap();
    assert!(revoked < created, "newest first: {audit}");
    assert!(audit.contains("<td>admin</td>") && audit.contains("token ci (read, "));
    assert!(!audit.contains(&secret));

    let res = post_form(
        &app,
        "/admin/tokens",
        &[("csrf_token", &csrf), ("name", "x"), ("scope", "root")],
    )
    .await;
    let page = html(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("unknown scope"), "{page}");
}

#[actix_web::test]
async fn an_admin_adds_and_removes_a_webhook_on_the_sources_page() {
    let app = spawn_app().await;
    sign_in_with(&app, &app.token_of(Scope::Admin)).await;
    let page = html(app.get("/admin/sources").await, StatusCode::OK).await;
    let csrf = csrf_of(&page);
    let res = post_form(
        &app,
        "/admin/sources",
        &[
            ("csrf_token", &csrf),
            ("kind", "statuspage-webhook"),
            ("service", "acme"),
            ("url", ""),
            ("interval", "5m"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = html(app.get("/admin/sources").await, StatusCode::OK).await;
    assert!(page.contains("POST /api/v1/hooks/"), "{page}");
    let remove = page.split("action=\"/admin/sources/").nth(1).unwrap();
    let remove = format!("/admin/sources/{}", &remove[..remove.find('"').unwrap()]);
    let res = post_form(&app, &remove, &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = html(app.get("/admin/sources").await, StatusCode::OK).await;
    assert!(
        !page.contains("/api/v1/hooks/") && page.contains("No sources yet."),
        "{page}"
    );

    let res = post_form(
        &app,
        "/admin/sources",
        &[
            ("csrf_token", &csrf),
            ("kind", "atom"),
            ("service", "acme"),
            ("url", "not a url"),
        ],
    )
    .await;
    let page = html(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("absolute http(s) URL"), "{page}");
    let audit = html(app.get("/admin/audit").await, StatusCode::OK).await;
    assert!(audit.contains("source removed") && audit.contains("source added"));
}

#[actix_web::test]
async fn a_write_session_sees_no_admin_page_and_forged_admin_forms_change_nothing() {
    let app = spawn_app().await;
    sign_in(&app).await;
    for path in ["/admin/sources", "/admin/tokens", "/admin/audit"] {
        let page = html(app.get(path).await, StatusCode::FORBIDDEN).await;
        assert!(page.contains("admin scope"), "{path}: {page}");
    }
    let page = html(app.get("/").await, StatusCode::OK).await;
    let before = app.snapshot();
    let res = post_form(
        &app,
        "/admin/tokens",
        &[
            ("csrf_token", &csrf_of(&page)),
            ("name", "mine"),
            ("scope", "admin"),
        ],
    )
    .await;
    html(res, StatusCode::FORBIDDEN).await;

    sign_in_with(&app, &app.token_of(Scope::Admin)).await;
    let before_forgery = app.snapshot();
    for (path, fields) in [
        ("/admin/tokens", vec![("name", "mine"), ("scope", "admin")]),
        (
            "/admin/sources",
            vec![("kind", "statuspage-webhook"), ("service", "acme")],
        ),
    ] {
        let res = post_form(&app, path, &fields).await;
        html(res, StatusCode::FORBIDDEN).await;
    }
    assert_eq!(app.snapshot(), before_forgery);
    assert_eq!(before.rows("audit_log"), 0);
}
