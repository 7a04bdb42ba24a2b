//! Filing from the web: sign in with a token, open an incident, post updates, sign out.
//! Every form is CSRF-protected and validated on the server.

use reqwest::StatusCode;

use crate::helpers::{TestApp, html, spawn_app};

pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

pub async fn sign_in(app: &TestApp) {
    sign_in_with(app, &app.token).await;
}

/// Signs `app.client` in with this token.
pub async fn sign_in_with(app: &TestApp, token: &str) {
    let page = html(app.get("/signin").await, StatusCode::OK).await;
    let res = app
        .client
        .post(app.url("/signin"))
        .form(&[
            ("csrf_token", csrf_of(&page)),
            ("token", token.to_string()),
            ("next", "/incidents/new".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/incidents/new");
}

#[actix_web::test]
async fn the_session_cookie_is_signed_httponly_and_samesite() {
    let app = spawn_app().await;
    let res = app.get("/signin").await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("aftermath_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[actix_web::test]
async fn a_wrong_token_does_not_sign_in() {
    let app = spawn_app().await;
    let page = html(app.get("/signin").await, StatusCode::OK).await;
    let res = app
        .client
        .post(app.url("/signin"))
        .form(&[("csrf_token", csrf_of(&page)), ("token", "am_nope".into())])
        .send()
        .await
        .unwrap();
    let page = html(res, StatusCode::UNAUTHORIZED).await;
    assert!(page.contains("unknown or has been revoked"));
    let res = app.get("/incidents/new").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "still signed out");
}

#[actix_web::test]
async fn a_signed_in_person_opens_an_incident_and_posts_an_update() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let form = html(app.get("/incidents/new").await, StatusCode::OK).await;
    assert!(form.contains("Signed in as tester"));
    let res = app
        .client
        .post(app.url("/incidents/new"))
        .form(&[
            ("csrf_token", csrf_of(&form)),
            ("title", "Checkout fails".into()),
            ("services", "shop, payments".into()),
            ("impact", "major".into()),
            ("status", "investigating".into()),
            ("body", "Customers cannot pay.".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let page = html(app.get(&location).await, StatusCode::OK).await;
    assert!(
        page.contains("Checkout fails")
            && page.contains("Customers cannot pay.")
            && page.contains("Post an update")
    );

    let res = app
        .client
        .post(app.url(&format!("{location}/updates")))
        .form(&[
            ("csrf_token", csrf_of(&page)),
            ("status", "identified".into()),
            ("body", "A bad deploy.".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id = location.trim_start_matches("/incidents/");
    let json = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(json["status"], "identified");
    assert_eq!(json["services"], serde_json::json!(["payments", "shop"]));
    assert_eq!(json["timeline"][1]["author"], "tester");
    assert!(json["acknowledged_at"].is_string());
}

#[actix_web::test]
async fn invalid_fields_are_shown_next_to_the_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let form = html(app.get("/incidents/new").await, StatusCode::OK).await;
    let before = app.snapshot();
    let res = app
        .client
        .post(app.url("/incidents/new"))
        .form(&[
            ("csrf_token", csrf_of(&form)),
            ("title", "".into()),
            ("services", "Not A Slug".into()),
            ("impact", "major".into()),
            ("status", "investigating".into()),
            ("body", "kept <b>text</b>".into()),
        ])
        .send()
        .await
        .unwrap();
    let page = html(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("<span class=\"field-error\">must not be empty</span>"),
        "{page}"
    );
    assert!(page.contains("is not a service slug"));
    assert!(
        page.contains("kept &#60;b&#62;text&#60;/b&#62;"),
        "what was typed is kept, escaped"
    );
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn a_forged_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let incident = app
        .create_incident(serde_json::json!({"title": "x", "services": ["api"]}))
        .await;
    let id = incident["id"].as_str().unwrap();
    let before = app.snapshot();
    let fields = [
        ("title", "Forged"),
        ("services", "api"),
        ("impact", "minor"),
        ("status", "investigating"),
        ("body", "b"),
    ];
    let res = app
        .client
        .post(app.url("/incidents/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    html(res, StatusCode::FORBIDDEN).await;
    let mut wrong = fields.to_vec();
    wrong.push(("csrf_token", "0000"));
    let res = app
        .client
        .post(app.url("/incidents/new"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    html(res, StatusCode::FORBIDDEN).await;
    let res = app
        .client
        .post(app.url(&format!("/incidents/{id}/updates")))
        .form(&[("body", "forged")])
        .send()
        .await
        .unwrap();
    html(res, StatusCode::FORBIDDEN).await;
    let res = app
        .client
        .post(app.url("/signout"))
        .form(&[("csrf_token", "")])
        .send()
        .await
        .unwrap();
    html(res, StatusCode::FORBIDDEN).await;
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn signing_out_ends_the_session_and_a_revoked_token_ends_it_too() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let page = html(app.get("/").await, StatusCode::OK).await;
    let res = app
        .client
        .post(app.url("/signout"))
        .form(&[("csrf_token", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/incidents/new").await.status(),
        StatusCode::SEE_OTHER
    );

    sign_in(&app).await;
    assert_eq!(app.get("/incidents/new").await.status(), StatusCode::OK);
    app.db
        .write(|c| aftermath::db::tokens::revoke_by(c, "test", "tester"))
        .unwrap();
    assert_eq!(
        app.get("/incidents/new").await.status(),
        StatusCode::SEE_OTHER,
        "revoking the token signs its sessions out"
    );
}

#[actix_web::test]
async fn signed_out_forms_send_people_to_sign_in() {
    let app = spawn_app().await;
    let res = app.get("/incidents/new").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/signin?next=/incidents/new");
    let page = html(app.get("/signin?next=//evil.example").await, StatusCode::OK).await;
    assert!(
        page.contains("name=\"next\" value=\"/\""),
        "only local paths are followed after signing in"
    );
}
