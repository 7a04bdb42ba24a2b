//! The minute evaluator: live spike evaluation for `serve`.
//!
//! Rules: each minute it evaluates the minutes of every active service that closed at least
//! [`SETTLE`] ago, so a report accepted just before a minute ended is committed before its
//! minute is evaluated. The evaluation itself (`correlate::spikes::evaluate_all`, cascade links
//! included) resumes from stored state, so a missed tick loses nothing: the next one evaluates
//! the minutes in between. A failed pass is logged and tried again at the next tick.
//!
//! Only the leader ([`Leader`]) evaluates, so instances sharing a database do not repeat each
//! other's work; the caller's housekeeping (per-process state) runs on every instance. An
//! instance that becomes the leader evaluates at once rather than at its next tick, so the
//! minutes since the previous leader's last pass are not left waiting. Every pass is counted
//! in `aftermath_spike_evaluations_total`.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::leader::Leader;
use crate::db::Db;

/// How long after a minute closes it is evaluated.
pub const SETTLE: chrono::Duration = chrono::Duration::seconds(15);

/// Runs until `stop` turns true (or its sender is dropped): once a minute, `housekeeping`
/// (cheap, in-memory work the caller wants on the same beat, such as forgetting quiet clients'
/// rate-limit state), then, on the leader, one evaluation pass. A pass under way when `stop`
/// comes is finished first.
pub async fn run(
    db: Db,
    mut leader: Leader,
    housekeeping: impl Fn(),
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                housekeeping();
                if leader.is_leader() {
                    evaluate_once(db.clone()).await;
                }
            }
            leading = leader.changed() => {
                if leading {
                    evaluate_once(db.clone()).await;
                }
            }
            _ = stop.wait_for(|stop| *stop) => break,
        }
    }
}

#[tracing::instrument(name = "minute_evaluation", skip_all)]
async fn evaluate_once(db: Db) {
    let as_of = Utc::now() - SETTLE;
    let span = tracing::Span::current();
    let outcome = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        crate::correlate::spikes::evaluate_all(&db, as_of)
    })
    .await;
    let ok = matches!(outcome, Ok(Ok(_)));
    crate::telemetry::metrics::count_spike_evaluation(if ok { "ok" } else { "failed" });
    match outcome {
        Ok(Ok(touched)) if !touched.is_empty() => {
            tracing::info!(
                incidents = touched.len(),
                "spike evaluation changed incidents"
            );
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "spike evaluation failed; retrying next minute")
        }
        Err(e) => tracing::warn!(error = %e, "spike evaluation did not run"),
    }
}
