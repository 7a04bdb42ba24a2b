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
