//! Logs and metrics.
//!
//! Logs go through `tracing`, filtered by `RUST_LOG` (default `info`). Metrics live in one
//! Prometheus registry that `/metrics` renders: request counts and latency by route and status
//! (from the HTTP middleware), the pool state (read at scrape time) and write counters.

pub mod metrics;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Formats an error with its whole cause chain, for the logs only.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
