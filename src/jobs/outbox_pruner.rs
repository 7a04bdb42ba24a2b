//! The outbox pruner: keeps the outbox as short as its slowest live reader allows.
//!
//! Rules: on the leader only (one instance prunes; on SQLite the one process is its own
//! leader), every [`period`] it runs `db::outbox::prune` with the configured retention: readers
//! silent for longer than the retention are forgotten, then the rows every live reader has
//! passed and that are older than the retention go, in bounded transactions. A failed pass is
//! logged and tried again at the next beat.

use std::time::Duration;

use chrono::Utc;

use crate::db::Db;
use crate::db::outbox;

/// How often it prunes: every minute, or twice per retention when that is shorter (so a short
/// retention, as in tests, is honoured).
pub fn period(retention: Duration) -> Duration {
    (retention / 2).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Runs forever: one prune per [`period`] while `is_leader()` says this instance leads.
pub async fn run(db: Db, retention: Duration, is_leader: impl Fn() -> bool + Send + 'static) {
    let mut tick = tokio::time::interval(period(retention));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if is_leader() {
            prune_once(db.clone(), retention).await;
        }
    }
}

#[tracing::instrument(name = "outbox_prune", skip_all)]
async fn prune_once(db: Db, retention: Duration) {
    let span = tracing::Span::current();
    let outcome = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        db.run(|conn| outbox::prune(conn, retention, Utc::now()))
    })
    .await;
    match outcome {
        Ok(Ok(pruned)) => {
            for r in &pruned.forgotten {
                tracing::info!(
                    replica = %r.id,
                    kind = %r.kind,
                    host = %r.host,
                    last_heartbeat = %r.heartbeat_at.to_rfc3339(),
                    "forgot an outbox reader silent for longer than the retention"
                );
            }
            if pruned.rows > 0 {
                tracing::info!(rows = pruned.rows, through = ?pruned.through, "pruned the outbox");
            }
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "outbox pruning failed; retrying next beat"),
        Err(e) => tracing::warn!(error = %e, "outbox pruning did not run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prunes_every_minute_or_twice_per_short_retention() {
        assert_eq!(period(Duration::from_secs(86_400)), Duration::from_secs(60));
        assert_eq!(period(Duration::from_secs(4)), Duration::from_secs(2));
        assert_eq!(period(Duration::from_secs(1)), Duration::from_secs(1));
    }
}
