//! Sending one delivery: an HTTP POST (webhook, Slack) through the poller's guarded client,
//! or a mail through the SMTP relay.
//!
//! Rules:
//! - HTTP targets obey the poller's address rules (`AFTERMATH_ALLOW_PRIVATE_SOURCES`): the
//!   URL is checked before the request, names by the client's resolver, and no redirect is
//!   followed. The SMTP relay is the operator's own setting and is exempt.
//! - A webhook carries Standard Webhooks' headers: `webhook-id` (the delivery id, the same on
//!   every attempt: the receiver's idempotency key), `webhook-timestamp` (the real time of
//!   the attempt: receivers refuse old ones) and `webhook-signature` (one per valid secret).
//! - Any 2xx is a success; anything else, a timeout or a refused address is a failure, and the
//!   error kept is short and names no secret.
//! - One send, HTTP or mail, takes at most the timeout it was built with, whatever the target
//!   does: the worker's claim has to outlast a whole pass (`Settings::lease`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::Url;

use super::mail::Mailer;
use super::signing;
use crate::config::PrivateSources;
use crate::db::deliveries::Claimed;
use crate::db::subscriptions::Subscription;
use crate::domain::subscription::Kind;
use crate::jobs::poller::address::Allowance;

const USER_AGENT: &str = concat!("aftermath-notifications/", env!("CARGO_PKG_VERSION"));

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// Everything a worker sends with; cheap to clone.
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    allowance: Arc<Allowance>,
    mailer: Option<Arc<Mailer>>,
    timeout: Duration,
}

impl Sender {
    pub fn new(
        private: &PrivateSources,
        timeout: Duration,
        mailer: Option<Mailer>,
    ) -> Result<Self, reqwest::Error> {
        let (http, allowance) = crate::jobs::poller::guarded_client(private, USER_AGENT, timeout)?;
        Ok(Self {
            http,
            allowance,
            mailer: mailer.map(Arc::new),
            timeout,
        })
    }

    pub async fn send(&self, delivery: &Claimed, sub: &Subscription) -> Outcome {
        let started = Instant::now();
        let sending = async {
            match sub.kind {
                Kind::Webhook | Kind::Slack => self.post(delivery, sub).await,
                Kind::Email => match &self.mailer {
                    Some(mailer) => mailer.send(delivery, sub).await.map(|()| None),
                    None => Err("no SMTP relay is configured (AFTERMATH_SMTP_URL)".to_string()),
                },
            }
        };
        // The HTTP client has this timeout too; the SMTP transport's is per command.
        let result = tokio::time::timeout(self.timeout, sending)
            .await
            .unwrap_or_else(|_| Err("timed out".to_string()));
        let latency_ms = started.elapsed().as_millis().min(i64::MAX as u128) as i64;
        match result {
            Ok(status_code) => Outcome {
                ok: true,
                status_code,
                latency_ms,
                error: None,
            },
            Err(error) => Outcome {
                ok: false,
                status_code: status_of(&error),
                latency_ms,
                error: Some(error),
            },
        }
    }

    /// POSTs the body; `Ok` with the status on a 2xx.
    async fn post(&self, delivery: &Claimed, sub: &Subscription) -> Result<Option<i32>, String> {
        let url = Url::parse(&sub.target).map_err(|e| format!("bad URL: {e}"))?;
        self.allowance.check_url(&url).map_err(|r| r.explain())?;
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/json");
        if sub.kind == Kind::Webhook {
            let timestamp = Utc::now().timestamp();
            let secrets = sub.signing_secrets(Utc::now());
            request = request
                .header("webhook-id", &delivery.id)
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    signing::header(&secrets, &delivery.id, timestamp, &delivery.body),
                );
        }
        let response = request
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| short_error(&e))?;
        let status = response.status();
        if status.is_success() {
            Ok(Some(i32::from(status.as_u16())))
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }
}

/// The status of an `HTTP 500` error, kept in the attempt log.
fn status_of(error: &str) -> Option<i32> {
    error.strip_prefix("HTTP ").and_then(|s| s.parse().ok())
}

/// What went wrong, without the URL (a Slack webhook's URL is its secret).
fn short_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<crate::jobs::poller::address::Refused>() {
            return refused.explain();
        }
        source = s.source();
    }
    if e.is_connect() {
        "cannot connect".into()
    } else {
        "the request failed".into()
    }
}
