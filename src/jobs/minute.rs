//! The minute evaluator: live spike evaluation for `serve`.
//!
//! Rules: each minute it evaluates the minutes of every active service that closed at least
//! [`SETTLE`] ago, so a report accepted just before a minute ended is committed before its
//! minute is evaluated. The evaluation itself (`correlate::spikes::evaluate_all`) resumes from
//! stored state, so a missed tick loses nothing: the next one evaluates the minutes in between.
//! A failed pass is logged and tried again at the next tick.

use std::time::Duration;

use chrono::Utc;

use crate::db::Db;

/// How long after a minute closes it is evaluated.
pub const SETTLE: chrono::Duration = chrono::Duration::seconds(15);

/// Runs forever: once a minute, `housekeeping` (cheap, in-memory work the caller wants on the
/// same beat, such as forgetting quiet clients' rate-limit state), then one evaluation pass.
pub async fn run(db: Db, housekeeping: impl Fn()) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        housekeeping();
        evaluate_once(db.clone()).await;
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
