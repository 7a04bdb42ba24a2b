//! A write through one instance is searchable through another: each keeps its own index, and
//! each tails the shared outbox.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Cluster, eventually};

#[actix_web::test]
async fn a_write_through_one_instance_is_searchable_through_the_other() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let a = cluster.serve(&["--no-poll"]);
    let b = cluster.serve(&["--no-poll"]);
    let created = a
        .client
        .post(a.url("/api/v1/incidents"))
        .bearer_auth(&cluster.token)
        .json(&json!({
            "title": "Quokkadrome checkout unavailable",
            "services": ["quokkadrome"],
            "impact": "major",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let id = created.json::<Value>().await.unwrap()["id"].clone();
    let found = eventually(Duration::from_secs(30), "searchable through B", || async {
        let hits: Value = b
            .client
            .get(b.url("/api/v1/search?q=quokkadrome"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let hits = hits["hits"].as_array()?.clone();
        (!hits.is_empty()).then_some(hits)
    })
    .await;
    assert_eq!(found[0]["incident_id"], id, "{found:?}");
}
