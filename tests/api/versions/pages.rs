//! The edit form and the update form: a post made from a page opened before someone else's
//! change is not applied; the page comes back with both values and the current version.

use reqwest::StatusCode;
use serde_json::json;

use super::{open, read, version_in};
use crate::forms::{csrf_of, sign_in};
use crate::helpers::{TestApp, html, spawn_app};

/// The value of the hidden `version` field of the (first) form on a page.
fn version_field(page: &str) -> String {
    page.split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no version field in {page}"))
        .to_string()
}

async fn post_edit(
    app: &TestApp,
    id: &str,
    page: &str,
    version: &str,
    title: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/incidents/{id}/edit")))
        .form(&[
            ("csrf_token", csrf_of(page)),
            ("version", version.to_string()),
            ("title", title.to_string()),
            ("status", "identified".into()),
            ("impact", "minor".into()),
        ])
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_edit_from_a_stale_page_shows_both_values_and_applies_only_when_sent_again() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let id = open(&app, "Moa maps <blank>", "moa").await;
    let form = html(
        app.get(&format!("/incidents/{id}/edit")).await,
        StatusCode::OK,
    )
    .await;
    let opened_at = version_field(&form);
    assert_eq!(opened_at, version_in(&read(&app, &id).await.0).to_string());

    // Someone else retitles it meanwhile.
    let res = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &json!({"title": "Moa maps <tiles> missing"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let before = app.snapshot();
    let (current, _) = read(&app, &id).await;

    let res = post_edit(&app, &id, &form, &opened_at, "Moa maps & search down").await;
    let page = html(res, StatusCode::CONFLICT).await;
    assert!(
        page.contains("Someone changed this incident since you opened it"),
        "{page}"
    );
    assert!(
        page.contains("Now: Moa maps &#60;tiles&#62; missing"),
        "theirs, escaped: {page}"
    );
    assert!(
        page.contains("value=\"Moa maps &#38; search down\""),
        "yours, kept: {page}"
    );
    assert!(
        page.contains("Now: investigating (yours: identified)"),
        "{page}"
    );
    assert!(!page.contains("<tiles>"), "escaped");
    assert_eq!(
        version_field(&page),
        version_in(&current).to_string(),
        "the form now carries the current version"
    );
    assert_eq!(app.snapshot(), before, "nothing saved");
    assert_eq!(read(&app, &id).await.1["title"], "Moa maps <tiles> missing");

    let res = post_edit(
        &app,
        &id,
        &page,
        &version_field(&page),
        "Moa maps & search down",
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "sent again from the new page, it applies"
    );
    let (_, json) = read(&app, &id).await;
    assert_eq!(
        (&json["title"], &json["status"]),
        (&json!("Moa maps & search down"), &json!("identified"))
    );
}

#[actix_web::test]
async fn an_update_from_a_stale_page_is_kept_in_the_form_beside_the_newest_update() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let id = open(&app, "Weka webhooks delayed", "weka").await;
    let page = html(app.get(&format!("/incidents/{id}")).await, StatusCode::OK).await;
    let opened_at = version_field(&page);
    let res = app
        .post_json(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"body": "Queue drained by Ana.", "status": "monitoring"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let before = app.snapshot();

    let send = |version: String, page: String| {
        let app = &app;
        let id = &id;
        async move {
            app.client
                .post(app.url(&format!("/incidents/{id}/updates")))
                .form(&[
                    ("csrf_token", csrf_of(&page)),
                    ("version", version),
                    ("status", "resolved".into()),
                    ("body", "Fixed by Ben.".into()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = send(opened_at, page).await;
    let page = html(res, StatusCode::CONFLICT).await;
    assert!(
        page.contains("Someone changed this incident since you opened it"),
        "{page}"
    );
    assert!(
        page.contains("<strong>monitoring</strong> (you chose: resolved)"),
        "{page}"
    );
    assert!(page.contains("Queue drained by Ana."), "theirs");
    assert!(
        page.contains(">Fixed by Ben.</textarea>"),
        "yours, kept in the form"
    );
    assert_eq!(app.snapshot(), before, "nothing posted");

    let res = send(version_field(&page), page).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "sent again, it is posted"
    );
    let (_, json) = read(&app, &id).await;
    assert_eq!(json["status"], "resolved");
    assert_eq!(json["timeline"].as_array().unwrap().len(), 3);
}
