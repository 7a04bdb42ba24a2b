//! Links follow the catalog: declaring a dependency later turns a suggestion into a declared link.

use serde_json::json;

use crate::cascade::load_scenario;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn declaring_a_dependency_later_replaces_the_suggestion_with_a_declared_link() {
    let app = spawn_app().await;
    load_scenario(&app, false).await;
    let id = app
        .db
        .run(|c| aftermath::db::spikes::spikes_of_service(c, "snapgram"))
        .unwrap()[0]
        .incident_id
        .clone()
        .unwrap();
    let before = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(before["links"][0]["confidence"], 0.4, "{}", before["links"]);

    let res = app
        .put_json(
            "/api/v1/services/snapgram",
            &json!({"name": "Snapgram", "kind": "application", "depends_on": ["nimbus-us-east"]}),
        )
        .await;
    assert!(res.status().is_success());
    let after = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    let links = after["links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["confidence"], 0.9);
    assert!(
        links[0]["reason"]
            .as_str()
            .unwrap()
            .ends_with("Snapgram depends on it"),
        "{}",
        links[0]["reason"]
    );
}
