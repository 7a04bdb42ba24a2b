//! Notifications with real `serve` processes on one PostgreSQL (`instances::Cluster`): nothing
//! pending is lost to a `kill -9`, and two instances send each delivery once. On SQLite these
//! return at once, as the other several-instances tests do.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::receiver::Receiver;
use crate::instances::{Cluster, Instance, eventually};

async fn post(instance: &Instance, token: &str, path: &str, body: Value) -> Value {
    let res = instance
        .client
        .post(instance.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

/// How many times each delivery id was answered 200.
fn delivered(receiver: &Receiver) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for r in receiver.received().iter().filter(|r| r.status == 200) {
        *ids.entry(r.header("webhook-id").unwrap().to_string())
            .or_default() += 1;
    }
    ids
}

#[actix_web::test]
async fn serve_killed_with_deliveries_pending_delivers_them_all_after_a_restart() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    // Failing at first, so deliveries are pending (waiting for a retry) when the process dies.
    let receiver = Receiver::start(&[500; 3]);
    let allow = receiver.host_port();
    let mut first = cluster.serve(&["--allow-private-sources", &allow]);
    let token = cluster.token.clone();
    post(
        &first,
        &token,
        "/api/v1/subscriptions",
        json!({"kind": "webhook", "target": receiver.url()}),
    )
    .await;
    // The fan-out starts at the outbox's end once it runs: give it a beat before the changes.
    eventually(
        Duration::from_secs(30),
        "the fan-out registered",
        || async {
            let readers = cluster.db.run(aftermath::db::replicas::list).unwrap();
            readers
                .iter()
                .any(|r| r.kind == "notifications")
                .then_some(())
        },
    )
    .await;
    for title in ["Queue delays", "Search errors", "Billing outage"] {
        post(
            &first,
            &token,
            "/api/v1/incidents",
            json!({"title": title, "services": ["api"]}),
        )
        .await;
    }
    eventually(
        Duration::from_secs(60),
        "a first attempt failed",
        || async { (!receiver.received().is_empty()).then_some(()) },
    )
    .await;
    first.kill();
    let _second = cluster.serve(&["--allow-private-sources", &allow]);
    let ids = eventually(Duration::from_secs(120), "all three delivered", || async {
        let ids = delivered(&receiver);
        (ids.len() == 3).then_some(ids)
    })
    .await;
    assert_eq!(ids.len(), 3, "{ids:?}");
}

#[actix_web::test]
async fn two_instances_deliver_each_event_once() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let receiver = Receiver::start(&[]);
    let allow = receiver.host_port();
    let a = cluster.serve(&["--allow-private-sources", &allow]);
    let b = cluster.serve(&["--allow-private-sources", &allow]);
    let token = cluster.token.clone();
    for _ in 0..3 {
        post(
            &a,
            &token,
            "/api/v1/subscriptions",
            json!({"kind": "webhook", "target": receiver.url()}),
        )
        .await;
    }
    eventually(
        Duration::from_secs(30),
        "the fan-out registered",
        || async {
            let readers = cluster.db.run(aftermath::db::replicas::list).unwrap();
            readers
                .iter()
                .any(|r| r.kind == "notifications")
                .then_some(())
        },
    )
    .await;
    for i in 0..10 {
        let on = if i % 2 == 0 { &a } else { &b };
        post(
            on,
            &token,
            "/api/v1/incidents",
            json!({"title": format!("Outage {i}"), "services": ["api"]}),
        )
        .await;
    }
    let ids = eventually(Duration::from_secs(120), "every delivery made", || async {
        let ids = delivered(&receiver);
        (ids.len() == 30).then_some(ids)
    })
    .await;
    // A moment more, for a second send that would come late.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ids_after = delivered(&receiver);
    assert_eq!(ids_after.len(), ids.len());
    assert!(
        ids_after.values().all(|n| *n == 1),
        "sent twice: {ids_after:?}"
    );
}
