//! Process-wide counters that the store increments. Each running app registers them in its own
//! Prometheus registry (see `http::metrics`), so several apps in one process (tests) never clash.

use std::sync::LazyLock;

use prometheus::{IntCounterVec, Opts};

/// Writes that reached the outbox, by entity and operation.
static WRITES: LazyLock<Option<IntCounterVec>> = LazyLock::new(|| {
    let opts = Opts::new(
        "aftermath_writes_total",
        "Committed writes by entity and operation",
    );
    IntCounterVec::new(opts, &["entity", "operation"]).ok()
});

pub fn count_write(entity: &str, operation: &str) {
    if let Some(c) = WRITES.as_ref() {
        c.with_label_values(&[entity, operation]).inc();
    }
}

/// The write counter, for registering in a registry.
pub fn writes_counter() -> Option<IntCounterVec> {
    WRITES.clone()
}

/// Live spike evaluation passes this process ran (only the leader runs them), by outcome.
static SPIKE_EVALUATIONS: LazyLock<Option<IntCounterVec>> = LazyLock::new(|| {
    let opts = Opts::new(
        "aftermath_spike_evaluations_total",
        "Live spike evaluation passes run by this process (the leader), by outcome",
    );
    IntCounterVec::new(opts, &["outcome"]).ok()
});

/// One evaluation pass ended: `ok` or `failed`.
pub fn count_spike_evaluation(outcome: &str) {
    if let Some(c) = SPIKE_EVALUATIONS.as_ref() {
        c.with_label_values(&[outcome]).inc();
    }
}

/// The evaluation counter, for registering in a registry.
pub fn spike_evaluations_counter() -> Option<IntCounterVec> {
    SPIKE_EVALUATIONS.clone()
}

/// Notification delivery attempts this process made, by subscription kind and outcome
/// (`delivered`, `failed` and to be retried, `dead`).
static DELIVERIES: LazyLock<Option<IntCounterVec>> = LazyLock::new(|| {
    let opts = Opts::new(
        "aftermath_notification_deliveries_total",
        "Notification delivery attempts by subscription kind and outcome",
    );
    IntCounterVec::new(opts, &["kind", "outcome"]).ok()
});

pub fn count_delivery(kind: &str, outcome: &str) {
    if let Some(c) = DELIVERIES.as_ref() {
        c.with_label_values(&[kind, outcome]).inc();
    }
}

/// The delivery counter, for registering in a registry.
pub fn deliveries_counter() -> Option<IntCounterVec> {
    DELIVERIES.clone()
}
