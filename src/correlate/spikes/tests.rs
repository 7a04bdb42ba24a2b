use super::*;

fn peak(onset: i64, minute: i64) -> Signal {
    Signal::Peak {
        onset,
        minute,
        count: 10,
        baseline: 1.0,
    }
}

#[test]
fn only_the_last_peak_of_an_episode_is_written() {
    let signals = [
        peak(5, 7),
        peak(20, 21),
        peak(5, 9),
        Signal::Returned {
            onset: 5,
            minute: 12,
        },
    ];
    let again: Vec<bool> = (0..signals.len())
        .map(|i| peaks_again(&signals[i], &signals[i + 1..]))
        .collect();
    assert_eq!(again, [true, false, false, false]);
}

#[test]
fn every_signal_names_its_episode_by_the_onset() {
    let onset = Signal::Onset {
        minute: 5,
        count: 9,
        baseline: 1.0,
    };
    let resolved = Signal::Resolved {
        onset: 5,
        minute: 40,
    };
    let onsets: Vec<i64> = [onset, peak(5, 7), resolved].iter().map(onset_of).collect();
    assert_eq!(onsets, [5, 5, 5]);
}
