//! What people do on the pages: file an incident and post an update, write and publish a
//! postmortem, search and narrow, report a problem.

use serde_json::json;

use super::{Browser, sign_in};
use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_person_signs_in_files_an_incident_and_posts_an_update() {
    let app = spawn_app().await;
    let Some(browser) = Browser::open(&app, "browser::flows::file_an_incident").await else {
        return;
    };
    sign_in(&browser, &app).await;
    browser.visit("/incidents/new").await;
    browser
        .fill("input[name=title]", "Checkout fails for card payments")
        .await;
    browser.fill("input[name=services]", "shopfront").await;
    browser
        .fill(
            "textarea[name=body]",
            "Card payments fail at the last step.",
        )
        .await;
    browser
        .submit("form[action='/incidents/new'] button[type=submit]")
        .await;
    let page = browser.path().await;
    assert!(
        page.starts_with("/incidents/"),
        "the new incident's page: {page}"
    );
    assert!(
        browser
            .text()
            .await
            .contains("Checkout fails for card payments")
    );

    browser
        .find("select[name=status] option[value=identified]")
        .await
        .click()
        .await
        .unwrap();
    browser
        .fill("textarea[name=body]", "The card processor's API times out.")
        .await;
    browser
        .submit("form[action$='/updates'] button[type=submit]")
        .await;
    let text = browser.text().await;
    assert!(
        text.contains("The card processor's API times out."),
        "{text}"
    );
    assert!(text.contains("identified"), "{text}");
    browser.close().await;
}

#[actix_web::test]
async fn a_person_edits_previews_saves_publishes_and_downloads_a_postmortem() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "Search was slow", "services": ["finder"],
            "status": "resolved", "body": "Queries took seconds."}))
        .await;
    let id = incident["id"].as_str().unwrap();
    let Some(browser) = Browser::open(&app, "browser::flows::postmortem").await else {
        return;
    };
    sign_in(&browser, &app).await;
    browser.visit(&format!("/incidents/{id}/postmortem")).await;
    let edited = "# Search was slow\n\nA cold cache after the deploy. We warm it first now.\n";
    browser.fill("textarea[name=markdown]", edited).await;
    browser.submit("button[value=preview]").await;
    let text = browser.text().await;
    assert!(text.contains("Preview (not saved)"), "{text}");
    assert!(text.contains("We warm it first now."), "{text}");

    browser.submit("button[value=save]").await;
    assert!(browser.text().await.contains("draft"), "saved as a draft");
    browser
        .find("input[name=publish]")
        .await
        .click()
        .await
        .unwrap();
    browser.submit("button[value=save]").await;
    assert!(
        browser.text().await.contains("published"),
        "{}",
        browser.text().await
    );

    let link = browser.find("a[href$='/postmortem.md']").await;
    let href = link.attr("href").await.unwrap().unwrap();
    let download = app.get(&href).await;
    assert_eq!(download.status(), reqwest::StatusCode::OK);
    assert!(
        download
            .text()
            .await
            .unwrap()
            .contains("We warm it first now.")
    );
    browser.close().await;
}

#[actix_web::test]
async fn a_person_searches_then_narrows_by_a_facet() {
    let app = spawn_app().await;
    aftermath::demo::load(&app.db).unwrap();
    // The demo is searchable once the index has caught up with it.
    let all = app.search(&[("q", "outage")]).await;
    let total = all["total"].as_i64().unwrap();
    assert!(total > 1, "{all}");
    let Some(browser) = Browser::open(&app, "browser::flows::search").await else {
        return;
    };
    browser.visit("/search").await;
    browser.fill("input[name=q]", "outage").await;
    browser.submit("form.search-box button[type=submit]").await;
    let text = browser.text().await;
    assert!(text.contains(&format!("{total} incidents found")), "{text}");

    browser.submit("aside.facets a").await;
    assert!(
        browser
            .find("p.filters a.chip")
            .await
            .is_displayed()
            .await
            .unwrap(),
        "the facet shows as a filter"
    );
    let narrowed = browser.text().await;
    assert!(
        !narrowed.contains(&format!("{total} incidents found")),
        "{narrowed}"
    );
    browser.close().await;
}

#[actix_web::test]
async fn anyone_reports_a_problem_through_the_form() {
    let app = spawn_app().await;
    crate::reports::add_service(&app, "parley-chat", "application", &[]).await;
    let Some(browser) = Browser::open(&app, "browser::flows::report").await else {
        return;
    };
    browser.visit("/report").await;
    browser
        .find("select[name=service] option[value=parley-chat]")
        .await
        .click()
        .await
        .unwrap();
    browser
        .find("select[name=symptom] option[value=login]")
        .await
        .click()
        .await
        .unwrap();
    browser
        .fill("textarea[name=comment]", "Cannot sign in since noon")
        .await;
    browser
        .submit("form[action='/report'] button[type=submit]")
        .await;
    let text = browser.text().await;
    assert!(text.to_lowercase().contains("thank"), "{text}");
    // The intake writes reports in the background: the report lands within moments.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.snapshot().rows("reports") == 0 {
        assert!(std::time::Instant::now() < deadline, "the report is stored");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.close().await;
}
