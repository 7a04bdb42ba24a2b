//! Editing postmortems on the page (preview, save, publish), diffs between revisions, and
//! regenerating after new data without touching what people wrote.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::forms::{csrf_of, sign_in};
use crate::helpers::{assert_problem, html, spawn_app};

#[actix_web::test]
async fn a_person_previews_saves_and_publishes_on_the_page() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "Checkout down", "services": ["shop"]}))
        .await;
    let id = incident["id"].as_str().unwrap();
    let path = format!("/incidents/{id}/postmortem");
    let anonymous = html(app.get(&path).await, StatusCode::OK).await;
    assert!(anonymous.contains("Revision 1") && anonymous.contains("Sign in</a> to edit"));
    sign_in(&app).await;
    let page = html(app.get(&path).await, StatusCode::OK).await;
    let csrf = csrf_of(&page);
    let edited = "# Checkout down\n\n| a | b |\n|---|---|\n| <script>x</script> | [y](javascript:alert(1)) |\n";
    let preview = app
        .client
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("markdown", edited),
            ("action", "preview"),
        ])
        .send()
        .await
        .unwrap();
    let preview = html(preview, StatusCode::OK).await;
    assert!(preview.contains("Preview (not saved)") && preview.contains("<table>"));
    assert!(
        !preview.contains("<script>x") && !preview.contains("href=\"javascript"),
        "{preview}"
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/incidents/{id}/postmortem"))
            .await["revision"],
        1,
        "a preview saves nothing"
    );
    let saved = app
        .client
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("markdown", edited),
            ("action", "save"),
            ("publish", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let latest = app
        .get_json(&format!("/api/v1/incidents/{id}/postmortem"))
        .await;
    assert_eq!(
        (
            latest["revision"].as_i64(),
            latest["status"].as_str(),
            latest["author"].as_str()
        ),
        (Some(2), Some("published"), Some("tester"))
    );
    let diff_page = html(
        app.get(&format!("{path}?from=1&to=2")).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        diff_page.contains("Changes from revision 1 to 2")
            && diff_page.contains("+# Checkout down")
    );
}

#[actix_web::test]
async fn page_forms_need_the_csrf_token_and_valid_text() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "x", "services": ["shop"]}))
        .await;
    let path = format!("/incidents/{}/postmortem", incident["id"].as_str().unwrap());
    sign_in(&app).await;
    let page = html(app.get(&path).await, StatusCode::OK).await;
    let before = app.snapshot();
    let forged = app
        .client
        .post(app.url(&path))
        .form(&[("markdown", "hijacked"), ("action", "save")])
        .send()
        .await
        .unwrap();
    html(forged, StatusCode::FORBIDDEN).await;
    let forged = app
        .client
        .post(app.url(&format!("{path}/regenerate")))
        .form(&[("csrf_token", "nope")])
        .send()
        .await
        .unwrap();
    html(forged, StatusCode::FORBIDDEN).await;
    let empty = app
        .client
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf_of(&page).as_str()),
            ("markdown", "   "),
            ("action", "save"),
        ])
        .send()
        .await
        .unwrap();
    let empty = html(empty, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        empty.contains("<span class=\"field-error\">markdown: must not be empty</span>"),
        "{empty}"
    );
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn regenerating_after_new_data_adds_a_draft_and_keeps_human_edits() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(
            json!({"title": "Slow API", "services": ["api"], "body": "Investigating."}),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    let api = format!("/api/v1/incidents/{id}/postmortem");
    app.get_json(&api).await;
    app.post_json(&api, &json!({"markdown": "# Slow API\n\nOur own words."}))
        .await;
    app.post_json(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"body": "Root cause: a bad index.", "status": "identified"}),
    )
    .await;
    let res = app
        .post_json(&format!("{api}/regenerate"), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let regenerated: Value = res.json().await.unwrap();
    assert_eq!(
        (
            regenerated["revision"].as_i64(),
            regenerated["generated"].as_bool()
        ),
        (Some(3), Some(true))
    );
    let changes = regenerated["changes"].as_str().unwrap();
    assert!(
        changes.contains("--- revision 2") && changes.contains("+> Root cause: a bad index."),
        "{changes}"
    );
    let human = app.get_json(&format!("{api}/revisions")).await["items"][1].clone();
    assert_eq!(
        human["markdown"], "# Slow API\n\nOur own words.",
        "the person's revision is untouched"
    );
    let diff = app.get_json(&format!("{api}/diff?from=1&to=3")).await;
    assert!(
        diff["diff"]
            .as_str()
            .unwrap()
            .contains("+> Root cause: a bad index.")
    );
    assert_problem(
        app.get(&format!("{api}/diff?from=1&to=9")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("{api}/diff?from=one&to=2")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let res = app
        .client
        .post(app.url(&format!("{api}/regenerate")))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}
