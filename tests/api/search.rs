//! Full-text search: what people can find, how, and what happens with bad queries.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

fn titles(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

async fn incident(
    app: &TestApp,
    title: &str,
    services: &[&str],
    impact: &str,
    body: &str,
) -> String {
    let created = app
        .create_incident(json!({
            "title": title, "services": services, "impact": impact, "body": body,
            "started_at": "2025-10-20T07:11:00Z"
        }))
        .await;
    created["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_new_incident_and_its_updates_are_searchable_at_once() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "Elevated API errors",
        &["acme-api"],
        "major",
        "We are investigating.",
    )
    .await;
    let res = app
        .post_json(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"body": "The DynamoDB endpoint in us-east-1 stopped resolving.", "status": "identified"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let body = app.search(&[("q", "dynamodb resolving")]).await;
    assert_eq!(body["total"], 1, "{body}");
    let hit = &body["hits"][0];
    assert_eq!(hit["incident_id"], id.as_str());
    assert_eq!(hit["services"], json!(["acme-api"]));
    assert_eq!(hit["status"], "identified");
    assert!(
        hit["started_at"]
            .as_str()
            .unwrap()
            .starts_with("2025-10-20T07:11:00")
    );
    assert!(
        hit["snippet"].as_str().unwrap().contains("<b>DynamoDB</b>"),
        "{hit}"
    );
}

#[actix_web::test]
async fn an_edited_incident_is_replaced_not_duplicated() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "Slow checkout",
        &["shop"],
        "minor",
        "Looking into it.",
    )
    .await;
    assert_eq!(app.search(&[("q", "checkout")]).await["total"], 1);
    let res = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &json!({"title": "Payments failing"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.search(&[("q", "checkout")]).await["total"], 0);
    assert_eq!(app.search(&[("q", "payments")]).await["total"], 1);
    assert_eq!(
        app.search(&[]).await["total"],
        1,
        "one document per incident"
    );
}

#[actix_web::test]
async fn english_and_french_words_meet_their_other_forms() {
    let app = spawn_app().await;
    incident(
        &app,
        "Panne de l'application mobile",
        &["appli"],
        "major",
        "Les clients ne peuvent plus passer commande. L'incident est résolu depuis 14 h 20.",
    )
    .await;
    incident(
        &app,
        "Outage of the billing service",
        &["billing"],
        "critical",
        "Invoices could not be generated while the database was failing over.",
    )
    .await;
    for (query, expected) in [
        ("resolu", "Panne de l'application mobile"),
        ("pannes", "Panne de l'application mobile"),
        ("commandes", "Panne de l'application mobile"),
        ("outages", "Outage of the billing service"),
        ("invoice", "Outage of the billing service"),
        ("failed", "Outage of the billing service"),
    ] {
        let body = app.search(&[("q", query)]).await;
        assert_eq!(
            titles(&body),
            vec![expected.to_string()],
            "query {query:?}: {body}"
        );
    }
}

#[actix_web::test]
async fn boolean_operators_phrases_and_fields_narrow_the_results() {
    let app = spawn_app().await;
    incident(
        &app,
        "Webhooks delayed",
        &["github"],
        "minor",
        "Webhook deliveries are delayed by up to 20 minutes.",
    )
    .await;
    incident(
        &app,
        "Actions jobs delayed",
        &["github"],
        "major",
        "Queued jobs start late.",
    )
    .await;
    incident(
        &app,
        "Webhooks failing",
        &["stripe"],
        "critical",
        "Webhook endpoints return errors.",
    )
    .await;

    let total = |b: Value| b["total"].as_u64().unwrap();
    assert_eq!(total(app.search(&[("q", "delayed")]).await), 2);
    assert_eq!(total(app.search(&[("q", "webhooks AND delayed")]).await), 1);
    assert_eq!(total(app.search(&[("q", "webhooks OR jobs")]).await), 3);
    assert_eq!(total(app.search(&[("q", "delayed -webhooks")]).await), 1);
    assert_eq!(
        total(app.search(&[("q", "\"deliveries are delayed\"")]).await),
        1
    );
    assert_eq!(
        total(app.search(&[("q", "\"delayed deliveries\"")]).await),
        0
    );
    assert_eq!(
        total(app.search(&[("q", "webhooks service:stripe")]).await),
        1
    );
    assert_eq!(
        total(app.search(&[("q", "service:GitHub")]).await),
        2,
        "field values ignore case"
    );
    assert_eq!(total(app.search(&[("q", "impact:critical")]).await), 1);
    assert_eq!(
        total(
            app.search(&[("q", "delayed"), ("service", "github"), ("impact", "major")])
                .await
        ),
        1
    );
    assert_eq!(total(app.search(&[("status", "investigating")]).await), 3);
}

#[actix_web::test]
async fn time_ranges_sorting_pages_and_facets_come_in_one_answer() {
    let app = spawn_app().await;
    for (i, (service, started)) in [
        ("aws-us-east-1", "2021-12-07T15:32:00Z"),
        ("aws-us-east-1", "2023-06-13T18:49:00Z"),
        ("aws-us-east-1", "2025-10-20T07:11:00Z"),
        ("gcp", "2025-06-12T17:51:00Z"),
    ]
    .iter()
    .enumerate()
    {
        app.create_incident(json!({
            "title": format!("Increased error rates {i}"), "services": [service],
            "impact": if i == 3 { "critical" } else { "major" }, "started_at": started,
            "body": "Increased error rates for API requests."
        }))
        .await;
    }
    let body = app
        .search(&[("q", "error rates"), ("sort", "date"), ("limit", "2")])
        .await;
    assert_eq!(body["total"], 4);
    assert_eq!(
        titles(&body),
        vec!["Increased error rates 2", "Increased error rates 3"]
    );
    let page2 = app
        .search(&[
            ("q", "error rates"),
            ("sort", "date"),
            ("limit", "2"),
            ("offset", "2"),
        ])
        .await;
    assert_eq!(
        titles(&page2),
        vec!["Increased error rates 1", "Increased error rates 0"]
    );

    let body = app
        .search(&[
            ("q", "errors"),
            ("since", "2023-01-01T00:00:00Z"),
            ("until", "2025-10-20T07:11:00Z"),
        ])
        .await;
    assert_eq!(
        body["total"], 2,
        "since is inclusive, until exclusive: {body}"
    );

    let facets = &app.search(&[("q", "errors")]).await["facets"];
    assert_eq!(
        facets["services"][0],
        json!({"value": "aws-us-east-1", "count": 3})
    );
    assert_eq!(facets["services"][1], json!({"value": "gcp", "count": 1}));
    assert!(
        facets["impact"]
            .as_array()
            .unwrap()
            .contains(&json!({"value": "critical", "count": 1}))
    );
    assert_eq!(
        facets["year"],
        json!([{"value": "2025", "count": 2}, {"value": "2023", "count": 1}, {"value": "2021", "count": 1}])
    );
}

#[actix_web::test]
async fn snippets_highlight_matches_and_escape_everything_else() {
    let app = spawn_app().await;
    incident(
        &app,
        "<script>alert(1)</script> outage",
        &["evil"],
        "minor",
        "An <img src=x onerror=alert(1)> broke the login page & more.",
    )
    .await;
    let body = app.search(&[("q", "login")]).await;
    let snippet = body["hits"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<b>login</b>"), "{snippet}");
    assert!(snippet.contains("&lt;img"), "{snippet}");
    assert!(!snippet.contains("<img"), "{snippet}");
    assert!(snippet.contains("&amp;"), "{snippet}");
}

#[actix_web::test]
async fn similar_past_outages_come_from_the_same_index() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "DynamoDB DNS resolution failures",
        &["aws-us-east-1"],
        "critical",
        "DNS resolution of the DynamoDB regional endpoint failed.",
    )
    .await;
    incident(
        &app,
        "DynamoDB endpoint DNS errors",
        &["aws-us-east-1"],
        "major",
        "Requests to DynamoDB failed to resolve in DNS.",
    )
    .await;
    incident(
        &app,
        "Billing page typo",
        &["shop"],
        "none",
        "A typo on the invoice page.",
    )
    .await;
    app.search(&[]).await;
    let body = app
        .get_json(&format!("/api/v1/incidents/{id}/similar"))
        .await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[0]["title"], "DynamoDB endpoint DNS errors", "{body}");
    assert!(
        items.iter().all(|i| i["incident_id"] != id.as_str()),
        "not itself"
    );
}

#[actix_web::test]
async fn a_written_postmortem_is_searchable_with_its_incident() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "Login failures",
        &["auth"],
        "major",
        "Users cannot log in.",
    )
    .await;
    let res = app
        .post_json(
            &format!("/api/v1/incidents/{id}/postmortem"),
            &json!({"markdown": "# Login failures\n\nA certificate rotation job expired the signing key."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = app.search(&[("q", "certificate rotation")]).await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["hits"][0]["incident_id"], id.as_str());
}

#[actix_web::test]
async fn malformed_queries_are_answered_leniently() {
    let app = spawn_app().await;
    incident(
        &app,
        "Webhooks delayed (again)",
        &["github"],
        "minor",
        "Deliveries \"stuck\" in queue.",
    )
    .await;
    for q in [
        "\"webhooks delayed",
        "(webhooks OR",
        "webhooks)",
        "AND",
        "nosuchfield:webhooks",
        "title:webhooks",
        "service:",
        "*",
        "NOT webhooks",
        "webhooks^^^2",
        "[a TO",
        "ünïcödé 🔥 webhooks",
    ] {
        let res = app.search_response(&[("q", q)]).await;
        assert_eq!(res.status(), StatusCode::OK, "query {q:?}");
        let body: Value = res.json().await.unwrap();
        assert!(body["total"].is_u64(), "query {q:?}: {body}");
    }
    let body = app.search(&[("q", "webhooks nosuchfield:x")]).await;
    assert!(!body["warnings"].as_array().unwrap().is_empty(), "{body}");
}

#[actix_web::test]
async fn an_empty_query_lists_everything_newest_first() {
    let app = spawn_app().await;
    app.create_incident(
        json!({"title": "Older", "services": ["a"], "started_at": "2024-01-01T00:00:00Z"}),
    )
    .await;
    app.create_incident(
        json!({"title": "Newer", "services": ["a"], "started_at": "2025-01-01T00:00:00Z"}),
    )
    .await;
    let body = app.search(&[("q", "   ")]).await;
    assert_eq!(titles(&body), vec!["Newer", "Older"]);
}

#[actix_web::test]
async fn limits_that_protect_the_server_are_clear_errors() {
    let app = spawn_app().await;
    let long = "webhooks ".repeat(1112);
    assert!(long.len() >= 10_000);
    let body = assert_problem(
        app.search_response(&[("q", &long)]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("longer than"),
        "{body}"
    );
    assert_problem(
        app.search_response(&[("offset", "1000000000000")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.search_response(&[("offset", "99999999999999999999999")])
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.search_response(&[("limit", "0")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.search_response(&[("limit", "1000")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.search_response(&[("since", "yesterday")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.search_response(&[("impact", "apocalyptic")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.search_response(&[("sort", "random")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.search_response(&[
            ("since", "2025-01-02T00:00:00Z"),
            ("until", "2025-01-01T00:00:00Z"),
        ])
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let res = app.get("/api/v1/incidents/not-an-id/similar").await;
    assert_problem(res, StatusCode::BAD_REQUEST).await;
}

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

#[actix_web::test]
async fn the_incident_page_lists_similar_past_outages() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "Webhook deliveries delayed",
        &["github"],
        "minor",
        "Webhook deliveries are delayed.",
    )
    .await;
    incident(
        &app,
        "Webhook deliveries failing",
        &["github"],
        "major",
        "Webhook deliveries fail.",
    )
    .await;
    app.search(&[]).await;
    let page =
        crate::helpers::html(app.get(&format!("/incidents/{id}")).await, StatusCode::OK).await;
    assert!(page.contains("Similar past outages"), "{page}");
    assert!(page.contains("Webhook deliveries failing"), "{page}");
}

#[actix_web::test]
async fn report_comments_are_searchable_with_the_incident_their_spike_opened() {
    let app = spawn_app().await;
    let res = app
        .put_json(
            "/api/v1/services/snapgram",
            &json!({"name": "Snapgram", "kind": "application"}),
        )
        .await;
    assert!(res.status().is_success());
    let start = chrono::Utc::now() - chrono::Duration::hours(3);
    let mut lines = String::new();
    // A quiet two hours first, so the burst stands out from the service's normal.
    for i in 0..12 {
        let at = start - chrono::Duration::minutes(120 - i * 10);
        lines.push_str(&format!(
            "{{\"service\": \"snapgram\", \"reported_at\": \"{}\", \"reporter\": \"quiet{i}\"}}\n",
            at.to_rfc3339()
        ));
    }
    for minute in 0..8 {
        for r in 0..20 {
            let at = start + chrono::Duration::minutes(minute) + chrono::Duration::seconds(r);
            let comment = if r == 0 {
                ", \"comment\": \"the zorglub screen stays blank\""
            } else {
                ""
            };
            lines.push_str(&format!(
                "{{\"service\": \"snapgram\", \"reported_at\": \"{}\", \"reporter\": \"u{minute}-{r}\"{comment}}}\n",
                at.to_rfc3339()
            ));
        }
    }
    let res = app
        .client
        .post(app.url("/api/v1/ingest/reports-jsonl"))
        .bearer_auth(&app.token)
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let backfill: Value = res.json().await.unwrap();
    assert_eq!(backfill["incidents"], 1, "{backfill}");
    let body = app.search(&[("q", "zorglub")]).await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["hits"][0]["services"], json!(["snapgram"]));
    assert!(
        body["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<b>zorglub</b>"),
        "{body}"
    );
}

#[actix_web::test]
async fn a_search_right_after_the_first_start_waits_for_the_index_instead_of_failing() {
    for _ in 0..5 {
        let app = spawn_app().await;
        let res = app.get("/api/v1/search?q=anything").await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.get("/search?q=anything").await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
