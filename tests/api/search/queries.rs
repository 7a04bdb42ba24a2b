//! What a query matches: other forms of a word in English and French, operators, phrases and
//! fields, and the empty query.

use serde_json::{Value, json};

use super::{incident, titles};
use crate::helpers::spawn_app;

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
