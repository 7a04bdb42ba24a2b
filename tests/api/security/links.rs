//! Stored XSS through links: a status page (or anyone who can post a document) names a link
//! that is not http(s). Whatever way it comes in, no incident, entry or service keeps it as a
//! link, and no page prints it as an `href`. The raw observation keeps it, as provenance.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, html, spawn_app};

/// Every scheme and encoding trick, as it would be written inside an XML attribute.
const HOSTILE_IN_XML: &[&str] = &[
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(document.domain)",
    "java&#9;script:alert(1)",
    "java&#10;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/",
    "https:\\\\evil.example",
];

/// An Atom feed whose one entry links to `href` (already XML-escaped).
fn atom_with_link(href: &str, n: usize) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>tag:status.hostile.example,2005:/history</id>
  <title>Hostile Status - Incident History</title>
  <updated>2026-01-01T00:41:10Z</updated>
  <author><name>Hostile</name></author>
  <entry>
    <id>tag:status.hostile.example,2005:Incident/{n}</id>
    <published>2025-12-31T23:20:05Z</published>
    <updated>2026-01-01T00:41:10Z</updated>
    <link rel="alternate" type="text/html" href="{href}"/>
    <title>Outage number {n}</title>
    <content type="html">&lt;p&gt;&lt;small&gt;Dec &lt;var data-var='date'&gt;31&lt;/var&gt;, &lt;var data-var='time'&gt;23:20&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - Something broke.&lt;/p&gt;</content>
  </entry>
</feed>"#
    )
    .into_bytes()
}

/// A Statuspage webhook body whose incident's shortlink is `link` (a JSON string value).
fn webhook_with_link(link: &str, n: usize) -> Vec<u8> {
    json!({
        "page": {"id": "hostile0page", "status_indicator": "minor", "status_description": "Minor"},
        "incident": {
            "id": format!("hostile{n:05}"),
            "name": format!("Webhook outage {n}"),
            "status": "investigating",
            "impact": "minor",
            "created_at": "2025-12-31T23:20:05Z",
            "updated_at": "2025-12-31T23:20:05Z",
            "shortlink": link,
            "incident_updates": [{
                "id": format!("upd{n:05}"),
                "status": "investigating",
                "body": "Something broke.",
                "created_at": "2025-12-31T23:20:05Z",
                "display_at": "2025-12-31T23:20:05Z",
                "updated_at": "2025-12-31T23:20:05Z"
            }]
        }
    })
    .to_string()
    .into_bytes()
}

/// Every incident's links, as stored, in the JSON API and on its page, are http(s) or absent.
async fn assert_no_hostile_link(app: &TestApp) {
    let stored: Vec<Option<String>> = app
        .db
        .run(|c| {
            use aftermath::db::schema::{incidents, timeline_entries};
            use diesel::prelude::*;
            let mut urls: Vec<Option<String>> = incidents::table.select(incidents::url).load(c)?;
            urls.extend(
                timeline_entries::table
                    .select(timeline_entries::url)
                    .load::<Option<String>>(c)?,
            );
            Ok(urls)
        })
        .unwrap();
    for url in stored.iter().flatten() {
        assert!(
            url.starts_with("http://") || url.starts_with("https://"),
            "stored {url:?}"
        );
    }
    let list = app.get_json("/api/v1/incidents?limit=100").await;
    let items = list["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        let id = item["id"].as_str().unwrap();
        let detail = app.get_json(&format!("/api/v1/incidents/{id}")).await;
        let links = std::iter::once(&detail["url"]).chain(
            detail["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["url"]),
        );
        for link in links {
            assert!(
                link.is_null() || link.as_str().unwrap().starts_with("http"),
                "{id}: {link}"
            );
        }
        let page = html(app.get(&format!("/incidents/{id}")).await, StatusCode::OK).await;
        assert_page_has_only_web_links(&page);
    }
}

fn assert_page_has_only_web_links(page: &str) {
    for href in page.split("href=\"").skip(1) {
        let href = href.split('"').next().unwrap();
        let ours = href.starts_with('/') && !href.starts_with("//");
        assert!(
            ours || href.starts_with("http://") || href.starts_with("https://"),
            "a page links to {href:?}"
        );
    }
}

#[actix_web::test]
async fn a_hostile_link_in_a_document_posted_to_the_api_is_dropped() {
    let app = spawn_app().await;
    for (n, href) in HOSTILE_IN_XML.iter().enumerate() {
        let res =
            crate::ingest::ingest(&app, "atom", "?service=hostile", atom_with_link(href, n)).await;
        assert_eq!(res.status(), StatusCode::OK, "{href}");
    }
    assert_no_hostile_link(&app).await;
    // The raw item keeps what the source said.
    let raw: Vec<String> = app
        .db
        .run(|c| {
            use aftermath::db::schema::observations::dsl::*;
            use diesel::prelude::*;
            Ok(observations.select(raw).load::<String>(c)?)
        })
        .unwrap();
    assert!(raw.iter().any(|r| r.contains("vbscript:msgbox(1)")));
}

#[actix_web::test]
async fn a_hostile_link_from_a_webhook_is_dropped() {
    let app = spawn_app().await;
    let source = app
        .db
        .write(|c| {
            aftermath::db::services::ensure_exist(
                c,
                &[aftermath::domain::ServiceSlug::parse("s", "hostile").unwrap()],
            )?;
            aftermath::db::sources::add(
                c,
                &aftermath::db::sources::NewSource {
                    kind: "statuspage-webhook".into(),
                    format: None,
                    url: None,
                    service: "hostile".into(),
                    interval_secs: None,
                    secret: Some("s3cret".into()),
                },
            )
        })
        .unwrap();
    for (n, link) in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,x",
    ]
    .iter()
    .enumerate()
    {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/hooks/{}/s3cret", source.id)))
            .body(webhook_with_link(link, n))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{link}: {}", res.status());
    }
    assert_no_hostile_link(&app).await;
}

#[actix_web::test]
async fn a_hostile_link_in_a_file_ingested_from_the_command_line_is_dropped() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.atom");
    std::fs::write(
        &file,
        atom_with_link("JaVaScRiPt:alert(document.domain)", 1),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aftermath"))
        .env_remove("AFTERMATH_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args([
            "--database-url",
            &app.database_url,
            "ingest",
            "--service",
            "hostile",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_hostile_link(&app).await;
}

#[actix_web::test]
async fn a_service_whose_status_page_is_not_http_is_refused_by_the_api_and_the_catalog() {
    let app = spawn_app().await;
    let before = app.snapshot();
    for url in [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,x",
        "//evil.example",
    ] {
        let res = app
            .put_json(
                "/api/v1/services/hostile",
                &json!({"name": "Hostile", "status_page_url": url}),
            )
            .await;
        let problem: Value = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(problem.to_string().contains("status_page_url"), "{problem}");
        let catalog = format!(
            "[[service]]\nslug = \"hostile\"\nname = \"Hostile\"\nkind = \"application\"\nstatus_page_url = {}\n",
            json!(url)
        );
        let res = app
            .client
            .post(app.url("/api/v1/ingest/services"))
            .bearer_auth(&app.token)
            .body(catalog)
            .send()
            .await
            .unwrap();
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    assert_eq!(
        app.snapshot(),
        before,
        "a refused service changed the store"
    );
}

#[actix_web::test]
async fn a_hostile_link_on_a_polled_page_is_dropped() {
    use aftermath::config::PrivateSources;
    use aftermath::jobs::poller::{PollerSettings, poll_once};
    let app = spawn_app().await;
    let page = json!({
        "page": {"id": "hostile0page", "name": "Hostile"},
        "incidents": [serde_json::from_slice::<Value>(&webhook_with_link("JaVaScRiPt:alert(document.domain)", 7)).unwrap()["incident"]]
    });
    let url = crate::poller::links::serve_forever(page.to_string().into_bytes());
    let source = aftermath::db::sources::NewSource {
        kind: "statuspage".into(),
        format: Some("statuspage".into()),
        url: Some(url.clone()),
        service: "hostile".into(),
        interval_secs: Some(300),
        secret: None,
    };
    app.db
        .write(|c| {
            aftermath::db::services::ensure_exist(
                c,
                &[aftermath::domain::ServiceSlug::parse("s", "hostile").unwrap()],
            )?;
            aftermath::db::sources::add(c, &source)
        })
        .unwrap();
    let host_port = url.trim_start_matches("http://").split('/').next().unwrap();
    let settings = PollerSettings::default()
        .with_private_sources(PrivateSources::Only(vec![host_port.to_string()]))
        .without_jitter();
    let summary = poll_once(&app.db, &settings).await;
    assert_eq!(summary.created, 1, "{summary:?}");
    assert_no_hostile_link(&app).await;
}
