//! Queries as people type them: sentences with stop words, relaxed matching said out loud,
//! typos, product names and regions, dates, and strict matching.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{incident, titles};
use crate::helpers::{TestApp, spawn_app};

/// Incidents of GitHub, AWS and a French shop, all started on 20 October 2025.
async fn outages(app: &TestApp) {
    for (title, services, impact, body) in [
        (
            "Incident with Webhooks",
            &["github"][..],
            "minor",
            "We are seeing errors and delays in webhook deliveries.",
        ),
        (
            "Increased error rates",
            &["aws-us-east-1"],
            "major",
            "Amazon DynamoDB requests in the N. Virginia region fail with errors.",
        ),
        (
            "Instances unreachable",
            &["aws-us-east-1"],
            "major",
            "Some Amazon Elastic Compute Cloud instances lost network connectivity.",
        ),
        (
            "Erreurs de connexion à l'application",
            &["boutique"],
            "major",
            "Une partie des clients ne peut plus se connecter : erreur de connexion.",
        ),
    ] {
        incident(app, title, services, impact, body).await;
    }
}

fn strings(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {body}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn stop_words_never_empty_a_result() {
    let app = spawn_app().await;
    outages(&app).await;
    for (q, expected) in [
        ("errors in webhooks", "Incident with Webhooks"),
        (
            "erreur de connexion",
            "Erreurs de connexion à l'application",
        ),
        ("why were the webhooks failing", "Incident with Webhooks"),
    ] {
        let body = app.search(&[("q", q)]).await;
        assert_eq!(
            titles(&body).first().map(String::as_str),
            Some(expected),
            "{q}: {body}"
        );
    }
    let body = app.search(&[("q", "errors in webhooks")]).await;
    assert_eq!(strings(&body, "dropped_words"), ["in"], "{body}");
}

#[actix_web::test]
async fn few_strict_hits_relax_to_some_of_the_words_and_say_so() {
    let app = spawn_app().await;
    outages(&app).await;
    // No incident has all three words; two thirds of them find the webhooks incident first.
    let body = app
        .search(&[("q", "webhooks errors yesterday's deploy")])
        .await;
    assert_eq!(body["relaxed"], true, "{body}");
    assert_eq!(titles(&body)[0], "Incident with Webhooks", "{body}");
    // Strict: every word, as typed, or nothing.
    let body = app
        .search(&[
            ("q", "webhooks errors yesterday's deploy"),
            ("strict", "true"),
        ])
        .await;
    assert_eq!(
        (body["relaxed"].clone(), body["total"].clone()),
        (json!(false), json!(0))
    );
    // One word has nothing to relax.
    let body = app.search(&[("q", "webhooks")]).await;
    assert_eq!(body["relaxed"], false, "{body}");
    assert_eq!(titles(&body), ["Incident with Webhooks"], "{body}");
}

#[actix_web::test]
async fn misspelt_words_find_what_they_meant_and_offer_the_spelling() {
    let app = spawn_app().await;
    outages(&app).await;
    for (q, expected, meant) in [
        ("dynamdb", "Increased error rates", "dynamodb"),
        (
            "conexion",
            "Erreurs de connexion à l'application",
            "connexion",
        ),
        ("webhoks errors", "Incident with Webhooks", "webhook errors"),
    ] {
        let body = app.search(&[("q", q)]).await;
        assert_eq!(
            titles(&body).first().map(String::as_str),
            Some(expected),
            "{q}: {body}"
        );
        assert_eq!(body["did_you_mean"], meant, "{q}: {body}");
        assert_eq!(body["expanded"][0]["kind"], "typo", "{body}");
    }
    // Strict reads the word as typed: nothing.
    let body = app.search(&[("q", "dynamdb"), ("strict", "true")]).await;
    assert_eq!(body["total"], 0, "{body}");
    assert!(body["did_you_mean"].is_null(), "{body}");
}

#[actix_web::test]
async fn product_abbreviations_and_region_names_find_what_providers_write() {
    let app = spawn_app().await;
    outages(&app).await;
    let body = app.search(&[("q", "ec2")]).await;
    assert_eq!(titles(&body), ["Instances unreachable"], "{body}");
    assert_eq!(body["expanded"][0]["kind"], "alias", "{body}");
    let body = app.search(&[("q", "us-east-1 dynamodb")]).await;
    assert_eq!(titles(&body)[0], "Increased error rates", "{body}");
}

#[actix_web::test]
async fn a_date_in_the_query_becomes_a_time_filter() {
    let app = spawn_app().await;
    outages(&app).await;
    let body = app.search(&[("q", "webhooks october 20 2025")]).await;
    assert_eq!(titles(&body), ["Incident with Webhooks"], "{body}");
    assert_eq!(body["filters_applied"][0]["kind"], "date", "{body}");
    assert_eq!(
        body["filters_applied"][0]["since"], "2025-10-20T00:00:00Z",
        "{body}"
    );
    assert_eq!(
        body["filters_applied"][0]["until"], "2025-10-21T00:00:00Z",
        "{body}"
    );
    // Another day: nothing, and the filter says why.
    let body = app.search(&[("q", "webhooks 21 octobre 2025")]).await;
    assert_eq!(body["total"], 0, "{body}");
    // Only a date: that period's incidents, newest first.
    let body = app.search(&[("q", "oct 2025")]).await;
    assert_eq!(body["total"], 4, "{body}");
    assert_eq!(body["hits"][0]["score"], 0.0, "sorted by date: {body}");
    // Strict reads no date: "2025" is a word, found nowhere.
    let body = app
        .search(&[("q", "webhooks 2025"), ("strict", "true")])
        .await;
    assert!(
        body["filters_applied"].as_array().unwrap().is_empty(),
        "{body}"
    );
}

#[actix_web::test]
async fn when_no_incident_of_the_period_has_the_words_the_period_is_listed_relaxed() {
    let app = spawn_app().await;
    outages(&app).await;
    app.create_incident(json!({
        "title": "Kubernetes nodes not ready", "services": ["gke"],
        "started_at": "2025-11-03T10:00:00Z", "body": "Clusters could not add nodes."
    }))
    .await;
    // "kubernetes" is found, but not on 20 October: the day's incidents, said as relaxed.
    let body = app.search(&[("q", "kubernetes october 20 2025")]).await;
    assert_eq!(body["total"], 4, "{body}");
    assert_eq!(body["relaxed"], true, "{body}");
    assert!(!titles(&body).contains(&"Kubernetes nodes not ready".to_string()));
    // Strict asks for the word: nothing.
    let body = app
        .search(&[("q", "kubernetes 2025-10-20"), ("strict", "true")])
        .await;
    assert_eq!(body["total"], 0, "{body}");
}

#[actix_web::test]
async fn odd_queries_get_an_answer_never_an_error() {
    let app = spawn_app().await;
    outages(&app).await;
    let deep = format!("{}webhooks{}", "(".repeat(500), ")".repeat(490));
    let near_misses: String = (0..60)
        .map(|i| {
            format!(
                "abcdefgh{}{} ",
                (b'k' + i / 10) as char,
                (b'k' + i % 10) as char
            )
        })
        .collect();
    incident(&app, "Nonsense words", &["noise"], "none", &near_misses).await;
    for q in [
        "the of and",
        "le la de",
        "?!., ;:",
        "2021",
        "yesterday",
        "ec2",
        "n. virginia",
        "(((((",
        &deep,
        "abcd",
        "abcdefghij",
        "in",
    ] {
        let res = app.search_response(&[("q", q)]).await;
        assert_eq!(res.status(), StatusCode::OK, "query {q:?}");
        let body: Value = res.json().await.unwrap();
        assert!(body["total"].is_u64(), "query {q:?}: {body}");
        if q == "abcdefghij" {
            let to = body["expanded"][0]["to"].as_array().unwrap();
            assert!(!to.is_empty() && to.len() <= 50, "capped: {body}");
        }
        if q == "abcd" {
            assert!(
                body["expanded"].as_array().unwrap().is_empty(),
                "short: {body}"
            );
        }
    }
    let long = "webhooks ".repeat(1200);
    let res = app.search_response(&[("q", &long)]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn the_page_says_how_it_read_the_query() {
    let app = spawn_app().await;
    outages(&app).await;
    app.search(&[("q", "webhooks")]).await;
    let page = |q: &str| {
        let app = &app;
        let q = q.to_string();
        async move {
            let res = app
                .client
                .get(app.url("/search"))
                .query(&[("q", q)])
                .send()
                .await
                .unwrap();
            crate::helpers::html(res, StatusCode::OK).await
        }
    };
    let html = page("webhooks errors yesterday's deploy").await;
    assert!(
        html.contains("Showing results that match some of your words"),
        "{html}"
    );
    assert!(html.contains("strict=true"), "{html}");
    let html = page("dynamdb").await;
    assert!(
        html.contains("Did you mean <a href=\"/search?q=dynamodb\">dynamodb</a>"),
        "{html}"
    );
    let html = page("webhooks october 20 2025").await;
    assert!(html.contains("date: october 20 2025"), "{html}");
    assert!(
        html.contains("href=\"/search?q=webhooks\""),
        "the chip removes the date: {html}"
    );
}

#[actix_web::test]
async fn a_relaxed_search_ranks_hits_with_more_of_the_words_first() {
    let app = spawn_app().await;
    for (title, body) in [
        (
            "Application errors",
            "Application errors in the application, application again.",
        ),
        (
            "Application indisponible",
            "L'application est indisponible.",
        ),
    ] {
        app.create_incident(json!({"title": title, "services": ["shop"], "body": body}))
            .await;
    }
    let body = app.search(&[("q", "application indisponible")]).await;
    assert_eq!(titles(&body)[0], "Application indisponible", "{body}");
}
