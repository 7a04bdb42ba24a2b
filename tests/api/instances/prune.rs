//! Two instances register two index replicas, and the shared outbox shrinks to their horizon
//! once the retention has passed; a killed instance is forgotten and holds nothing back.

use std::time::Duration;

use aftermath::db::{outbox, replicas};
use serde_json::{Value, json};

use super::{Cluster, Instance, eventually};

async fn metrics(instance: &Instance) -> Option<String> {
    instance
        .client
        .get(instance.url("/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()
}

async fn create(instance: &Instance, token: &str, title: &str) {
    let res = instance
        .client
        .post(instance.url("/api/v1/incidents"))
        .bearer_auth(token)
        .json(&json!({"title": title, "services": ["wombat"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

async fn finds(instance: &Instance, q: &str) {
    eventually(Duration::from_secs(60), "searchable", || async {
        let url = instance.url(&format!("/api/v1/search?q={q}"));
        let body: Value = instance
            .client
            .get(url)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (body["total"].as_u64()? > 0).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn two_instances_register_two_replicas_and_the_outbox_shrinks_to_their_horizon() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let args = ["--no-poll", "--outbox-retention", "2s"];
    let a = cluster.serve(&args);
    let mut b = cluster.serve(&args);
    // The leader's notification fan-out reads the outbox too; the indexes are what this counts.
    let known = index_replicas(&cluster);
    assert_eq!(known.len(), 2, "{known:?}");
    assert!(
        known
            .iter()
            .all(|r| r.kind == replicas::INDEX && !r.host.is_empty())
    );
    // Each is the replica its data directory names.
    for instance in [&a, &b] {
        let id = std::fs::read_to_string(instance.data_dir.join("index/replica-id")).unwrap();
        assert!(known.iter().any(|r| r.id == id.trim()), "{id} in {known:?}");
    }
    assert_ne!(known[0].id, known[1].id);
    let text = metrics(&a).await.unwrap();
    assert!(
        text.contains("aftermath_outbox_replicas{kind=\"index\"} 2"),
        "{text}"
    );

    create(&a, &cluster.token, "Wombat checkout unavailable").await;
    finds(&b, "wombat").await;
    eventually(Duration::from_secs(90), "the outbox pruned", || async {
        (cluster.db.run(outbox::row_count).unwrap() == 0).then_some(())
    })
    .await;

    // B dies: once silent for longer than the retention it is forgotten, and A's writes are
    // pruned without it.
    b.kill();
    create(&a, &cluster.token, "Numbat login failures").await;
    finds(&a, "numbat").await;
    eventually(
        Duration::from_secs(90),
        "B forgotten, the outbox pruned",
        || async {
            let readers = index_replicas(&cluster).len();
            (readers == 1 && cluster.db.run(outbox::row_count).unwrap() == 0).then_some(())
        },
    )
    .await;
    let text = metrics(&a).await.unwrap();
    assert!(
        text.contains("aftermath_outbox_replicas{kind=\"index\"} 1"),
        "{text}"
    );
    assert!(text.contains("aftermath_outbox_rows 0"), "{text}");
}

/// The registered outbox readers that are search indexes.
fn index_replicas(cluster: &Cluster) -> Vec<replicas::Replica> {
    let all = cluster.db.run(replicas::list).unwrap();
    all.into_iter()
        .filter(|r| r.kind == replicas::INDEX)
        .collect()
}
