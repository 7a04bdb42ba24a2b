//! Notifications out (issue 21): subscriptions over the API, the fan-out from the outbox, and
//! delivery to receivers of our own (`receiver`), with a clock the tests choose.
//!
//! `serve`'s own notification jobs are off in tests (`NotifyConfig::run`); each test runs the
//! fan-out and the delivery passes itself, at the times it wants.

mod api;
mod batches;
mod delivery;
mod escaping;
mod events;
mod instances;
mod pages;
mod receiver;
mod recovery;
mod saved_search;
mod store_move;

use std::time::Duration;

use aftermath::config::PrivateSources;
use aftermath::jobs::notifications::{self, Delivered, Links, Sender, Settings};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

/// An app whose targets may be these loopback receivers, with its sender, fan-out registered
/// (so every change after this is notified).
pub struct Notifying {
    pub app: TestApp,
    pub sender: Sender,
    pub settings: Settings,
}

pub async fn notifying(allowed: &[String], smtp: Option<String>) -> Notifying {
    let allowed = allowed.join(",");
    let private = if allowed.is_empty() {
        PrivateSources::Refused
    } else {
        PrivateSources::parse(&allowed).unwrap()
    };
    let private_for_app = private.clone();
    let smtp_for_app = smtp.clone();
    let from = smtp
        .as_ref()
        .map(|_| "Aftermath <alerts@aftermath.test>".to_string());
    let from_for_app = from.clone();
    let app = spawn_app_with(move |c| {
        c.private_sources = private_for_app;
        c.notifications.smtp_url = smtp_for_app;
        c.notifications.smtp_from = from_for_app;
    })
    .await;
    let settings = Settings::default();
    let config = aftermath::config::NotifyConfig {
        run: false,
        smtp_url: smtp,
        smtp_from: from,
    };
    let sender = notifications::sender(&private, &config, &settings).unwrap();
    let n = Notifying {
        app,
        sender,
        settings,
    };
    n.fan_out();
    n
}

impl Notifying {
    /// One fan-out pass, as the leader runs it.
    pub fn fan_out(&self) -> notifications::FanOut {
        notifications::fan_out_once(&self.app.db, &Links::default(), "test", Utc::now()).unwrap()
    }

    /// Fans out until `expected` deliveries exist in all. On PostgreSQL the outbox is read only
    /// below the oldest transaction running anywhere, which other tests may hold for a while.
    pub async fn fan_out_until(&self, expected: i64) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            self.fan_out();
            let made = self.deliveries_made();
            if made >= expected {
                assert_eq!(made, expected, "deliveries made");
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "only {made} of {expected} deliveries were made"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn deliveries_made(&self) -> i64 {
        self.app.snapshot().rows("deliveries")
    }

    /// `(incident, event)` of every delivery made so far, oldest first.
    pub fn made(&self) -> Vec<(String, String)> {
        use aftermath::db::schema::deliveries;
        use diesel::prelude::*;
        self.app
            .db
            .run(|conn| {
                Ok(deliveries::table
                    .order(deliveries::seq.asc())
                    .select((deliveries::incident_key, deliveries::event))
                    .load(conn)?)
            })
            .unwrap()
    }

    /// One delivery pass at `now`.
    pub async fn deliver(&self, now: DateTime<Utc>) -> Delivered {
        notifications::deliver_due(&self.app.db, &self.sender, &self.settings, "worker", now)
            .await
            .unwrap()
    }

    /// Creates a subscription; asserts 201 and returns its JSON.
    pub async fn subscribe(&self, body: Value) -> Value {
        let res = self.app.post_json("/api/v1/subscriptions", &body).await;
        let status = res.status();
        let json: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{json}");
        json
    }
}

/// An incident with this title on `api`.
pub fn incident(title: &str) -> Value {
    json!({"title": title, "services": ["api"], "impact": "major"})
}
