//! A person confirms a cascade link found automatically, then removes it, from the outage page.

use serde_json::Value;

use super::{Browser, sign_in};
use crate::helpers::{TestApp, spawn_app};

/// The region outage of the demo, in full.
async fn region_outage(app: &TestApp) -> Value {
    let service = app.get_json("/api/v1/services/nimbus-us-east-1").await;
    let id = service["recent_incidents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.get_json(&format!("/api/v1/incidents/{id}")).await
}

fn downstream_links(incident: &Value) -> Vec<Value> {
    incident["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "downstream")
        .cloned()
        .collect()
}

#[actix_web::test]
async fn a_person_confirms_then_removes_a_cascade_link() {
    let app = spawn_app().await;
    aftermath::demo::load(&app.db).unwrap();
    let region = region_outage(&app).await;
    let id = region["id"].as_str().unwrap().to_string();
    let before = downstream_links(&region);
    let first = before.first().expect("the demo links its apps").clone();
    assert_eq!(first["set_by"], "auto");
    let app_id = first["incident_id"].as_str().unwrap();
    let Some(browser) = Browser::open(&app, "browser::links::confirm_and_remove").await else {
        return;
    };
    sign_in(&browser, &app).await;
    browser.visit(&format!("/incidents/{id}")).await;

    let confirm = format!("form[action='/incidents/{id}/links/{app_id}/confirm'] button");
    browser.submit(&confirm).await;
    let confirmed = downstream_links(&region_outage(&app).await);
    let link = confirmed
        .iter()
        .find(|l| l["incident_id"] == app_id)
        .unwrap();
    assert_eq!(link["set_by"], "person", "{link}");

    let remove = format!("form[action='/incidents/{id}/links/{app_id}/remove'] button");
    browser.submit(&remove).await;
    let after = downstream_links(&region_outage(&app).await);
    assert_eq!(after.len(), before.len() - 1, "{after:?}");
    assert!(after.iter().all(|l| l["incident_id"] != app_id));
    browser.close().await;
}
