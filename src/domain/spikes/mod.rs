//! Spike detection on per-minute report counts: pure, deterministic, on event time.
//!
//! The rule (also in docs/reports-and-cascades.md):
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
            None => watch_for_onset(state, m, count, (base, kind), r, &mut signals),
            Some(ep) => {
                if follow_episode(ep, m, count, base, r, &mut signals) {
                    state.open = None;
                }
            }
        }
    }
    signals
}

/// Outside a spike: counts the run of hot minutes, and opens a spike when it is long enough.
fn watch_for_onset(
    state: &mut SpikeState,
    m: i64,
    count: u32,
    (base, kind): (f64, BaselineKind),
    r: &Rules,
    signals: &mut Vec<Signal>,
) {
    let hot = f64::from(count) >= r.threshold * base && count >= r.min_count;
    if !hot {
        state.run = None;
        state.run_len = 0;
        return;
    }
    let run = state.run.get_or_insert((m, count, base, m, count));
    if count > run.4 {
        run.3 = m;
        run.4 = count;
    }
    state.run_len += 1;
    if state.run_len < r.sustain_minutes {
        return;
    }
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

/// Inside a spike: a new peak, the return to baseline, and the end of the quiet run. Returns
/// whether the spike is resolved.
fn follow_episode(
    ep: &mut Episode,
    m: i64,
    count: u32,
    base: f64,
    r: &Rules,
    signals: &mut Vec<Signal>,
) -> bool {
    // A baseline taken from the trailing mean is frozen at the onset: the spike must not
    // raise its own bar.
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
    if f64::from(count) > r.return_factor * base {
        ep.quiet_since = None;
        return false;
    }
    let since = *ep.quiet_since.get_or_insert(m);
    if m - since + 1 < r.quiet_minutes {
        return false;
    }
    signals.push(Signal::Returned {
        onset: ep.onset,
        minute: since,
    });
    signals.push(Signal::Resolved {
        onset: ep.onset,
        minute: m + 1,
    });
    true
}

#[cfg(test)]
mod tests;
