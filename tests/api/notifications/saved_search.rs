//! Alerts on a saved search: a subscription whose filter is a query fires for the incidents a
//! strict search for it finds, and for no other.

use serde_json::json;

use super::notifying;
use super::receiver::Receiver;

fn delivered_incidents(n: &super::Notifying) -> Vec<String> {
    n.made().into_iter().map(|(incident, _)| incident).collect()
}

#[actix_web::test]
async fn a_saved_search_fires_for_a_match_and_stays_silent_otherwise() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    n.subscribe(json!({
        "kind": "webhook",
        "target": receiver.url(),
        "filter": {"query": "dynamodb us-east-1"},
        "events": ["incident.created"],
    }))
    .await;
    n.subscribe(json!({
        "kind": "webhook",
        "target": receiver.url(),
        "filter": {"query": "panne paiement"},
        "events": ["incident.created"],
    }))
    .await;
    let hit = n
        .app
        .create_incident(json!({
            "title": "Increased DynamoDB error rates in us-east-1",
            "services": ["aws-us-east-1"],
        }))
        .await;
    let miss = n
        .app
        .create_incident(json!({
            "title": "DynamoDB latency in eu-west-1",
            "services": ["aws-eu-west-1"],
        }))
        .await;
    let french = n
        .app
        .create_incident(json!({
            "title": "Pannes de paiement sur l'application",
            "services": ["shop"],
        }))
        .await;
    n.fan_out_until(2).await;
    // A later batch with nothing that matches makes nothing.
    n.app
        .create_incident(json!({"title": "Login failures", "services": ["auth"]}))
        .await;
    let made = n.deliveries_made();
    for _ in 0..20 {
        n.fan_out();
    }
    assert_eq!(n.deliveries_made(), made);
    let got = delivered_incidents(&n);
    assert!(
        got.contains(&hit["id"].as_str().unwrap().to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&french["id"].as_str().unwrap().to_string()),
        "{got:?}"
    );
    assert!(
        !got.contains(&miss["id"].as_str().unwrap().to_string()),
        "{got:?}"
    );

    // The search agrees: the same query, strictly, finds the same incident.
    let found = n
        .app
        .search(&[("q", "dynamodb us-east-1"), ("strict", "true")])
        .await;
    let ids: Vec<&str> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["incident_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [hit["id"].as_str().unwrap()]);
}

#[actix_web::test]
async fn filters_choose_services_impact_and_events() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    n.subscribe(json!({
        "kind": "webhook",
        "target": receiver.url(),
        "filter": {"services": ["payments"], "min_impact": "major"},
        "events": ["incident.created"],
    }))
    .await;
    let hit = n
        .app
        .create_incident(
            json!({"title": "Payments down", "services": ["payments"], "impact": "critical"}),
        )
        .await;
    n.app
        .create_incident(
            json!({"title": "Payments slow", "services": ["payments"], "impact": "minor"}),
        )
        .await;
    n.app
        .create_incident(
            json!({"title": "Search down", "services": ["search"], "impact": "critical"}),
        )
        .await;
    n.fan_out_until(1).await;
    for _ in 0..10 {
        n.fan_out();
    }
    assert_eq!(delivered_incidents(&n), [hit["id"].as_str().unwrap()]);
}
