//! Notifications out (issue 21): subscriptions hear about incident changes by signed webhook,
//! Slack or email, at least once and in order.
//!
//! Two jobs, both started by `serve` (off in tests, which call the passes themselves with a
//! clock they control):
//! - the fan-out ([`fanout`]), on the leader only: outbox rows in, `deliveries` rows out, in
//!   the same database, with its position registered among the outbox's readers (kind
//!   `notifications`) so pruning waits for it;
//! - the delivery worker ([`worker`]), on every instance: claims due deliveries (`FOR UPDATE
//!   SKIP LOCKED` on PostgreSQL), sends them ([`send`]), logs every attempt and retries with
//!   backoff and jitter ([`backoff`]): the first retry within 5 s, then for up to 24 hours,
//!   after which the delivery is dead and the next in its order goes ahead. A target failing
//!   for 3 days is paused.
//!
//! Rules: a delivery's id travels as its idempotency key (`webhook-id`); deliveries of one
//! incident to one subscription go in the order they were made (`db::deliveries`); what is
//! sent is rendered once ([`render`]); targets obey the poller's address rules, the SMTP relay
//! excepted. A pass that fails logs and is tried again at the next beat.

pub mod backoff;
pub mod fanout;
pub mod mail;
pub mod render;
pub mod send;
pub mod signing;
pub mod worker;

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use tokio::sync::watch;

use crate::config::{NotifyConfig, PrivateSources};
use crate::db::{Db, DbError};
use crate::jobs::leader::Leader;

pub use fanout::{FanOut, fan_out_once};
pub use render::Links;
pub use send::Sender;
pub use worker::{Delivered, deliver_due};

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error("a blocking task failed: {0}")]
    Join(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("bad SMTP settings: {0}")]
    Smtp(String),
}

/// The delivery worker's limits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Deliveries claimed per pass.
    pub batch: i64,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// How long a claim lasts if its outcome is never recorded (a crash): how long the
    /// deliveries a killed process held wait before another worker sends them. Longer than a
    /// whole pass ([`Settings::longest_pass`]), so nothing is claimed twice while in flight.
    pub lease: Duration,
    /// One send's bound.
    pub timeout: StdDuration,
    /// A delivery still failing this long after it was made is dead.
    pub give_up_after: Duration,
    /// A target failing this long is paused.
    pub pause_after: Duration,
}

impl Settings {
    /// The longest a pass's sends can take: its batch in rounds of `concurrency`, each send
    /// bounded by `timeout`.
    pub fn longest_pass(&self) -> StdDuration {
        let rounds = (self.batch.max(0) as u64).div_ceil(self.concurrency.max(1) as u64);
        self.timeout * u32::try_from(rounds).unwrap_or(u32::MAX)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            // Three rounds of 32: 30 s at worst, half the lease.
            batch: 96,
            concurrency: 32,
            lease: Duration::seconds(60),
            timeout: StdDuration::from_secs(10),
            give_up_after: Duration::hours(24),
            pause_after: Duration::days(3),
        }
    }
}

/// How often the jobs look for work when there was none.
pub const POLL: StdDuration = StdDuration::from_millis(200);

/// The sender `serve` uses: the poller's address rules, and SMTP if configured.
pub fn sender(
    private: &PrivateSources,
    config: &NotifyConfig,
    settings: &Settings,
) -> Result<Sender, NotifyError> {
    let mailer = match (&config.smtp_url, &config.smtp_from) {
        (Some(url), Some(from)) => Some(mail::Mailer::new(url, from)?),
        (Some(_), None) | (None, Some(_)) => {
            return Err(NotifyError::Smtp(
                "AFTERMATH_SMTP_URL and AFTERMATH_SMTP_FROM go together".into(),
            ));
        }
        (None, None) => None,
    };
    Sender::new(private, settings.timeout, mailer).map_err(|e| NotifyError::Client(e.to_string()))
}

/// The fan-out, on the leader, until `stop` says so.
pub async fn run_fan_out(db: Db, leader: Leader, links: Links, mut stop: watch::Receiver<bool>) {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    loop {
        if *stop.borrow() {
            return;
        }
        let mut drained = true;
        if leader.is_leader() {
            let (db, links, host) = (db.clone(), links.clone(), host.clone());
            let pass =
                tokio::task::spawn_blocking(move || fan_out_once(&db, &links, &host, Utc::now()))
                    .await;
            match pass {
                // Waits only after a pass that found nothing: one that found rows may have
                // been followed by more while it worked, and each wait adds to the latency.
                Ok(Ok(done)) => drained = done.rows == 0,
                Ok(Err(e)) => tracing::warn!(error = %e, "notification fan-out failed"),
                Err(e) => tracing::error!(error = %e, "notification fan-out panicked"),
            }
        }
        if drained {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// The delivery worker, until `stop` says so; then it gives back what it holds.
pub async fn run_worker(
    db: Db,
    sender: Sender,
    settings: Settings,
    mut stop: watch::Receiver<bool>,
) {
    let owner = crate::jobs::instance_id();
    loop {
        if *stop.borrow() {
            break;
        }
        let busy = match deliver_due(&db, &sender, &settings, owner, Utc::now()).await {
            Ok(done) => done.attempts() > 0,
            Err(e) => {
                tracing::warn!(error = %e, "notification delivery pass failed");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }
    let released = tokio::task::spawn_blocking(move || {
        db.write(|conn| crate::db::deliveries::release_held(conn, owner))
    })
    .await;
    if let Ok(Err(e)) = released {
        tracing::warn!(error = %e, "cannot release held deliveries");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_outlasts_a_whole_pass_and_a_crash_waits_at_most_a_minute() {
        let settings = Settings::default();
        let pass = Duration::from_std(settings.longest_pass()).unwrap_or(Duration::MAX);
        assert!(settings.lease > pass, "{} vs {pass}", settings.lease);
        assert!(settings.lease <= Duration::seconds(60));
    }
}
