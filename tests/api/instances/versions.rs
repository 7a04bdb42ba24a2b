//! No lost update across instances: two `serve` processes writing the same incident at the same
//! moment each keep their change, because every incident write locks the row and applies its
//! change to the row as it is now.

use serde_json::{Value, json};

use super::{Cluster, Instance};

/// Opens an incident through `a` and returns its id.
async fn open(cluster: &Cluster, a: &Instance) -> String {
    let res = a
        .client
        .post(a.url("/api/v1/incidents"))
        .bearer_auth(&cluster.token)
        .json(&json!({"title": "Wombatpay round 0", "services": ["wombatpay"], "impact": "minor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn patch(cluster: &Cluster, at: &Instance, id: &str, body: Value) -> u16 {
    at.client
        .patch(at.url(&format!("/api/v1/incidents/{id}")))
        .bearer_auth(&cluster.token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn incident(at: &Instance, id: &str) -> Value {
    at.client
        .get(at.url(&format!("/api/v1/incidents/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[actix_web::test]
async fn two_instances_patching_one_incident_at_once_keep_both_changes() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let a = cluster.serve(&["--no-poll"]);
    let b = cluster.serve(&["--no-poll"]);
    assert_ne!(
        a.data_dir, b.data_dir,
        "two processes, each with its own index"
    );
    let id = open(&cluster, &a).await;
    let impacts = ["major", "critical"];
    let mut lost = Vec::new();
    for round in 1..=50 {
        let title = format!("Wombatpay round {round}");
        let impact = impacts[round % 2];
        let (sa, sb) = tokio::join!(
            patch(&cluster, &a, &id, json!({ "title": title })),
            patch(&cluster, &b, &id, json!({ "impact": impact })),
        );
        assert_eq!((sa, sb), (200, 200), "round {round}");
        let now = incident(&b, &id).await;
        if now["title"] != title.as_str() || now["impact"] != impact {
            lost.push((round, now["title"].clone(), now["impact"].clone()));
        }
    }
    assert!(
        lost.is_empty(),
        "changes lost in {} rounds: {lost:?}",
        lost.len()
    );
}

#[actix_web::test]
async fn two_hundred_updates_through_two_instances_all_land() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let a = cluster.serve(&["--no-poll"]);
    let b = cluster.serve(&["--no-poll"]);
    let id = open(&cluster, &a).await;
    let before = incident(&a, &id).await;
    let posts = (0..200).map(|n| {
        let (at, token, id) = (if n % 2 == 0 { &a } else { &b }, &cluster.token, &id);
        async move {
            at.client
                .post(at.url(&format!("/api/v1/incidents/{id}/updates")))
                .bearer_auth(token)
                .json(&json!({ "body": format!("Update number {n}") }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(posts).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let after = incident(&b, &id).await;
    let timeline = after["timeline"].as_array().unwrap();
    for n in 0..200 {
        let body = format!("Update number {n}");
        assert!(
            timeline.iter().any(|e| e["body"] == body.as_str()),
            "{body} missing"
        );
    }
    assert_eq!(timeline.len(), 201, "the first entry and the 200 updates");
    let incident: aftermath::domain::IncidentId = id.parse().unwrap();
    let stored = cluster
        .db
        .run(|conn| aftermath::db::timeline::for_incident(conn, incident))
        .unwrap();
    assert_eq!(stored.len(), 201, "as the store holds it");
    let grew = after["version"].as_i64().unwrap() - before["version"].as_i64().unwrap();
    assert!(grew >= 200, "the version grew by {grew}");
}

#[actix_web::test]
async fn an_etag_read_through_one_instance_goes_stale_when_the_other_writes() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let a = cluster.serve(&["--no-poll"]);
    let b = cluster.serve(&["--no-poll"]);
    let id = open(&cluster, &a).await;
    let path = format!("/api/v1/incidents/{id}");
    let read = a.client.get(a.url(&path)).send().await.unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(
        patch(&cluster, &b, &id, json!({"impact": "major"})).await,
        200
    );
    let stale = a
        .client
        .patch(a.url(&path))
        .bearer_auth(&cluster.token)
        .header("If-Match", &etag)
        .json(&json!({"impact": "none"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let now = incident(&a, &id).await;
    assert_eq!(now["impact"], "major", "the stale write changed nothing");
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(problem["current_version"], now["version"]);
}
