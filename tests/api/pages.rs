//! The server-rendered pages: status, content type, the expected text, and escaping.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{html, spawn_app};

const HOSTILE: &str = "<script>alert('x')</script> & \"quotes\"";

#[actix_web::test]
async fn the_start_page_shows_ongoing_and_recent_incidents() {
    let app = spawn_app().await;
    app.create_incident(
        json!({"title": "Still broken", "services": ["api"], "status": "identified"}),
    )
    .await;
    app.create_incident(json!({"title": "Long fixed", "services": ["api"], "status": "resolved"}))
        .await;
    let page = html(app.get("/").await, StatusCode::OK).await;
    let ongoing = page.find("What is down right now").unwrap();
    let recent = page.find("Recent outages").unwrap();
    let still = page.find("Still broken").unwrap();
    let fixed = page.find("Long fixed").unwrap();
    assert!(
        ongoing < still && still < recent && recent < fixed,
        "{page}"
    );
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/static/style.css\">"));
    let css = app.get("/static/style.css").await;
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[actix_web::test]
async fn the_incident_page_shows_the_timeline_milestones_durations_and_services() {
    let app = spawn_app().await;
    let i = app
        .create_incident(json!({"title": "DNS down", "services": ["nimbus", "parley"], "started_at": "2025-10-20T07:00:00Z", "body": "Investigating **DNS**."}))
        .await;
    let id = i["id"].as_str().unwrap();
    app.post_json(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"body": "Found it", "status": "identified", "occurred_at": "2025-10-20T07:09:00Z"}),
    )
    .await;
    let page = html(app.get(&format!("/incidents/{id}")).await, StatusCode::OK).await;
    for text in [
        "DNS down",
        "2025-10-20 07:00 UTC",
        "2025-10-20 07:09 UTC",
        "9m after the previous update",
        "<strong>DNS</strong>",
        "Time to acknowledge",
        "href=\"/services/nimbus\"",
        "href=\"/services/parley\"",
        "Sign in</a> to post an update",
    ] {
        assert!(page.contains(text), "missing {text:?}");
    }
}

#[actix_web::test]
async fn a_hostile_title_and_body_are_escaped_everywhere() {
    let app = spawn_app().await;
    let i = app.create_incident(json!({"title": HOSTILE, "services": ["api"], "body": "<img src=x onerror=alert(1)> [x](javascript:alert(1))"})).await;
    let id = i["id"].as_str().unwrap();
    for path in [
        format!("/incidents/{id}"),
        "/incidents".to_string(),
        "/".to_string(),
        "/services/api".to_string(),
    ] {
        let page = html(app.get(&path).await, StatusCode::OK).await;
        assert!(!page.contains("<script>alert"), "unescaped title on {path}");
        assert!(!page.contains("<img src=x"), "unescaped body on {path}");
        assert!(
            !page.contains("href=\"javascript:"),
            "javascript link on {path}"
        );
    }
    let page = html(app.get(&format!("/incidents/{id}")).await, StatusCode::OK).await;
    assert!(
        page.contains(
            "<h1>&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; &#34;quotes&#34;</h1>"
        ),
        "{page}"
    );
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "raw HTML in a body shows as text"
    );
}

#[actix_web::test]
async fn the_incident_list_filters_and_pages() {
    let app = spawn_app().await;
    for n in 0..35 {
        app.create_incident(json!({"title": format!("incident number {n}"), "services": ["api"]}))
            .await;
    }
    let first = html(app.get("/incidents").await, StatusCode::OK).await;
    assert!(first.contains("incident number 34") && !first.contains("incident number 4<"));
    let older = first
        .split("href=\"/incidents?cursor=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = html(
        app.get(&format!("/incidents?cursor={older}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(second.contains("incident number 0") && !second.contains("incident number 34"));
    let filtered = html(app.get("/incidents?service=nobody").await, StatusCode::OK).await;
    assert!(filtered.contains("None."));
}

#[actix_web::test]
async fn the_service_page_shows_its_dependencies_and_history() {
    let app = spawn_app().await;
    app.put_json(
        "/api/v1/services/parley",
        &json!({"name": "Parley Chat", "depends_on": ["nimbus"]}),
    )
    .await;
    app.create_incident(json!({"title": "Chat is down", "services": ["parley"]}))
        .await;
    let page = html(app.get("/services/parley").await, StatusCode::OK).await;
    assert!(
        page.contains("Parley Chat")
            && page.contains("href=\"/services/nimbus\"")
            && page.contains("Chat is down")
    );
    let upstream = html(app.get("/services/nimbus").await, StatusCode::OK).await;
    assert!(
        upstream.contains("href=\"/services/parley\""),
        "dependents are listed"
    );
}

#[actix_web::test]
async fn missing_pages_are_html_404s() {
    let app = spawn_app().await;
    html(app.get("/services/nobody").await, StatusCode::NOT_FOUND).await;
    html(
        app.get(&format!("/incidents/{}", uuid::Uuid::now_v7()))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    html(app.get("/incidents/not-an-id").await, StatusCode::NOT_FOUND).await;
    let res = app
        .client
        .get(app.url("/no/such/page"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    html(res, StatusCode::NOT_FOUND).await;
}
