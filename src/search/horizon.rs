//! Telling a held horizon from real lag, on PostgreSQL.
//!
//! The indexer takes only rows below the horizon (the oldest transaction running anywhere in
//! the cluster). When committed rows wait behind a horizon that has not moved for [`HELD_FOR`],
//! a long transaction is holding every instance's search back: the indexer says so at warn,
//! naming the backend that holds it (`db::outbox::holder`), at most once per [`HELD_FOR`].
//! The remedy is in docs/operations.md, "The index horizon".

use std::time::{Duration, Instant};

use crate::db::outbox::{self, HeldBack};
use crate::db::{Backend, Db};

/// How long rows may wait behind an unmoving horizon before the log says so.
pub(super) const HELD_FOR: Duration = Duration::from_secs(30);
/// How often the indexer looks, when it has drained what it can read.
const CHECK_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub(super) struct HorizonWatch {
    /// The horizon seen holding rows back, and since when.
    held: Option<(u64, Instant)>,
    warned_at: Option<Instant>,
    checked_at: Option<Instant>,
}

impl HorizonWatch {
    /// Looks (at most every [`CHECK_EVERY`]) and warns when the horizon is held.
    pub(super) fn check(&mut self, db: &Db) {
        if db.backend() != Backend::Postgres {
            return;
        }
        let now = Instant::now();
        if self
            .checked_at
            .is_some_and(|t| now.duration_since(t) < CHECK_EVERY)
        {
            return;
        }
        self.checked_at = Some(now);
        match db.run(outbox::held_back) {
            Ok(held) => {
                if let (Some(held), Some(held_for)) = (held, self.observe(now, held)) {
                    warn_held(db, held, held_for);
                }
            }
            Err(e) => tracing::debug!(error = %e, "cannot read the outbox horizon"),
        }
    }

    /// What a look at `now` found: returns how long the horizon has held rows back when it is
    /// time to say so.
    fn observe(&mut self, now: Instant, held: Option<HeldBack>) -> Option<Duration> {
        let Some(held) = held else {
            self.held = None;
            return None;
        };
        let since = match self.held {
            Some((horizon, since)) if horizon == held.horizon => since,
            _ => {
                self.held = Some((held.horizon, now));
                now
            }
        };
        let held_for = now.duration_since(since);
        let quiet = self
            .warned_at
            .is_none_or(|t| now.duration_since(t) >= HELD_FOR);
        (held_for >= HELD_FOR && quiet).then(|| {
            self.warned_at = Some(now);
            held_for
        })
    }
}

fn warn_held(db: &Db, held: HeldBack, held_for: Duration) {
    let holder = db.run(outbox::holder).ok().flatten();
    let held_secs = held_for.as_secs();
    match holder {
        Some(h) => tracing::warn!(
            held_rows = held.rows,
            held_for_seconds = held_secs,
            pid = h.pid,
            datname = h.datname.as_deref().unwrap_or("?"),
            state = h.state.as_deref().unwrap_or("?"),
            xact_age_seconds = h.xact_age_seconds.map(|s| s.round() as i64),
            query_start = h.query_start.map(|t| t.to_rfc3339()),
            "a long transaction holds the outbox horizon back: committed writes are not \
             searchable until it ends (docs/operations.md, \"The index horizon\")"
        ),
        None => tracing::warn!(
            held_rows = held.rows,
            held_for_seconds = held_secs,
            "the outbox horizon is held back, by no backend pg_stat_activity shows (a prepared \
             transaction or a replication slot?): committed writes are not searchable yet"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(horizon: u64) -> Option<HeldBack> {
        Some(HeldBack { horizon, rows: 3 })
    }

    #[test]
    fn warns_once_the_same_horizon_held_rows_for_30_seconds_then_at_most_every_30() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut w = HorizonWatch::default();
        assert_eq!(w.observe(at(0), held(7)), None);
        assert_eq!(w.observe(at(29), held(7)), None);
        assert_eq!(w.observe(at(30), held(7)), Some(Duration::from_secs(30)));
        assert_eq!(w.observe(at(45), held(7)), None, "quiet for 30 s");
        assert_eq!(w.observe(at(60), held(7)), Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_moving_horizon_or_nothing_held_is_not_a_held_horizon() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut w = HorizonWatch::default();
        // Busy but moving: rows are always behind some horizon, never the same one for long.
        for s in 0..100 {
            assert_eq!(w.observe(at(s), held(s)), None);
        }
        w.observe(at(100), held(5));
        assert_eq!(w.observe(at(120), None), None);
        assert_eq!(w.observe(at(140), held(5)), None, "the clock starts again");
    }
}
