//! The shape of an answer: ranges, sorting, pages, facets and escaped snippets.

use serde_json::json;

use super::{incident, titles};
use crate::helpers::spawn_app;

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
