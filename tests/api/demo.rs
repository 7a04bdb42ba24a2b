//! The demo data: a cloud-region outage with dependent apps, the user reports that spiked
//! before each one's first post, and a few past incidents.

use aftermath::demo;
use serde_json::Value;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn loading_the_demo_twice_changes_nothing() {
    let app = spawn_app().await;
    let first = demo::load(&app.db).unwrap();
    assert!(first.created >= 10, "{first:?}");
    assert!(first.reports >= 1_000, "a few days of reports: {first:?}");
    let after_first = app.snapshot();
    let second = demo::load(&app.db).unwrap();
    assert_eq!(
        (
            second.created,
            second.updated,
            second.unchanged,
            second.reports
        ),
        (0, 0, first.created, 0)
    );
    assert_eq!(app.snapshot(), after_first);
}

#[actix_web::test]
async fn the_demo_holds_a_region_outage_and_the_apps_that_depend_on_it() {
    let app = spawn_app().await;
    demo::load(&app.db).unwrap();
    let services = app.get_json("/api/v1/services").await;
    let items = services["items"].as_array().unwrap();
    let region = items
        .iter()
        .find(|s| s["kind"] == "infrastructure" && s["region"].is_string())
        .expect("a cloud region");
    let slug = region["slug"].as_str().unwrap();
    let region_detail = app.get_json(&format!("/api/v1/services/{slug}")).await;
    assert!(
        region_detail["dependents"].as_array().unwrap().len() >= 3,
        "{region_detail}"
    );
    let outage = &region_detail["recent_incidents"][0];
    let detail = app
        .get_json(&format!(
            "/api/v1/incidents/{}",
            outage["id"].as_str().unwrap()
        ))
        .await;
    assert!(detail["timeline"].as_array().unwrap().len() >= 5);
    assert_eq!(detail["status"], "resolved");
    assert!(
        detail["acknowledged_at"].is_string()
            && detail["mitigated_at"].is_string()
            && detail["resolved_at"].is_string()
    );
    let ongoing = app.get_json("/api/v1/incidents?status=monitoring").await;
    assert!(
        !ongoing["items"].as_array().unwrap().is_empty(),
        "something is still going on"
    );
    let all: Vec<Value> = app.get_json("/api/v1/incidents?limit=200").await["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        all.iter().any(|i| i["origin"] == "manual"),
        "one incident was filed by a person"
    );
}

/// The apps that went down with the region, in the demo's catalog.
const APPS: [&str; 5] = [
    "parley-chat",
    "tickertape",
    "hollowmere-online",
    "payvine",
    "panier-malin",
];

/// The newest incident of a service, in full.
async fn outage_of(app: &crate::helpers::TestApp, slug: &str) -> Value {
    let service = app.get_json(&format!("/api/v1/services/{slug}")).await;
    let id = service["recent_incidents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.get_json(&format!("/api/v1/incidents/{id}")).await
}

fn first_of_kind<'a>(incident: &'a Value, kind: &str) -> &'a str {
    incident["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .and_then(|e| e["occurred_at"].as_str())
        .unwrap_or_else(|| panic!("no {kind} in {}", incident["title"]))
}

#[actix_web::test]
async fn the_region_outage_shows_its_downstream_impact_and_report_charts() {
    let app = spawn_app().await;
    demo::load(&app.db).unwrap();
    let region = outage_of(&app, "nimbus-us-east-1").await;
    let downstream: Vec<&Value> = region["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "downstream")
        .collect();
    assert_eq!(downstream.len(), APPS.len(), "{}", region["links"]);
    for link in &downstream {
        let reason = link["reason"].as_str().unwrap();
        assert!(reason.contains("after Nimbus Cloud"), "{reason}");
        assert!(reason.ends_with("depends on it"), "{reason}");
    }
    assert!(region["report_count"].as_i64().unwrap() > 100, "{region}");

    let id = region["id"].as_str().unwrap();
    let page = app
        .get(&format!("/incidents/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Downstream impact"), "{page}");
    for name in ["Parley", "Tickertape", "Panier Malin"] {
        assert!(page.contains(name), "{name} is listed downstream");
    }
    let chart = app.get(&format!("/incidents/{id}/reports.svg")).await;
    assert_eq!(chart.status(), reqwest::StatusCode::OK);
    assert!(chart.text().await.unwrap().contains("<svg"));
}

#[actix_web::test]
async fn users_report_each_app_before_its_official_post_and_the_drafts_say_how_long() {
    let app = spawn_app().await;
    demo::load(&app.db).unwrap();
    for slug in APPS {
        let incident = outage_of(&app, slug).await;
        assert_eq!(
            incident["origin"], "status_page",
            "the post's incident: {slug}"
        );
        let spike = first_of_kind(&incident, "report_spike");
        let post = first_of_kind(&incident, "status_update");
        assert!(
            spike < post,
            "{slug}: users first ({spike}), then the post ({post})"
        );
        assert!(incident["report_count"].as_i64().unwrap() > 100, "{slug}");
        let id = incident["id"].as_str().unwrap();
        let draft = app
            .get_json(&format!("/api/v1/incidents/{id}/postmortem"))
            .await;
        let markdown = draft["markdown"].as_str().unwrap();
        assert!(
            markdown.contains("after the first spike"),
            "{slug}: the detection lag\n{markdown}"
        );
    }
}
