//! Many rows at once: the fan-out's deliveries and a worker pass's attempts are written in a
//! few multi-row statements on PostgreSQL, and must say exactly what the row-by-row writes say
//! on SQLite: `seq` in the order given, every attempt logged in order, each delivery moved on.

use aftermath::db::deliveries::{self, Attempt, NewDelivery, Next};
use aftermath::db::schema::deliveries as d;
use aftermath::db::subscriptions::{self, NewSubscription};
use aftermath::domain::subscription::{EventKind, Filter, Format, Kind};
use chrono::{Duration, DurationRound, Utc};
use diesel::prelude::*;

use crate::helpers::{TestApp, spawn_app};

fn subscribe(app: &TestApp, target: &str) -> String {
    let new = NewSubscription {
        owner_token_id: "owner".into(),
        owner_name: "owner".into(),
        kind: Kind::Webhook,
        target: target.into(),
        format: Format::Statuspage,
        filter: Filter::default(),
        events: EventKind::ALL.to_vec(),
    };
    app.db.write(|c| subscriptions::create(c, &new)).unwrap().id
}

#[actix_web::test]
async fn thousands_of_deliveries_made_at_once_keep_the_order_they_were_given() {
    let app = spawn_app().await;
    let subs = [
        subscribe(&app, "https://a.example.com/hook"),
        subscribe(&app, "https://b.example.com/hook"),
    ];
    // More than one statement's worth on PostgreSQL, interleaving subscriptions and incidents
    // the way a fan-out of several changes does.
    let count = 2_345;
    let new: Vec<NewDelivery> = (0..count)
        .map(|i| NewDelivery {
            subscription_id: subs[i % 2].clone(),
            event: "incident.updated".into(),
            incident_key: format!("incident-{}", i % 7),
            body: format!("{{\"n\": {i}}}"),
        })
        .collect();
    let ids = app
        .db
        .write(|c| deliveries::enqueue(c, &new, Utc::now()))
        .unwrap();
    assert_eq!(ids.len(), count);

    let stored: Vec<(String, String, String)> = app
        .db
        .run(|c| {
            Ok(d::table
                .order(d::seq.asc())
                .select((d::id, d::subscription_id, d::body))
                .load(c)?)
        })
        .unwrap();
    let given: Vec<(String, String, String)> = ids
        .into_iter()
        .zip(&new)
        .map(|(id, n)| (id, n.subscription_id.clone(), n.body.clone()))
        .collect();
    assert_eq!(stored, given, "seq follows the order given");
}

#[actix_web::test]
async fn a_pass_of_mixed_outcomes_logs_every_attempt_and_moves_each_delivery_on() {
    let app = spawn_app().await;
    let sub = subscribe(&app, "https://a.example.com/hook");
    // Whole seconds: both backends keep them exactly.
    let now = Utc::now().duration_trunc(Duration::seconds(1)).unwrap();
    let new: Vec<NewDelivery> = ["a", "b", "c", "d"]
        .iter()
        .map(|incident| NewDelivery {
            subscription_id: sub.clone(),
            event: "incident.created".into(),
            incident_key: (*incident).into(),
            body: "{}".into(),
        })
        .collect();
    let retry_at = now + Duration::seconds(5);
    app.db
        .write(|c| {
            let ids = deliveries::enqueue(c, &new, now)?;
            deliveries::claim(c, "worker", now, now + Duration::seconds(60), 10)?;
            let attempt = |status_code: Option<i32>, error: Option<&str>| Attempt {
                attempted_at: now,
                status_code,
                latency_ms: 7,
                error: error.map(str::to_string),
            };
            let done = [
                (ids[0].clone(), attempt(Some(200), None), Next::Delivered),
                (
                    ids[1].clone(),
                    attempt(Some(500), Some("HTTP 500")),
                    Next::RetryAt(retry_at),
                ),
                (
                    ids[2].clone(),
                    attempt(None, Some("connection refused")),
                    Next::Dead,
                ),
                (ids[3].clone(), attempt(Some(204), None), Next::Delivered),
            ];
            deliveries::record_all(c, &done)
        })
        .unwrap();

    let mut listed = app.db.run(|c| deliveries::recent(c, &sub, 10)).unwrap();
    listed.reverse();
    let states: Vec<(&str, i32, Option<&str>)> = listed
        .iter()
        .map(|l| (l.state.as_str(), l.attempts, l.last_error.as_deref()))
        .collect();
    assert_eq!(
        states,
        [
            ("delivered", 1, None),
            ("pending", 1, Some("HTTP 500")),
            ("dead", 1, Some("connection refused")),
            ("delivered", 1, None),
        ]
    );
    let finished: Vec<bool> = listed.iter().map(|l| l.finished_at.is_some()).collect();
    assert_eq!(finished, [true, false, true, true]);
    assert_eq!(
        listed[1].next_attempt_at, retry_at,
        "the retry waits its backoff"
    );
    let logged: Vec<(Option<i32>, i64)> = listed
        .iter()
        .flat_map(|l| l.log.iter().map(|a| (a.status_code, a.latency_ms)))
        .collect();
    assert_eq!(
        logged,
        [(Some(200), 7), (Some(500), 7), (None, 7), (Some(204), 7)]
    );

    // Every lease is given back: the retry is claimed again once due, by anyone.
    let again = app
        .db
        .write(|c| deliveries::claim(c, "other", retry_at, retry_at + Duration::seconds(60), 10))
        .unwrap();
    let again: Vec<&str> = again.iter().map(|c| c.incident_key.as_str()).collect();
    assert_eq!(again, ["b"]);
}
