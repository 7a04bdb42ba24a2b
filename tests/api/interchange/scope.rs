//! `?service=` scoping of every interchange document, and bad queries: unknown service 404,
//! unknown parameter 400, wrong method 405, all as problem+json.

use reqwest::StatusCode;

use super::{bytes, populated};
use crate::helpers::assert_problem;

#[actix_web::test]
async fn a_document_scoped_to_a_service_holds_its_incidents_alone_and_its_components_ungrouped() {
    let (app, hostile) = populated().await;
    let acme = app.get_json("/api/v2/incidents.json?service=acme").await;
    assert_eq!(acme["page"]["id"], "acme");
    let ids: Vec<&str> = acme["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let v1 = app
        .get_json("/api/v1/incidents?service=acme&limit=50")
        .await;
    let v1_ids: Vec<&str> = v1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, v1_ids);
    assert!(ids.contains(&hostile.as_str()));
    let whole = app.get_json("/api/v2/incidents.json").await;
    assert!(whole["incidents"].as_array().unwrap().len() > ids.len());

    let summary = app.get_json("/api/v2/summary.json?service=acme").await;
    for c in summary["components"].as_array().unwrap() {
        assert_eq!(
            c["group"], false,
            "a service page lists its components ungrouped"
        );
        assert!(c["group_id"].is_null());
    }
    let (_, raw) = bytes(&app, "/feed.atom?service=acme").await;
    let feed = feed_rs::parser::parse(raw.as_slice()).unwrap();
    // incidents.json lists outages only; the feed is the page's history, planned work too, as
    // Statuspage's history feeds are.
    let planned = app
        .get_json("/api/v2/scheduled-maintenances.json?service=acme")
        .await;
    let planned = planned["scheduled_maintenances"].as_array().unwrap().len();
    assert!(planned > 0, "the fixture has a maintenance");
    assert_eq!(feed.entries.len(), ids.len() + planned);
    assert!(
        feed.links.iter().any(
            |l| l.rel.as_deref() == Some("self") && l.href.ends_with("/feed.atom?service=acme")
        )
    );
}

#[actix_web::test]
async fn unknown_services_and_parameters_are_problems_and_posts_are_refused_on_every_document() {
    let (app, _) = populated().await;
    for path in [
        "/api/v2/summary.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/feed.atom",
    ] {
        let body = assert_problem(
            app.get(&format!("{path}?service=no-such-service")).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap().contains("no-such-service"),
            "{body}"
        );
        assert_problem(
            app.get(&format!("{path}?limit=5")).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        let res = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
}
