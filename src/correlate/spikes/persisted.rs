//! The persisted form of a service's evaluation state (`spike_state.open_state`), as JSON. A
//! state with nothing to carry is stored as none; one that cannot be read back starts afresh.

use crate::domain::spikes::{Episode, SpikeState};

/// The persisted form of [`SpikeState`].
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct StateJson {
    run: Option<(i64, u32, f64, i64, u32)>,
    run_len: u32,
    open: Option<EpisodeJson>,
}

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct EpisodeJson {
    onset: i64,
    onset_count: u32,
    baseline: f64,
    trailing: bool,
    peak_at: i64,
    peak_count: u32,
    quiet_since: Option<i64>,
}

pub(super) fn encode(s: &SpikeState) -> Option<String> {
    if s.run.is_none() && s.open.is_none() {
        return None;
    }
    let json = StateJson {
        run: s.run,
        run_len: s.run_len,
        open: s.open.map(|e| EpisodeJson {
            onset: e.onset,
            onset_count: e.onset_count,
            baseline: e.baseline,
            trailing: e.trailing,
            peak_at: e.peak_at,
            peak_count: e.peak_count,
            quiet_since: e.quiet_since,
        }),
    };
    serde_json::to_string(&json).ok()
}

pub(super) fn decode(raw: Option<&str>) -> SpikeState {
    let Some(json) = raw.and_then(|r| serde_json::from_str::<StateJson>(r).ok()) else {
        return SpikeState::default();
    };
    SpikeState {
        run: json.run,
        run_len: json.run_len,
        open: json.open.map(|e| Episode {
            onset: e.onset,
            onset_count: e.onset_count,
            baseline: e.baseline,
            trailing: e.trailing,
            peak_at: e.peak_at,
            peak_count: e.peak_count,
            quiet_since: e.quiet_since,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_reads_back_as_written() {
        let state = SpikeState {
            run: Some((10, 4, 1.5, 12, 9)),
            run_len: 3,
            open: Some(Episode {
                onset: 7,
                onset_count: 5,
                baseline: 0.25,
                trailing: true,
                peak_at: 9,
                peak_count: 11,
                quiet_since: Some(20),
            }),
        };
        assert_eq!(decode(encode(&state).as_deref()), state);
    }

    #[test]
    fn no_state_is_stored_as_none_and_garbage_starts_afresh() {
        assert_eq!(encode(&SpikeState::default()), None);
        assert_eq!(decode(Some("not json")), SpikeState::default());
        assert_eq!(decode(None), SpikeState::default());
    }
}
