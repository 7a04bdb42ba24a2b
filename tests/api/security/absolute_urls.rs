//! Absolute links (issue 17, item 8): `/feed.atom` and `/api/v2` name our own origin, and a
//! request must not choose it. The attack: `X-Forwarded-Host: evil.example` (or a Host with a
//! path or credentials in it), hoping a feed reader or a widget follows our links to evil.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const EVIL: [(&str, &str); 2] = [
    ("x-forwarded-host", "evil.example"),
    ("x-forwarded-proto", "https"),
];

/// An incident to link to; returns its id.
async fn an_incident(app: &TestApp) -> String {
    let created = app
        .create_incident(json!({"title": "Logins failing", "services": ["api"]}))
        .await;
    created["id"].as_str().unwrap().to_string()
}

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> String {
    let mut req = app.client.get(app.url(path));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

/// The page URL and every shortlink of `/api/v2/incidents.json`, and the feed's text.
async fn links(app: &TestApp, headers: &[(&str, &str)]) -> (String, Vec<String>, String) {
    let summary: Value =
        serde_json::from_str(&get_with(app, "/api/v2/summary.json", headers).await).unwrap();
    let incidents: Value =
        serde_json::from_str(&get_with(app, "/api/v2/incidents.json", headers).await).unwrap();
    let shortlinks = incidents["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["shortlink"].as_str().unwrap().to_string())
        .collect();
    let feed = get_with(app, "/feed.atom", headers).await;
    (
        summary["page"]["url"].as_str().unwrap().to_string(),
        shortlinks,
        feed,
    )
}

#[actix_web::test]
async fn a_forwarded_host_from_an_untrusted_peer_does_not_appear_in_our_links() {
    let app = spawn_app().await;
    let id = an_incident(&app).await;
    let (page, shortlinks, feed) = links(&app, &EVIL).await;
    assert_eq!(page, app.address);
    assert_eq!(shortlinks, [format!("{}/incidents/{id}", app.address)]);
    assert!(!feed.contains("evil.example"), "{feed}");
    assert!(feed.contains(&format!("href=\"{}/incidents/{id}\"", app.address)));
    assert!(
        !feed.contains("https://"),
        "nor does a forwarded scheme: {feed}"
    );
}

#[actix_web::test]
async fn a_host_that_is_not_a_host_is_not_used() {
    let app = spawn_app().await;
    let id = an_incident(&app).await;
    for host in [
        "evil.example/phish",
        "user@evil.example",
        "evil.example:80x",
    ] {
        let (page, shortlinks, feed) = links(&app, &[("host", host)]).await;
        // The address we listen on instead: what the test client reached.
        assert_eq!(page, app.address, "{host}");
        assert_eq!(shortlinks, [format!("{}/incidents/{id}", app.address)]);
        assert!(!feed.contains("evil.example"), "{host}: {feed}");
    }
}

#[actix_web::test]
async fn with_a_public_url_every_link_uses_it() {
    let app = spawn_app_with(|c| c.public_url = Some("https://status.example.com".into())).await;
    let id = an_incident(&app).await;
    let (page, shortlinks, feed) = links(&app, &EVIL).await;
    assert_eq!(page, "https://status.example.com");
    assert_eq!(
        shortlinks,
        [format!("https://status.example.com/incidents/{id}")]
    );
    assert!(feed.contains(&format!(
        "href=\"https://status.example.com/incidents/{id}\""
    )));
    assert!(
        feed.contains("<id>tag:status.example.com,2025:/history</id>"),
        "{feed}"
    );
    assert!(
        !feed.contains("evil.example") && !feed.contains("127.0.0.1"),
        "{feed}"
    );
}

#[actix_web::test]
async fn a_trusted_proxy_names_the_host_and_scheme_it_was_reached_by() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let id = an_incident(&app).await;
    let proxied = [
        ("x-forwarded-host", "status.example.com"),
        ("x-forwarded-proto", "https"),
    ];
    let (page, shortlinks, feed) = links(&app, &proxied).await;
    assert_eq!(page, "https://status.example.com");
    assert_eq!(
        shortlinks,
        [format!("https://status.example.com/incidents/{id}")]
    );
    assert!(feed.contains("tag:status.example.com,2025:"), "{feed}");
    let (page, _, _) = links(&app, &[("x-forwarded-host", "evil.example/phish")]).await;
    assert_eq!(
        page, app.address,
        "even a trusted proxy's header must be a host"
    );
}
