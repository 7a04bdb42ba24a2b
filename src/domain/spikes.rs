//! Spike detection on per-minute report counts: pure, deterministic, on event time.
//!
//! The rule (also in README.md):
//! - **Baseline** of minute `m`: the mean count per minute in a ±7-minute window around the same
//!   time of day on each of the previous 7 days that the service has history for; with no such
//!   day yet, the mean of the previous 60 minutes. Never below a floor of 1 report a minute.
//! - **Onset**: a minute is *hot* when its count is at least 3 × baseline and at least 10. Three
//!   hot minutes in a row open a spike; its onset is the first of them.
//! - **Peak**: the highest minute of the episode.
//! - **Return**: the episode is back at baseline from the first minute of a run of 30 minutes
//!   whose counts are all at most 2 × baseline; it is resolved at the end of that run. While a
//!   spike is open, a baseline that came from the trailing mean is frozen at its onset value,
//!   so the spike does not raise its own bar.
//!
//! Minutes are numbered from the Unix epoch. Evaluation only reads the 7 days before the
//! minutes it evaluates, so its cost does not grow with the total history, and evaluating a
//! range in one call or minute by minute (live) gives the same signals.

pub const MINUTES_PER_DAY: i64 = 1440;

/// The tunables of the rule; [`Rules::default`] is the documented rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    pub threshold: f64,
    pub min_count: u32,
    pub sustain_minutes: u32,
    pub return_factor: f64,
    pub quiet_minutes: i64,
    pub floor: f64,
    pub days: i64,
    pub day_window: i64,
    pub trailing_minutes: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            threshold: 3.0,
            min_count: 10,
            sustain_minutes: 3,
            return_factor: 2.0,
            quiet_minutes: 30,
            floor: 1.0,
            days: 7,
            day_window: 7,
            trailing_minutes: 60,
        }
    }
}

impl Rules {
    /// How many minutes before the first evaluated minute a series must cover.
    pub fn lookback(&self) -> i64 {
        self.days * MINUTES_PER_DAY + self.day_window
    }
}

/// Dense counts per minute from `start`; minutes outside count zero.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub start: i64,
    pub counts: Vec<u32>,
}

impl Series {
    pub fn at(&self, minute: i64) -> u32 {
        let i = minute - self.start;
        if i < 0 {
            return 0;
        }
        self.counts.get(i as usize).copied().unwrap_or(0)
    }

    fn sum(&self, from: i64, to_inclusive: i64) -> u64 {
        (from..=to_inclusive).map(|m| u64::from(self.at(m))).sum()
    }
}

/// Where a baseline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineKind {
    TimeOfDay,
    Trailing,
}

/// The baseline of `minute` for a service whose first data is at `history_start`.
pub fn baseline(
    series: &Series,
    history_start: i64,
    minute: i64,
    r: &Rules,
) -> (f64, BaselineKind) {
    let width = 2 * r.day_window + 1;
    let (mut total, mut days) = (0u64, 0i64);
    for k in 1..=r.days {
        let centre = minute - k * MINUTES_PER_DAY;
        if centre - r.day_window < history_start {
            break;
        }
        total += series.sum(centre - r.day_window, centre + r.day_window);
        days += 1;
    }
    if days > 0 {
        let mean = total as f64 / (days * width) as f64;
        return (mean.max(r.floor), BaselineKind::TimeOfDay);
    }
    let from = (minute - r.trailing_minutes).max(history_start);
    let span = minute - from;
    let mean = if span > 0 {
        series.sum(from, minute - 1) as f64 / span as f64
    } else {
        0.0
    };
    (mean.max(r.floor), BaselineKind::Trailing)
}

/// An open spike episode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Episode {
    pub onset: i64,
    pub onset_count: u32,
    pub baseline: f64,
    pub trailing: bool,
    pub peak_at: i64,
    pub peak_count: u32,
    pub quiet_since: Option<i64>,
}

/// What evaluation carries from one minute to the next; persisted between runs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpikeState {
    /// Hot minutes in a row so far, before a spike opens: (first minute, its count, its
    /// baseline, the highest minute and count so far).
    pub run: Option<(i64, u32, f64, i64, u32)>,
    pub run_len: u32,
    pub open: Option<Episode>,
}

/// What evaluation found, each at its event minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    Onset {
        minute: i64,
        count: u32,
        baseline: f64,
    },
    Peak {
        onset: i64,
        minute: i64,
        count: u32,
        baseline: f64,
    },
    /// Back at baseline from `minute` (the first of the quiet run).
    Returned { onset: i64, minute: i64 },
    /// The quiet run lasted long enough: resolved at `minute`.
    Resolved { onset: i64, minute: i64 },
}

/// Evaluates minutes `from..to`, moving `state` and returning the signals in order.
pub fn evaluate(
    series: &Series,
    history_start: i64,
    state: &mut SpikeState,
    from: i64,
    to: i64,
    r: &Rules,
) -> Vec<Signal> {
    let mut signals = Vec::new();
    for m in from..to {
        let count = series.at(m);
        let (base, kind) = baseline(series, history_start, m, r);
        match state.open.as_mut() {
            None => {
                let hot = f64::from(count) >= r.threshold * base && count >= r.min_count;
                if !hot {
                    state.run = None;
                    state.run_len = 0;
                    continue;
                }
                let run = state.run.get_or_insert((m, count, base, m, count));
                if count > run.4 {
                    run.3 = m;
                    run.4 = count;
                }
                state.run_len += 1;
                if state.run_len >= r.sustain_minutes {
                    let (onset, onset_count, onset_base, peak_at, peak_count) = *run;
                    state.open = Some(Episode {
                        onset,
                        onset_count,
                        baseline: onset_base,
                        trailing: kind == BaselineKind::Trailing,
                        peak_at,
                        peak_count,
                        quiet_since: None,
                    });
                    state.run = None;
                    state.run_len = 0;
                    signals.push(Signal::Onset {
                        minute: onset,
                        count: onset_count,
                        baseline: onset_base,
                    });
                    signals.push(Signal::Peak {
                        onset,
                        minute: peak_at,
                        count: peak_count,
                        baseline: onset_base,
                    });
                }
            }
            Some(ep) => {
                let base = if ep.trailing { ep.baseline } else { base };
                if count > ep.peak_count {
                    ep.peak_at = m;
                    ep.peak_count = count;
                    signals.push(Signal::Peak {
                        onset: ep.onset,
                        minute: m,
                        count,
                        baseline: base,
                    });
                }
                if f64::from(count) <= r.return_factor * base {
                    let since = *ep.quiet_since.get_or_insert(m);
                    if m - since + 1 >= r.quiet_minutes {
                        signals.push(Signal::Returned {
                            onset: ep.onset,
                            minute: since,
                        });
                        signals.push(Signal::Resolved {
                            onset: ep.onset,
                            minute: m + 1,
                        });
                        state.open = None;
                    }
                } else {
                    ep.quiet_since = None;
                }
            }
        }
    }
    signals
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat series of `level` reports a minute for `days` days, then `extra` minutes.
    fn flat(level: u32, minutes: i64) -> Series {
        Series {
            start: 0,
            counts: vec![level; minutes as usize],
        }
    }

    fn onsets(signals: &[Signal]) -> Vec<i64> {
        signals
            .iter()
            .filter_map(|s| match s {
                Signal::Onset { minute, .. } => Some(*minute),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_sustained_burst_opens_a_spike_at_its_first_minute() {
        let mut s = flat(2, 3 * MINUTES_PER_DAY);
        let start = 2 * MINUTES_PER_DAY + 600;
        for m in start..start + 45 {
            s.counts[m as usize] = 40;
        }
        let mut state = SpikeState::default();
        let r = Rules::default();
        let signals = evaluate(&s, 0, &mut state, MINUTES_PER_DAY, 3 * MINUTES_PER_DAY, &r);
        assert_eq!(onsets(&signals), vec![start]);
        assert!(signals.contains(&Signal::Returned {
            onset: start,
            minute: start + 45
        }));
        assert!(signals.contains(&Signal::Resolved {
            onset: start,
            minute: start + 75
        }));
        assert_eq!(state.open, None);
    }

    #[test]
    fn two_hot_minutes_are_not_enough() {
        let mut s = flat(2, 2 * MINUTES_PER_DAY);
        s.counts[2000] = 50;
        s.counts[2001] = 50;
        let signals = evaluate(
            &s,
            0,
            &mut SpikeState::default(),
            0,
            2 * MINUTES_PER_DAY,
            &Rules::default(),
        );
        assert!(signals.is_empty(), "{signals:?}");
    }

    #[test]
    fn small_counts_never_spike_however_far_over_a_quiet_baseline() {
        let mut s = flat(0, MINUTES_PER_DAY);
        for m in 100..200 {
            s.counts[m] = 9;
        }
        let signals = evaluate(
            &s,
            0,
            &mut SpikeState::default(),
            0,
            MINUTES_PER_DAY,
            &Rules::default(),
        );
        assert!(signals.is_empty());
    }

    #[test]
    fn the_same_time_of_day_sets_the_bar_once_history_exists() {
        // Busy at minute 600..660 every day: 30 a minute, 1 otherwise.
        let mut s = flat(1, 4 * MINUTES_PER_DAY);
        for day in 0..4 {
            for m in 600..660 {
                s.counts[(day * MINUTES_PER_DAY + m) as usize] = 30;
            }
        }
        let mut state = SpikeState::default();
        let r = Rules::default();
        // Day 0 has no history (the trailing mean sees the rise); days 1..4 know the cycle.
        let signals = evaluate(&s, 0, &mut state, MINUTES_PER_DAY, 4 * MINUTES_PER_DAY, &r);
        assert!(onsets(&signals).is_empty(), "{signals:?}");
    }

    #[test]
    fn evaluating_minute_by_minute_gives_the_same_signals_as_one_pass() {
        let mut s = flat(3, 3 * MINUTES_PER_DAY);
        for (start, len, level) in [(3000, 20, 60), (3500, 90, 25), (4000, 4, 90)] {
            for m in start..start + len {
                s.counts[m as usize] = level;
            }
        }
        let r = Rules::default();
        let mut one = SpikeState::default();
        let batch = evaluate(&s, 0, &mut one, 2000, 3 * MINUTES_PER_DAY, &r);
        let mut live = SpikeState::default();
        let mut stream = Vec::new();
        for m in 2000..3 * MINUTES_PER_DAY {
            stream.extend(evaluate(&s, 0, &mut live, m, m + 1, &r));
        }
        assert_eq!(batch, stream);
        assert_eq!(one, live);
        assert_eq!(onsets(&batch), vec![3000, 3500, 4000]);
    }

    #[test]
    fn the_baseline_has_a_floor_and_prefers_the_time_of_day() {
        let s = flat(0, 2 * MINUTES_PER_DAY);
        let r = Rules::default();
        assert_eq!(baseline(&s, 0, 10, &r), (1.0, BaselineKind::Trailing));
        let s = flat(5, 2 * MINUTES_PER_DAY);
        assert_eq!(
            baseline(&s, 0, MINUTES_PER_DAY + 100, &r),
            (5.0, BaselineKind::TimeOfDay)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// However the minutes are split into evaluation runs, the signals are the same.
        #[test]
        fn any_split_of_the_minutes_gives_the_same_signals(
            bursts in proptest::collection::vec((0i64..2800, 1i64..120, 0u32..80), 0..6),
            cuts in proptest::collection::vec(1441i64..2880, 0..8),
        ) {
            let mut s = flat(2, 2 * MINUTES_PER_DAY);
            for (start, len, level) in bursts {
                for m in start..(start + len).min(2 * MINUTES_PER_DAY) {
                    s.counts[m as usize] = level;
                }
            }
            let r = Rules::default();
            let mut one = SpikeState::default();
            let whole = evaluate(&s, 0, &mut one, MINUTES_PER_DAY, 2 * MINUTES_PER_DAY, &r);
            let mut bounds = cuts;
            bounds.push(MINUTES_PER_DAY);
            bounds.push(2 * MINUTES_PER_DAY);
            bounds.sort_unstable();
            bounds.dedup();
            let mut split = SpikeState::default();
            let mut pieces = Vec::new();
            for w in bounds.windows(2) {
                pieces.extend(evaluate(&s, 0, &mut split, w[0], w[1], &r));
            }
            proptest::prop_assert_eq!(whole, pieces);
            proptest::prop_assert_eq!(one, split);
        }
    }
}
