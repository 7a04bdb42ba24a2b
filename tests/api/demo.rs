//! The demo data: a cloud-region outage with dependent apps and a few past incidents.

use aftermath::demo;
use serde_json::Value;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn loading_the_demo_twice_changes_nothing() {
    let app = spawn_app().await;
    let first = demo::load(&app.db).unwrap();
    assert!(first.created >= 10, "{first:?}");
    let after_first = app.snapshot();
    let second = demo::load(&app.db).unwrap();
    assert_eq!(
        (second.created, second.updated, second.unchanged),
        (0, 0, first.created)
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
