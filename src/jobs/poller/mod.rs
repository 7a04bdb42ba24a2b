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
//! - Cancelling [`poll_once`] (shutdown) is safe: each source's outcome is recorded in one
//!   statement by its own task, and a source not recorded is simply due again.

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

use crate::config::PrivateSources;
use error::{PollError, short};
use fetch::{Client, Fetched, build_client, fetch};

/// Used when a source has no interval of its own.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);
/// A shorter interval would hammer a provider's status page for nothing.
const MIN_INTERVAL: Duration = Duration::from_secs(10);
/// `run` wakes at least this often, so sources added by another process are picked up.
const MAX_PAUSE: Duration = Duration::from_secs(30);
const MIN_PAUSE: Duration = Duration::from_secs(1);

/// Limits of one fetch and of the schedule. Tests shorten them with the `with_*` methods or
/// struct update syntax: `PollerSettings { timeout, ..Default::default() }`.
#[derive(Debug, Clone)]
pub struct PollerSettings {
    /// The whole request: connect, headers and body.
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub max_backoff: Duration,
    /// Fraction of the delay added or removed at random (0.1 = ±10 %), so sources added together
    /// do not stay in lock-step and many processes do not hit a provider at the same second.
    pub jitter: f64,
    /// Which non-public addresses may be fetched: none by default (`--allow-private-sources`).
    pub private_sources: PrivateSources,
}

impl Default for PollerSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            max_body_bytes: 8 * 1024 * 1024,
            max_backoff: Duration::from_secs(6 * 3600),
            jitter: 0.1,
            private_sources: PrivateSources::Refused,
        }
    }
}

impl PollerSettings {
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    pub fn with_private_sources(mut self, private_sources: PrivateSources) -> Self {
        self.private_sources = private_sources;
        self
    }

    /// Exact delays, for tests that check the schedule.
    pub fn without_jitter(mut self) -> Self {
        self.jitter = 0.0;
        self
    }
}

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
    let due = match blocking(db, |db| db.run(|conn| poll_state::due(conn, Utc::now()))).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "cannot list due sources");
            return summary;
        }
    };
    let tasks: Vec<_> = due
        .into_iter()
        .map(|source| {
            let (db, client, settings) = (db.clone(), client.clone(), settings.clone());
            tokio::spawn(async move { poll_source(&db, &client, &settings, source).await })
        })
        .collect();
    for task in tasks {
        match task.await {
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
/// earliest scheduled poll, between [`MIN_PAUSE`] and [`MAX_PAUSE`].
pub async fn run(db: Db, settings: PollerSettings, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("poller started");
    loop {
        tokio::select! {
            summary = poll_once(&db, &settings) => {
                if summary != PollSummary::default() {
                    tracing::info!(?summary, "poll cycle done");
                }
            }
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
        let pause = next_pause(&db).await;
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    tracing::info!("poller stopped");
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
