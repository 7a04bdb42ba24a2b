//! The poller: fetches every due polled source over HTTP and applies what it finds.
//!
//! Rules:
//! - The schedule and the conditional-GET validators live in the `sources` table and only this
//!   module writes them (through `db::poll_state`), so they survive restarts.
//! - Each due source is fetched, applied and recorded in its own task: a slow, hanging or broken
//!   source never delays the others, and a cycle lasts at most [`PollerSettings::timeout`] plus
//!   the time to apply the bodies.
//! - A fetch is bounded as a whole (connect, headers and body) by the timeout, and the body by
//!   [`PollerSettings::max_body_bytes`], enforced while it streams in.
//! - A body is applied through `correlate::ingest_bytes` on the blocking pool: one document, one
//!   transaction, cascade links included; a body that fails to parse changes nothing and keeps
//!   the old validators.
//! - Only public addresses are fetched, on the first request and on every redirect hop, unless
//!   [`PollerSettings::private_sources`] allows more (`address` lists the ranges, `guard` says
//!   how the check and the connect use the same address).
//! - Every outcome is recorded: success and `304 Not Modified` reset the failure count and
//!   schedule `interval ± jitter`; a failure stores a short error naming what failed and backs
//!   off `interval · 2^failures`, capped at `max_backoff`, with jitter.
//! - A cycle fetches only the sources it claimed (`db::poll_state::claim`): a lease, in the
//!   database, on at most [`PollerSettings::batch`] due sources, for [`PollerSettings::lease`]
//!   (never shorter than twice the fetch bound), so several instances, and `poll --once` beside
//!   them, fetch each due source once. Recording the outcome releases the lease; the lease of a
//!   crashed process runs out and another takes the source.
//! - Stopping ([`run`]'s signal) claims nothing more, lets the fetches already claimed finish
//!   (for at most [`PollerSettings::drain`]), then releases whatever this process still holds.
//!   Cancelling [`poll_once`] is safe too: each source's outcome is recorded in one statement by
//!   its own task, and a source not recorded is due again when its lease runs out.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use rand::Rng;
use serde::Serialize;
use tokio::sync::watch;

use crate::correlate::{self, IngestError, IngestReport, Provenance};
use crate::db::sources::SourceRow;
use crate::db::{Db, poll_state};
use crate::domain::ServiceSlug;
use crate::ingest::Format;

pub mod address;
mod error;
mod fetch;
mod guard;
mod settings;

use error::{PollError, short};
use fetch::{Client, Fetched, build_client, fetch};
pub use guard::guarded_client;
pub use settings::PollerSettings;

/// Used when a source has no interval of its own.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);
/// A shorter interval would hammer a provider's status page for nothing.
const MIN_INTERVAL: Duration = Duration::from_secs(10);
/// `run` wakes at least this often, so sources added by another process are picked up.
const MAX_PAUSE: Duration = Duration::from_secs(30);
const MIN_PAUSE: Duration = Duration::from_secs(1);

/// What one cycle did: sources by outcome, and incidents by what applying their bodies did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollSummary {
    pub fetched: usize,
    pub not_modified: usize,
    pub failed: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl PollSummary {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Applied(report) => {
                self.fetched += 1;
                self.created += report.created;
                self.updated += report.updated;
                self.unchanged += report.unchanged;
            }
            Outcome::NotModified => self.not_modified += 1,
            Outcome::Failed => self.failed += 1,
        }
    }
}

enum Outcome {
    Applied(IngestReport),
    NotModified,
    Failed,
}

/// What a successful fetch and apply did.
enum Done {
    Applied {
        report: IngestReport,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
}

/// Fetches and applies every due source once, concurrently, and records each outcome.
pub async fn poll_once(db: &Db, settings: &PollerSettings) -> PollSummary {
    let mut summary = PollSummary::default();
    let client = match build_client(settings) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the HTTP client; no source polled");
            return summary;
        }
    };
    let (owner, batch) = (super::instance_id(), settings.batch);
    let lease = delta(settings.lease_for());
    let claimed = blocking(db, move |db| {
        let now = Utc::now();
        db.write(|conn| poll_state::claim(conn, owner, now, now + lease, batch))
    });
    let due = match claimed.await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "cannot claim due sources");
            return summary;
        }
    };
    // A set, so that a cancelled cycle (a stop that did not wait) aborts its fetches with it.
    let mut tasks = tokio::task::JoinSet::new();
    for source in due {
        let (db, client, settings) = (db.clone(), client.clone(), settings.clone());
        tasks.spawn(async move { poll_source(&db, &client, &settings, source).await });
    }
    while let Some(task) = tasks.join_next().await {
        match task {
            Ok(outcome) => summary.add(outcome),
            Err(e) => {
                tracing::error!(error = %e, "a poll task panicked");
                summary.failed += 1;
            }
        }
    }
    summary
}

/// Polls until `shutdown` turns true (or its sender is dropped): a cycle, then a pause until the
/// earliest scheduled poll, between [`MIN_PAUSE`] and [`MAX_PAUSE`]. On stop, the cycle under
/// way finishes (bounded) and this process's remaining leases are released.
pub async fn run(db: Db, settings: PollerSettings, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(instance = super::instance_id(), "poller started");
    loop {
        let cycle = poll_once(&db, &settings);
        tokio::pin!(cycle);
        let finished = tokio::select! {
            summary = &mut cycle => Some(summary),
            _ = shutdown.wait_for(|stop| *stop) => None,
        };
        let Some(summary) = finished else {
            drain(cycle, &settings).await;
            break;
        };
        if summary != PollSummary::default() {
            tracing::info!(?summary, "poll cycle done");
        }
        let pause = next_pause(&db).await;
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    release_leases(&db).await;
    tracing::info!("poller stopped");
}

/// Lets the fetches of a cycle that already claimed its sources finish, within their bound.
async fn drain(cycle: impl Future<Output = PollSummary>, settings: &PollerSettings) {
    let bound = settings.drain;
    match tokio::time::timeout(bound, cycle).await {
        Ok(summary) => tracing::info!(?summary, "poll cycle finished before stopping"),
        Err(_) => tracing::warn!(
            ?bound,
            "poll cycle unfinished at stop; its leases are released"
        ),
    }
}

/// Gives back what this process still holds, so other instances need not wait for the leases.
async fn release_leases(db: &Db) {
    let owner = super::instance_id();
    match blocking(db, move |db| {
        db.write(|conn| poll_state::release_held(conn, owner))
    })
    .await
    {
        Ok(0) => {}
        Ok(released) => tracing::info!(released, "released unfinished poll leases"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot release poll leases; they run out by themselves")
        }
    }
}

async fn next_pause(db: &Db) -> Duration {
    match blocking(db, |db| db.run(poll_state::next_due_at)).await {
        Ok(Some(at)) => (at - Utc::now())
            .to_std()
            .unwrap_or(MIN_PAUSE)
            .clamp(MIN_PAUSE, MAX_PAUSE),
        Ok(None) => MAX_PAUSE,
        Err(e) => {
            // The database is unwell: do not spin on it.
            tracing::error!(error = %e, "cannot read the poll schedule");
            MAX_PAUSE
        }
    }
}

/// One source: fetch, apply, record. Never fails: a failure is an outcome to record.
#[tracing::instrument(name = "poll", skip_all, fields(source = %source.id, kind = %source.kind))]
async fn poll_source(
    db: &Db,
    client: &Client,
    settings: &PollerSettings,
    source: SourceRow,
) -> Outcome {
    let interval = interval_of(&source);
    let result = fetch_and_apply(db, client, settings, &source).await;
    let now = Utc::now();
    let id = source.id.clone();
    let (outcome, recorded) = match result {
        Ok(Done::Applied {
            report,
            etag,
            last_modified,
        }) => {
            let next = now + delta(jittered(interval, settings.jitter));
            let recorded = blocking(db, move |db| {
                db.write(|conn| {
                    let (etag, lm) = (etag.as_deref(), last_modified.as_deref());
                    poll_state::record_fetch_success(conn, &id, etag, lm, next)
                })
            })
            .await;
            (Outcome::Applied(report), recorded)
        }
        Ok(Done::NotModified) => {
            let next = now + delta(jittered(interval, settings.jitter));
            let recorded = blocking(db, move |db| {
                db.write(|conn| poll_state::record_not_modified(conn, &id, next))
            })
            .await;
            (Outcome::NotModified, recorded)
        }
        Err(e) => {
            let message = short(&e.to_string());
            // The log has the detail `last_error` leaves out (the address, the parser's words).
            let detail = e.detail();
            tracing::warn!(source = %source.id, url = ?source.url, error = %detail, "poll failed");
            let failures = source.failures.saturating_add(1);
            let wait = backoff(interval, failures, settings.max_backoff);
            let next = now + delta(jittered(wait, settings.jitter));
            let recorded = blocking(db, move |db| {
                db.write(|conn| {
                    poll_state::record_fetch_failure(conn, &id, &message, failures, next)
                })
            })
            .await;
            (Outcome::Failed, recorded)
        }
    };
    if let Err(e) = recorded {
        // The source stays due and is retried next cycle; nothing else to do.
        tracing::error!(source = %source.id, error = %e, "cannot record the poll outcome");
    }
    outcome
}

/// Fetches the source and, when a new body came, applies it.
async fn fetch_and_apply(
    db: &Db,
    client: &Client,
    settings: &PollerSettings,
    source: &SourceRow,
) -> Result<Done, PollError> {
    let name = source.format.as_deref().unwrap_or_default();
    let format = Format::from_name(name)
        .ok_or_else(|| PollError::Config(format!("unknown format {name:?}")))?;
    let service = match source.service_slug.as_deref() {
        Some(slug) => {
            Some(ServiceSlug::parse("service", slug).map_err(|e| PollError::Config(e.message))?)
        }
        None => None,
    };
    let url = source
        .url
        .clone()
        .ok_or_else(|| PollError::Config("no URL".into()))?;
    let fetch = fetch(client, &url, source, settings.max_body_bytes);
    let fetched = tokio::time::timeout(settings.timeout, fetch)
        .await
        .map_err(|_| PollError::Timeout(settings.timeout))??;
    let Fetched::Body {
        bytes,
        etag,
        last_modified,
    } = fetched
    else {
        return Ok(Done::NotModified);
    };
    let origin = Provenance(format!("poll:{url}"));
    let report = blocking(db, move |db| {
        let applied = correlate::ingest_bytes(db, Some(format), service.as_ref(), &bytes, &origin);
        applied.map_err(|e| match e {
            IngestError::Parse(p) => PollError::Parse(format, p),
            other => PollError::Apply(format, other),
        })
    })
    .await?;
    Ok(Done::Applied {
        report,
        etag,
        last_modified,
    })
}

/// Runs blocking database work on the blocking pool; a panic there becomes an error.
async fn blocking<T, E>(
    db: &Db,
    f: impl FnOnce(&Db) -> Result<T, E> + Send + 'static,
) -> Result<T, PollError>
where
    T: Send + 'static,
    E: Into<PollError> + Send + 'static,
{
    let db = db.clone();
    match tokio::task::spawn_blocking(move || f(&db)).await {
        Ok(result) => result.map_err(Into::into),
        Err(e) => Err(PollError::Internal(format!("blocking task failed: {e}"))),
    }
}

fn interval_of(source: &SourceRow) -> Duration {
    source
        .poll_interval_secs
        .and_then(|secs| u64::try_from(secs).ok())
        .map_or(DEFAULT_INTERVAL, Duration::from_secs)
        .max(MIN_INTERVAL)
}

/// `interval · 2^failures`, capped at `max` — but never shorter than the interval itself, so a
/// broken source is not polled more often than a healthy one.
fn backoff(interval: Duration, failures: i32, max: Duration) -> Duration {
    let exponent = u32::try_from(failures.clamp(0, 30)).unwrap_or(30);
    let cap = max.max(interval);
    interval
        .checked_mul(1u32 << exponent)
        .map_or(cap, |d| d.min(cap))
}

fn jittered(base: Duration, jitter: f64) -> Duration {
    let spread = if jitter.is_finite() {
        jitter.clamp(0.0, 0.9)
    } else {
        0.0
    };
    if spread <= 0.0 {
        return base;
    }
    base.mul_f64(1.0 + rand::rng().random_range(-spread..=spread))
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests;
