//! Postmortem drafts: generated from the timeline, safe against hostile text, saved as revisions,
//! overridable templates, and downloads.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, html, spawn_app};

const SECTIONS: &[&str] = &[
    "Summary",
    "Impact",
    "Detection",
    "Timeline",
    "Root cause and trigger",
    "Resolution and recovery",
    "Upstream cause and downstream impact",
    "Action items",
    "Lessons learned",
    "Milestones and durations",
    "Sources",
];

/// (level-2 headings, rows of the table under "Timeline", html or link events outside Sources)
fn outline(markdown: &str) -> (Vec<String>, usize, usize) {
    let body = markdown.splitn(3, "---\n").nth(2).unwrap_or(markdown);
    let (mut headings, mut rows, mut unsafe_events) = (Vec::new(), 0, 0);
    let (mut in_h2, mut current, mut section) = (false, String::new(), String::new());
    for event in Parser::new_ext(body, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => (in_h2, current) = (true, String::new()),
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                in_h2 = false;
                section = current.clone();
                headings.push(current.clone());
            }
            Event::Text(t) if in_h2 => current.push_str(&t),
            Event::End(TagEnd::TableRow) if section == "Timeline" => rows += 1,
            Event::Html(_) | Event::InlineHtml(_) => unsafe_events += 1,
            Event::Start(Tag::Link { .. }) if section != "Sources" => unsafe_events += 1,
            Event::Start(Tag::Heading { level, .. })
                if level != HeadingLevel::H2
                    && level != HeadingLevel::H3
                    && level != HeadingLevel::H1 =>
            {
                unsafe_events += 1
            }
            _ => {}
        }
    }
    (headings, rows, unsafe_events)
}

async fn demo_outage(app: &TestApp) -> Value {
    aftermath::demo::load(&app.db).unwrap();
    let list = app
        .get_json("/api/v1/incidents?service=nimbus-us-east-1")
        .await;
    app.get_json(&format!(
        "/api/v1/incidents/{}",
        list["items"][0]["id"].as_str().unwrap()
    ))
    .await
}

#[actix_web::test]
async fn the_first_request_drafts_revision_1_with_every_section_and_every_entry() {
    let app = spawn_app().await;
    let incident = demo_outage(&app).await;
    let id = incident["id"].as_str().unwrap();
    let draft = app
        .get_json(&format!("/api/v1/incidents/{id}/postmortem"))
        .await;
    assert_eq!(
        (draft["revision"].as_i64(), draft["status"].as_str()),
        (Some(1), Some("draft"))
    );
    assert_eq!(draft["generated"], true);
    let markdown = draft["markdown"].as_str().unwrap();
    let (headings, rows, unsafe_events) = outline(markdown);
    assert_eq!(headings, SECTIONS);
    assert_eq!(
        rows,
        incident["timeline"].as_array().unwrap().len(),
        "a table row per entry"
    );
    assert_eq!(unsafe_events, 0);
    assert!(
        markdown.starts_with("---\ntitle: \"Increased error rates"),
        "front matter first"
    );
    assert!(markdown.contains("resolved: true") && markdown.contains("severity: \"down\""));
    assert!(
        markdown.contains("> "),
        "the update naming the cause is quoted"
    );
    assert!(
        markdown.contains("between 2025-10-20"),
        "resolution is given as a range between posts"
    );
    let again = app
        .get_json(&format!("/api/v1/incidents/{id}/postmortem"))
        .await;
    assert_eq!(again["revision"], 1, "a draft is generated once");
}

/// A read that writes: the first GET of a postmortem stores its draft, and nothing else.
#[actix_web::test]
async fn the_first_read_of_a_postmortem_stores_its_draft_and_the_next_reads_store_nothing() {
    let app = spawn_app().await;
    let incident = demo_outage(&app).await;
    let path = format!(
        "/api/v1/incidents/{}/postmortem",
        incident["id"].as_str().unwrap()
    );
    let before = app.snapshot();
    app.get_json(&path).await;
    let drafted = app.snapshot();
    assert_eq!(drafted.changed_since(&before), ["outbox", "postmortems"]);
    assert_eq!(drafted.rows("postmortems"), before.rows("postmortems") + 1);
    app.get_json(&path).await;
    assert_eq!(app.snapshot(), drafted);
}

#[actix_web::test]
async fn the_drafts_of_every_demo_incident_match_their_snapshots() {
    let app = spawn_app().await;
    aftermath::demo::load(&app.db).unwrap();
    let list = app.get_json("/api/v1/incidents?limit=200").await;
    for incident in list["items"].as_array().unwrap() {
        let id = incident["id"].as_str().unwrap();
        let draft = app
            .get_json(&format!("/api/v1/incidents/{id}/postmortem"))
            .await;
        let markdown = draft["markdown"].as_str().unwrap();
        let (headings, _, unsafe_events) = outline(markdown);
        assert_eq!(headings, SECTIONS);
        assert_eq!(unsafe_events, 0);
        let name = aftermath::postmortem::file_name(
            &app.db
                .run(|c| aftermath::db::incidents::get(c, id.parse().unwrap()))
                .unwrap(),
            "md",
        );
        insta::with_settings!({filters => vec![(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC from", "[generated] from")]}, {
            insta::assert_snapshot!(format!("draft_{}", name.trim_end_matches(".md")), markdown);
        });
    }
}

#[actix_web::test]
async fn hostile_text_cannot_inject_headings_links_html_or_table_breaks() {
    let app = spawn_app().await;
    let hostile =
        "# Heading | cell [link](http://evil.example) <img src=x onerror=alert(1)> ![i](x) `code`";
    let incident = app
        .create_incident(json!({"title": hostile, "services": ["api"], "body": hostile}))
        .await;
    let id = incident["id"].as_str().unwrap();
    app.post_json(
        &format!("/api/v1/incidents/{id}/updates"),
        &json!({"body": format!("root cause:\n## {hostile}\n| a | b |"), "status": "identified"}),
    )
    .await;
    let draft = app
        .get_json(&format!("/api/v1/incidents/{id}/postmortem"))
        .await;
    let (headings, rows, unsafe_events) = outline(draft["markdown"].as_str().unwrap());
    assert_eq!(headings, SECTIONS);
    assert_eq!(rows, 2);
    assert_eq!(unsafe_events, 0, "{}", draft["markdown"]);
    let page = app
        .get(&format!("/incidents/{id}/postmortem.html"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<img") && !page.contains("href=\"http://evil"),
        "{page}"
    );
}

#[actix_web::test]
async fn people_save_revisions_and_publish_one() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "Outage", "services": ["api"]}))
        .await;
    let path = format!(
        "/api/v1/incidents/{}/postmortem",
        incident["id"].as_str().unwrap()
    );
    app.get_json(&path).await;
    let res = app
        .post_json(&path, &json!({"markdown": "# Outage\n\nWe fixed it."}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(
        (
            saved["revision"].as_i64(),
            saved["author"].as_str(),
            saved["generated"].as_bool()
        ),
        (Some(2), Some("tester"), Some(false))
    );
    let published: Value = app
        .post_json(
            &path,
            &json!({"markdown": "# Outage\n\nFinal.", "publish": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["status"], "published");
    let latest = app.get_json(&path).await;
    assert_eq!(
        (latest["revision"].as_i64(), latest["markdown"].as_str()),
        (Some(3), Some("# Outage\n\nFinal."))
    );
    let list = app.get_json(&format!("{path}/revisions")).await;
    let revisions: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(revisions, [1, 2, 3]);
}

#[actix_web::test]
async fn bad_saves_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "Outage", "services": ["api"]}))
        .await;
    let path = format!(
        "/api/v1/incidents/{}/postmortem",
        incident["id"].as_str().unwrap()
    );
    app.get_json(&path).await;
    let before = app.snapshot();
    assert_problem(
        app.post_json(&path, &json!({"markdown": "  "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.post_json(&path, &json!({"markdown": "bell\u{7}"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.post_json(&path, &json!({"markdown": "x", "publish": "yes"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let res = app
        .client
        .post(app.url(&path))
        .json(&json!({"markdown": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
    let missing = format!("/api/v1/incidents/{}/postmortem", uuid::Uuid::now_v7());
    assert_problem(
        app.post_json(&missing, &json!({"markdown": "x"})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(app.get(&missing).await, StatusCode::NOT_FOUND).await;
    assert_eq!(app.snapshot(), before);
    let list = app.get_json(&format!("{path}/revisions")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn downloads_have_a_good_file_name_and_a_print_stylesheet() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "DNS failures in US-East-1!", "services": ["api"], "started_at": "2025-10-20T07:11:00Z"}))
        .await;
    let id = incident["id"].as_str().unwrap();
    let res = app.get(&format!("/incidents/{id}/postmortem.md")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"2025-10-20-dns-failures-in-us-east-1.md\""
    );
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("# Postmortem: DNS failures in US-East-1!")
    );
    let page = html(
        app.get(&format!("/incidents/{id}/postmortem.html")).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        page.contains("@media print")
            && page.contains("<h1>Postmortem: DNS failures in US-East-1!</h1>"),
        "{page}"
    );
}

#[actix_web::test]
async fn a_template_override_is_used_and_a_broken_one_falls_back_with_the_reason() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "Override <me>", "services": ["api"]}))
        .await;
    let id: aftermath::domain::IncidentId = incident["id"].as_str().unwrap().parse().unwrap();
    let detail = app
        .db
        .run(|c| aftermath::db::incidents::get(c, id))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("default.md.j2"), "# Custom: {{ title }}\n").unwrap();
    let custom = aftermath::postmortem::draft(&detail, Some(dir.path()));
    assert_eq!(custom.markdown.trim_end(), "# Custom: Override \\<me\\>");
    assert!(custom.fallback_reason.is_none());
    std::fs::write(
        dir.path().join("default.md.j2"),
        "# {{ title }\n{{ no_such_field }}",
    )
    .unwrap();
    let broken = aftermath::postmortem::draft(&detail, Some(dir.path()));
    assert!(
        broken.markdown.contains("## Timeline"),
        "the default was used"
    );
    assert!(broken.fallback_reason.unwrap().contains("override failed"));
    std::fs::write(dir.path().join("default.md.j2"), "{{ no_such_field }}").unwrap();
    let undefined = aftermath::postmortem::draft(&detail, Some(dir.path()));
    assert!(
        undefined.fallback_reason.is_some(),
        "undefined values are errors, not blanks"
    );
}
