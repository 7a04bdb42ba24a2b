//! Delivery: at least once, in order, signed, retried with backoff on a clock the test sets.

use aftermath::db::schema::deliveries;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::receiver::{Received, Receiver};
use super::{incident, notifying};

/// Verifies a request with the specification's reference implementation.
fn verify(secret: &str, got: &Received) -> Result<(), String> {
    let mut headers = HeaderMap::new();
    for (k, v) in &got.headers {
        headers.insert(
            HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    standardwebhooks::Webhook::new(secret)
        .map_err(|e| e.to_string())?
        .verify(got.body.as_bytes(), &headers)
        .map_err(|e| e.to_string())
}

#[actix_web::test]
async fn a_receiver_that_fails_twice_gets_each_event_once_it_recovers_in_order() {
    let receiver = Receiver::start(&[500, 500]);
    let n = notifying(&[receiver.host_port()], None).await;
    let sub = n
        .subscribe(json!({"kind": "webhook", "target": receiver.url()}))
        .await;
    let secret = sub["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{sub}");

    let created = n.app.create_incident(incident("Elevated API errors")).await;
    let id = created["id"].as_str().unwrap();
    let res = n
        .app
        .post_json(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"body": "We found the cause.", "status": "identified"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    n.fan_out_until(2).await;

    // The first attempt fails; the second delivery waits behind the first.
    let t0 = Utc::now();
    let pass = n.deliver(t0).await;
    assert_eq!((pass.delivered, pass.failed), (0, 1));
    // Not due yet: the backoff has not passed on the test's clock.
    assert_eq!(n.deliver(t0).await.attempts(), 0);
    let pass = n.deliver(t0 + Duration::seconds(5)).await;
    assert_eq!((pass.delivered, pass.failed), (0, 1));
    let later = t0 + Duration::minutes(10);
    assert_eq!(n.deliver(later).await.delivered, 1);
    assert_eq!(n.deliver(later).await.delivered, 1);
    assert_eq!(n.deliver(later).await.attempts(), 0, "nothing left");

    let got = receiver.received();
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 200, 200]);
    let ids: Vec<&str> = got
        .iter()
        .map(|r| r.header("webhook-id").unwrap())
        .collect();
    assert_eq!(ids[0], ids[1], "a retry carries the same id");
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3]);
    let events: Vec<Value> = got
        .iter()
        .map(|r| r.json()["meta"]["event"].clone())
        .collect();
    assert_eq!(
        events,
        [
            "incident.created",
            "incident.created",
            "incident.created",
            "incident.updated"
        ]
    );
    for r in &got {
        verify(&secret, r).unwrap();
        assert_eq!(r.json()["incident"]["id"], id);
        assert!(r.json()["incident"]["incident_updates"].is_array());
    }

    // Each attempt is in the log, with its status.
    let sub_id = sub["id"].as_str().unwrap();
    let list = n
        .app
        .client
        .get(
            n.app
                .url(&format!("/api/v1/subscriptions/{sub_id}/deliveries")),
        )
        .bearer_auth(&n.app.token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let first = &items[1];
    assert_eq!(first["state"], "delivered");
    let codes: Vec<Value> = first["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, [json!(500), json!(500), json!(200)]);
}

#[actix_web::test]
async fn a_delivery_failing_for_a_day_is_dead_and_the_next_goes_ahead() {
    let receiver = Receiver::start(&[500; 20]);
    let n = notifying(&[receiver.host_port()], None).await;
    n.subscribe(json!({"kind": "webhook", "target": receiver.url(), "format": "aftermath"}))
        .await;
    let created = n.app.create_incident(incident("Queue backlog")).await;
    let id = created["id"].as_str().unwrap();
    let res = n
        .app
        .post_json(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"body": "Resolved.", "status": "resolved"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    n.fan_out_until(2).await;
    let t0 = Utc::now();
    assert_eq!(n.deliver(t0).await.failed, 1);
    let pass = n.deliver(t0 + Duration::hours(25)).await;
    assert_eq!(pass.dead, 1, "{pass:?}");
    let pass = n.deliver(t0 + Duration::hours(25)).await;
    assert_eq!(pass.attempts(), 1, "the next in order goes ahead");
    let got = receiver.received();
    let kinds: Vec<Value> = got.iter().map(|r| r.json()["type"].clone()).collect();
    assert_eq!(kinds.last().unwrap(), "incident.resolved");
    let states: Vec<String> = n
        .app
        .db
        .run(|conn| {
            Ok(deliveries::table
                .order(deliveries::seq.asc())
                .select(deliveries::state)
                .load(conn)?)
        })
        .unwrap();
    assert_eq!(states[0], "dead");
}

#[actix_web::test]
async fn a_target_failing_for_three_days_is_paused_until_resumed() {
    let receiver = Receiver::start(&[500; 50]);
    let n = notifying(&[receiver.host_port()], None).await;
    let sub = n
        .subscribe(json!({"kind": "webhook", "target": receiver.url()}))
        .await;
    let sub_id = sub["id"].as_str().unwrap();
    n.app.create_incident(incident("Storage latency")).await;
    n.fan_out_until(1).await;
    let t0 = Utc::now();
    n.deliver(t0).await;
    // A test event made later keeps the streak going past three days.
    let res = n
        .app
        .post_json(&format!("/api/v1/subscriptions/{sub_id}/test"), &json!({}))
        .await;
    assert_eq!(res.status(), 202);
    let pass = n.deliver(t0 + Duration::days(3)).await;
    assert!(pass.attempts() >= 1, "{pass:?}");
    let got = n
        .app
        .client
        .get(n.app.url(&format!("/api/v1/subscriptions/{sub_id}")))
        .bearer_auth(&n.app.token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(got["paused_at"].is_string(), "{got}");
    let before = receiver.received().len();
    assert_eq!(n.deliver(t0 + Duration::days(4)).await.attempts(), 0);
    let res = n
        .app
        .post_json(
            &format!("/api/v1/subscriptions/{sub_id}/resume"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The failing deliveries are dead by now (older than a day); a new event goes out.
    let res = n
        .app
        .post_json(&format!("/api/v1/subscriptions/{sub_id}/test"), &json!({}))
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(n.deliver(t0 + Duration::days(4)).await.attempts(), 1);
    assert!(receiver.received().len() > before);
}

#[actix_web::test]
async fn after_a_rotation_both_secrets_verify_for_a_day() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    let sub = n
        .subscribe(json!({"kind": "webhook", "target": receiver.url()}))
        .await;
    let (id, old) = (sub["id"].as_str().unwrap(), sub["secret"].as_str().unwrap());
    let res = n
        .app
        .post_json(
            &format!("/api/v1/subscriptions/{id}/rotate-secret"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap();
    assert_ne!(old, new);
    let res = n
        .app
        .post_json(&format!("/api/v1/subscriptions/{id}/test"), &json!({}))
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(n.deliver(Utc::now()).await.delivered, 1);
    let got = &receiver.received()[0];
    verify(old, got).unwrap();
    verify(new, got).unwrap();
    assert_eq!(
        got.header("webhook-signature").unwrap().split(' ').count(),
        2
    );
    verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", got).unwrap_err();
}
