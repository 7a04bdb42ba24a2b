//! The delivery worker, on every instance: claim due deliveries, send them, log each attempt
//! and decide what comes next (delivered, a retry after a backoff, or dead). A subscription
//! whose target keeps failing for [`Settings::pause_after`] is paused.
//!
//! Rule: `now` comes from the caller (the running job passes the real time, tests a time they
//! choose), so no test waits out a real backoff.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use super::send::{Outcome, Sender};
use super::{NotifyError, Settings, backoff};
use crate::db::deliveries::{self, Attempt, Claimed, Next};
use crate::db::subscriptions::{self, Subscription};
use crate::db::{Db, DbError};

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub delivered: usize,
    pub failed: usize,
    pub dead: usize,
}

impl Delivered {
    pub fn attempts(&self) -> usize {
        self.delivered + self.failed + self.dead
    }
}

/// Claims up to `settings.batch` due deliveries as `owner`, sends them (in parallel: each is
/// the next of its own order) and records the outcomes.
pub async fn deliver_due(
    db: &Db,
    sender: &Sender,
    settings: &Settings,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<Delivered, NotifyError> {
    let (db1, owner1) = (db.clone(), owner.to_string());
    let (lease_until, batch) = (now + settings.lease, settings.batch);
    // The claim and the batch's subscriptions in one transaction (one connection, one query
    // each); a subscription removed meanwhile is left out, with its deliveries.
    let (claimed, subs) = blocking(move || {
        db1.write(|conn| {
            let claimed = deliveries::claim(conn, &owner1, now, lease_until, batch)?;
            if claimed.is_empty() {
                return Ok((claimed, HashMap::new()));
            }
            let ids: Vec<String> = claimed.iter().map(|c| c.subscription_id.clone()).collect();
            let subs = subscriptions::many(conn, &ids)?;
            let subs: HashMap<String, Subscription> =
                subs.into_iter().map(|s| (s.id.clone(), s)).collect();
            Ok((claimed, subs))
        })
    })
    .await?;
    if claimed.is_empty() {
        return Ok(Delivered::default());
    }
    let work: Vec<(Claimed, Subscription)> = claimed
        .into_iter()
        .filter_map(|c| {
            let sub = subs.get(&c.subscription_id)?.clone();
            Some((c, sub))
        })
        .collect();
    let outcomes: Vec<(Claimed, Subscription, Outcome)> = futures_util::stream::iter(work)
        .map(|(c, sub)| async move {
            let outcome = sender.send(&c, &sub).await;
            (c, sub, outcome)
        })
        .buffer_unordered(settings.concurrency)
        .collect()
        .await;
    let settings = settings.clone();
    let db3 = db.clone();
    blocking(move || db3.write(|conn| record_all(conn, &outcomes, &settings, now))).await
}

/// Records a pass's outcomes in few statements (`deliveries::record_all`): failures one by
/// one (each may pause its subscription), successes together.
fn record_all(
    conn: &mut crate::db::DbConn,
    outcomes: &[(Claimed, Subscription, Outcome)],
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Delivered, DbError> {
    let mut done = Delivered::default();
    let mut log = Vec::with_capacity(outcomes.len());
    let mut succeeded = BTreeSet::new();
    for (delivery, sub, outcome) in outcomes {
        let next = if outcome.ok {
            succeeded.insert(sub.id.as_str());
            Next::Delivered
        } else {
            if subscriptions::record_failure(conn, &sub.id, now, settings.pause_after)? {
                tracing::warn!(subscription = %sub.id, "target failing for too long; subscription paused");
            }
            let failures = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
            backoff::after_failure(failures, delivery.created_at(), now, settings.give_up_after)
        };
        let outcome_word = match next {
            Next::Delivered => {
                done.delivered += 1;
                "delivered"
            }
            Next::RetryAt(_) => {
                done.failed += 1;
                "failed"
            }
            Next::Dead => {
                done.dead += 1;
                "dead"
            }
        };
        crate::telemetry::metrics::count_delivery(sub.kind.as_str(), outcome_word);
        let attempt = Attempt {
            attempted_at: now,
            status_code: outcome.status_code,
            latency_ms: outcome.latency_ms,
            error: outcome.error.clone(),
        };
        log.push((delivery.id.clone(), attempt, next));
    }
    let succeeded: Vec<&str> = succeeded.into_iter().collect();
    subscriptions::record_successes(conn, &succeeded)?;
    deliveries::record_all(conn, &log)?;
    Ok(done)
}

/// Blocking storage work off the event loop, its error as the job's.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DbError> + Send + 'static,
) -> Result<T, NotifyError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| NotifyError::Join(e.to_string()))?
        .map_err(NotifyError::Db)
}
