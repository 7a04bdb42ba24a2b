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
