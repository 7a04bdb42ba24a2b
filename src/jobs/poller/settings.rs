//! The poller's limits: one fetch's bounds, the schedule's jitter and backoff cap, which
//! private addresses it may reach, how long and how wide its claims on due sources are, and
//! how long a stopping poller waits for the fetches it claimed.

use std::time::Duration;

use crate::config::PrivateSources;

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
    /// How long a claim on a due source lasts, if its outcome is never recorded (a crash).
    pub lease: Duration,
    /// The most sources one cycle claims, so that several instances share a crowd of due sources.
    pub batch: i64,
    /// On stop, how long the fetches already claimed may take to finish; the rest are dropped
    /// and their leases released.
    pub drain: Duration,
}

impl Default for PollerSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            max_body_bytes: 8 * 1024 * 1024,
            max_backoff: Duration::from_secs(6 * 3600),
            jitter: 0.1,
            private_sources: PrivateSources::Refused,
            lease: Duration::from_secs(120),
            batch: 100,
            drain: Duration::from_secs(10),
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

    pub fn with_drain(mut self, drain: Duration) -> Self {
        self.drain = drain;
        self
    }

    /// Exact delays, for tests that check the schedule.
    pub fn without_jitter(mut self) -> Self {
        self.jitter = 0.0;
        self
    }

    /// The lease a claim takes: longer than one fetch's bound, so a live fetch keeps its source.
    pub(super) fn lease_for(&self) -> Duration {
        self.lease.max(self.timeout.saturating_mul(2))
    }
}
