//! The counts evaluating a short span needs: the rule's windows, not the whole lookback. The
//! per-service path (`load_for_evaluation`) and the live chunks (`live`) both build their series
//! here, so they read the same minutes.

use chrono::{DateTime, Utc};

use super::fill;
use crate::db::DbError;
use crate::domain::spikes::{self, Rules, Series};

/// The longest span (in minutes) loaded as the rule's windows rather than densely.
pub(super) const SHORT_SPAN: i64 = 120;

/// The ranges of minutes `[a, b)` the rule reads to evaluate a short span `from..to`: the
/// trailing hour, then the same time of day on each previous day, none before the lookback.
pub(super) fn windows(from: i64, to: i64, rules: &Rules) -> Vec<(i64, i64)> {
    let start = from - rules.lookback();
    let mut ranges = vec![(from - rules.trailing_minutes, to)];
    for k in 1..=rules.days {
        let back = k * spikes::MINUTES_PER_DAY;
        ranges.push((
            from - back - rules.day_window,
            to - back + rules.day_window + 1,
        ));
    }
    ranges.into_iter().map(|(a, b)| (a.max(start), b)).collect()
}

/// The series for a short span, from the counts `rows(a, b)` gives for each of its windows.
pub(super) fn short_series(
    from: i64,
    to: i64,
    rules: &Rules,
    mut rows: impl FnMut(i64, i64) -> Result<Vec<(DateTime<Utc>, i64)>, DbError>,
) -> Result<Series, DbError> {
    let start = from - rules.lookback();
    let mut series = Series {
        start,
        counts: vec![0u32; (to - start).max(0) as usize],
    };
    for (a, b) in windows(from, to, rules) {
        fill(&mut series, rows(a, b)?);
    }
    Ok(series)
}
