//! Cascade links: declared dependencies, suggestions without them, and people's decisions that
//! recomputation keeps.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{fixture, incident_of, load_scenario, post_bytes};
use crate::helpers::{assert_problem, spawn_app};

fn upstream_links(incident: &Value) -> Vec<Value> {
    incident["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "upstream")
        .cloned()
        .collect()
}

#[actix_web::test]
async fn declared_dependencies_link_each_app_to_the_infrastructure_outage() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let nimbus = incident_of(&app, "nimbus-us-east").await;
    for app_service in ["snapgram", "robotrade", "coinpurse", "fortvale"] {
        let incident = incident_of(&app, app_service).await;
        let links = upstream_links(&incident);
        assert_eq!(links.len(), 1, "{app_service}: {links:?}");
        assert_eq!(links[0]["incident_id"], nimbus["id"]);
        assert_eq!(links[0]["set_by"], "auto");
        assert_eq!(links[0]["confidence"], 0.9);
    }
    let snapgram = incident_of(&app, "snapgram").await;
    assert_eq!(
        upstream_links(&snapgram)[0]["reason"],
        "started 9 min after Nimbus Cloud us-east; Snapgram depends on it"
    );
    let downstream = nimbus["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "downstream")
        .count();
    assert_eq!(downstream, 4);
}

#[actix_web::test]
async fn without_declared_dependencies_the_apps_get_lower_confidence_suggestions() {
    let app = spawn_app().await;
    load_scenario(&app, false).await;
    let nimbus = incident_of(&app, "nimbus-us-east").await;
    for app_service in ["snapgram", "robotrade", "coinpurse", "fortvale"] {
        let links = upstream_links(&incident_of(&app, app_service).await);
        assert_eq!(links.len(), 1, "{app_service}: {links:?}");
        assert_eq!(links[0]["incident_id"], nimbus["id"]);
        assert_eq!(links[0]["confidence"], 0.4);
        assert!(
            links[0]["reason"]
                .as_str()
                .unwrap()
                .contains("no dependency declared"),
            "{}",
            links[0]["reason"]
        );
    }
}

#[actix_web::test]
async fn people_confirm_or_remove_links_and_recomputation_keeps_their_decision() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let nimbus = incident_of(&app, "nimbus-us-east").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let snapgram = incident_of(&app, "snapgram").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let robotrade = incident_of(&app, "robotrade").await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let removed = app
        .client
        .delete(app.url(&format!("/api/v1/incidents/{snapgram}/links/{nimbus}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::OK);
    let confirmed = app
        .post_json(
            &format!("/api/v1/incidents/{robotrade}/links/{nimbus}/confirm"),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let confirmed: Value = confirmed.json().await.unwrap();
    assert_eq!(upstream_links(&confirmed)[0]["set_by"], "person");
    assert_eq!(upstream_links(&confirmed)[0]["confidence"], 1.0);

    // Late data and edits recompute the links; the decisions stand.
    app.patch_json(
        &format!("/api/v1/incidents/{snapgram}"),
        &json!({"impact": "critical"}),
    )
    .await;
    post_bytes(
        &app,
        "/api/v1/ingest/statuspage",
        fixture("status-nimbus.json"),
    )
    .await;
    let snap = app.get_json(&format!("/api/v1/incidents/{snapgram}")).await;
    assert!(upstream_links(&snap).is_empty(), "{}", snap["links"]);
    let robo = app
        .get_json(&format!("/api/v1/incidents/{robotrade}"))
        .await;
    assert_eq!(upstream_links(&robo)[0]["set_by"], "person");

    let again = app
        .client
        .delete(app.url(&format!("/api/v1/incidents/{snapgram}/links/{nimbus}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::NOT_FOUND).await;
    let anonymous = app
        .client
        .post(app.url(&format!(
            "/api/v1/incidents/{robotrade}/links/{nimbus}/confirm"
        )))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED).await;
}
