//! The HTML search page: counts, highlighted snippets, facets that narrow, dates, and escaping.

use reqwest::StatusCode;

use super::incident;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_search_page_shows_snippets_facets_and_dates_and_escapes_everything() {
    let app = spawn_app().await;
    incident(
        &app,
        "<b>Bold</b> webhook outage",
        &["github"],
        "major",
        "Webhook <script>alert(1)</script> deliveries delayed.",
    )
    .await;
    incident(
        &app,
        "Webhook retries",
        &["stripe"],
        "minor",
        "Webhook retries are slow.",
    )
    .await;
    app.search(&[]).await;
    let res = app
        .client
        .get(app.url("/search"))
        .query(&[("q", "webhook")])
        .send()
        .await
        .unwrap();
    let page = crate::helpers::html(res, StatusCode::OK).await;
    assert!(page.contains("2 incidents found"), "{page}");
    assert!(page.contains("<mark>Webhook</mark>"), "{page}");
    assert!(
        page.contains("&#60;script&#62;") && !page.contains("<script>"),
        "{page}"
    );
    assert!(
        page.contains("&#60;b&#62;Bold&#60;/b&#62; webhook outage"),
        "{page}"
    );
    assert!(page.contains("2025-10-20 07:11 UTC"), "{page}");
    // Facets are links that narrow the search.
    assert!(
        page.contains("href=\"/search?q=webhook&#38;service=github\""),
        "{page}"
    );
    let res = app
        .client
        .get(app.url("/search"))
        .query(&[("q", "webhook"), ("service", "github")])
        .send()
        .await
        .unwrap();
    let page = crate::helpers::html(res, StatusCode::OK).await;
    assert!(page.contains("1 incident found"), "{page}");
    assert!(page.contains("service: github ✕"), "{page}");

    let res = app
        .client
        .get(app.url("/search"))
        .query(&[("since", "last tuesday")])
        .send()
        .await
        .unwrap();
    let page = crate::helpers::html(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("since"), "{page}");
}
