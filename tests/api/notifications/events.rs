//! Which event a change is announced as: `incident.resolved` on the change that resolves an
//! incident, and `incident.updated` for every later change to it, so a subscriber hears
//! "resolved" once per resolution.

use serde_json::json;

use super::receiver::Receiver;
use super::{Notifying, incident, notifying};

/// The events of every delivery made so far, oldest first.
fn events(n: &Notifying) -> Vec<String> {
    n.made().into_iter().map(|(_, event)| event).collect()
}

#[actix_web::test]
async fn resolved_is_announced_on_the_move_to_resolved_and_later_changes_are_updates() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    n.subscribe(json!({"kind": "webhook", "target": receiver.url()}))
        .await;
    let created = n.app.create_incident(incident("Payments failing")).await;
    let id = created["id"].as_str().unwrap();
    n.fan_out_until(1).await;
    let update = |body: serde_json::Value| {
        let path = format!("/api/v1/incidents/{id}/updates");
        let app = &n.app;
        async move {
            let res = app.post_json(&path, &body).await;
            assert_eq!(res.status(), 201);
        }
    };
    update(json!({"body": "Fixed.", "status": "resolved"})).await;
    n.fan_out_until(2).await;
    // A note on the resolved incident, then a change of its impact: updates, not resolutions.
    update(json!({"body": "The root cause was an expired certificate."})).await;
    n.fan_out_until(3).await;
    let res = n
        .app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &json!({"impact": "minor"}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    n.fan_out_until(4).await;
    // Reopened and resolved again: a second resolution is announced again.
    update(json!({"body": "It came back.", "status": "investigating"})).await;
    n.fan_out_until(5).await;
    update(json!({"body": "Fixed for good.", "status": "resolved"})).await;
    n.fan_out_until(6).await;
    assert_eq!(
        events(&n),
        [
            "incident.created",
            "incident.resolved",
            "incident.updated",
            "incident.updated",
            "incident.updated",
            "incident.resolved",
        ]
    );
}
