//! After a `kill -9`, a delivery the dead worker had claimed waits for its claim to run out
//! (`Settings::lease`, at most a minute), then another worker sends it. The clock is the
//! test's: nothing sleeps.

use aftermath::db::deliveries;
use chrono::{Duration, Utc};
use serde_json::json;

use super::receiver::Receiver;
use super::{incident, notifying};

#[actix_web::test]
async fn a_delivery_held_by_a_dead_worker_goes_out_once_its_claim_runs_out() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    n.subscribe(json!({"kind": "webhook", "target": receiver.url()}))
        .await;
    n.app.create_incident(incident("Login failures")).await;
    n.fan_out_until(1).await;
    let lease = n.settings.lease;
    assert!(lease <= Duration::seconds(60), "{lease}");

    // A worker claims it and dies before it records anything.
    let t0 = Utc::now();
    let held = n
        .app
        .db
        .write(|c| deliveries::claim(c, "killed", t0, t0 + lease, 10))
        .unwrap();
    assert_eq!(held.len(), 1);

    let pass = n.deliver(t0 + lease - Duration::seconds(1)).await;
    assert_eq!(pass.attempts(), 0, "still held by the dead worker");
    assert!(receiver.received().is_empty());
    let pass = n.deliver(t0 + lease + Duration::seconds(1)).await;
    assert_eq!(pass.delivered, 1, "{pass:?}");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("webhook-id"), Some(held[0].id.as_str()));
}
