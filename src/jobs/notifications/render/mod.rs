//! What a delivery says, rendered once when the delivery is made (so every attempt sends the
//! same bytes): Statuspage's webhook body or Aftermath's own JSON, Slack blocks, or a mail.
//!
//! Rules: every text that came from outside (titles, bodies, service names) is data. JSON
//! bodies are written by serde, Slack's `mrkdwn` gets Slack's three escapes
//! ([`slack::escape`]), HTML mail parts are escaped element by element, and mail headers are
//! set through lettre, which encodes them; a subject never holds a line break.

pub mod email;
pub mod slack;
pub mod webhook;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::db::subscriptions::Subscription;
use crate::domain::subscription::{EventKind, Format, Kind};
use crate::domain::{SearchableIncident, TimelineEntry};

/// One change to tell a subscriber about.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub event: EventKind,
    pub incident: &'a SearchableIncident,
    /// The incident's timeline, oldest first.
    pub timeline: &'a [TimelineEntry],
    pub at: DateTime<Utc>,
}

impl Change<'_> {
    /// The newest timeline entry: "the new update".
    pub fn latest(&self) -> Option<&TimelineEntry> {
        self.timeline.last()
    }
}

/// Where links point: `AFTERMATH_PUBLIC_URL`, or relative paths without it.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub base: String,
}

impl Links {
    pub fn new(public_url: Option<&str>) -> Self {
        Self {
            base: public_url
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
        }
    }

    pub fn incident(&self, id: &str) -> String {
        format!("{}/incidents/{id}", self.base)
    }

    pub fn postmortem(&self, id: &str) -> String {
        format!("{}/incidents/{id}/postmortem", self.base)
    }

    pub fn subscription(&self, id: &str) -> String {
        format!("{}/subscriptions/{id}", self.base)
    }

    pub fn confirm(&self, sub: &Subscription) -> String {
        format!(
            "{}/subscriptions/{}/confirm?key={}",
            self.base, sub.id, sub.link_key
        )
    }

    pub fn unsubscribe(&self, sub: &Subscription) -> String {
        format!(
            "{}/subscriptions/{}/unsubscribe?key={}",
            self.base, sub.id, sub.link_key
        )
    }
}

/// The body of a delivery of `change` to `sub`.
pub fn body(sub: &Subscription, change: &Change<'_>, links: &Links) -> String {
    match (sub.kind, sub.format) {
        (Kind::Webhook, Format::Statuspage) => webhook::statuspage(change, links),
        (Kind::Webhook, Format::Aftermath) => webhook::aftermath(change, links),
        (Kind::Slack, _) => slack::message(change, links),
        (Kind::Email, _) => email::about(sub, change, links).to_json(),
    }
}

/// The body of the "send a test event" button's delivery.
pub fn test_body(sub: &Subscription, links: &Links, at: DateTime<Utc>) -> String {
    match sub.kind {
        Kind::Webhook => serde_json::json!({
            "type": crate::db::deliveries::TEST,
            "timestamp": rfc3339(at),
            "data": {"subscription_id": sub.id, "message": "A test event from Aftermath."},
        })
        .to_string(),
        Kind::Slack => slack::test(links, sub),
        Kind::Email => email::test(sub, links).to_json(),
    }
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
