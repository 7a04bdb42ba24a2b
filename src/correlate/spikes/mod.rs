//! Report spikes → incidents: runs the pure rule of `domain::spikes` over stored counts and
//! writes what it finds through `db::spikes`.
//!
//! Rules:
//! - Only closed minutes are evaluated (`until` is exclusive), on event time.
//! - Each service resumes where its last evaluation stopped, carrying the open episode, so a
//!   live run minute by minute and one pass over a backfill give the same signals. Counts that
//!   arrive for minutes already evaluated (a backfill of the past) rewind that service to just
//!   before them (to the onset of the episode open then, if any) and evaluate again; every
//!   write is keyed, so evaluating a minute twice changes nothing.
//! - A rewind first undoes what the earlier evaluation derived from those minutes
//!   (`db::spike_undo`): minutes evaluated from part of the counts (a backfill whose other half
//!   was still loading) leave nothing that evaluating all of them would not write.
//! - Evaluators of one store take turns (`db::evaluation_lock`).
//! - Reads are bounded to the 7 days before the evaluated minutes (cost independent of history).
//! - Live evaluation reads and writes a chunk of services at once (`live`), with the same rule
//!   and the same bookkeeping as `evaluate_service`, which stays its one definition.

mod live;
mod persisted;
pub(crate) mod touched;
mod windows;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};

use crate::db::evaluation_lock::{Exclusive, Sqlite};
use crate::db::{self, DbConn, DbError, spike_state, spikes as store};
use crate::domain::IncidentId;
use crate::domain::spikes::{self, Rules, Series, Signal, SpikeState};
use persisted::{decode, encode};
use windows::{SHORT_SPAN, short_series};

fn minute_index(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

fn minute_time(m: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(m * 60, 0).unwrap_or_default()
}

/// The start of the current minute: evaluation runs up to it.
pub fn closed_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now)
}

/// The most minutes one evaluation pass covers: 31 days.
pub const PASS_MINUTES: i64 = 31 * 1440;

/// Evaluates one service's closed minutes before `until`. `dirty_from` is the earliest minute
/// that got new counts, when they may lie before where evaluation stands. Returns the incidents
/// it opened, joined or changed.
pub fn evaluate_service(
    conn: &mut DbConn,
    service: &str,
    until: DateTime<Utc>,
    dirty_from: Option<DateTime<Utc>>,
    rules: &Rules,
) -> Result<Vec<IncidentId>, DbError> {
    let Some(history) = db::reports::first_minute(conn, service)? else {
        return Ok(Vec::new());
    };
    let history = minute_index(history);
    let until_m = minute_index(closed_until(until));
    let (from, mut state, rewound) = resume_from(conn, service, history, dirty_from, rules)?;
    if from >= until_m {
        return Ok(Vec::new());
    }
    let mut touched = BTreeSet::new();
    if rewound {
        // What the earlier evaluation of these minutes derived goes first: it may have seen
        // only part of the counts now stored.
        touched.extend(db::spike_undo::undo_from(conn, service, minute_time(from))?);
    }
    // In passes of at most 31 days: what one pass loads and holds is bounded, however far back
    // a backfill rewinds. Passes give the same signals as one run, since the state carries.
    let mut pass_from = from;
    while pass_from < until_m {
        let pass_to = (pass_from + PASS_MINUTES).min(until_m);
        let series = load_for_evaluation(conn, service, pass_from, pass_to, rules)?;
        let signals = spikes::evaluate(&series, history, &mut state, pass_from, pass_to, rules);
        touched.extend(write_pass(conn, service, &signals, &state, rules)?);
        pass_from = pass_to;
    }
    finish(conn, service, touched, &state, until_m)
}

/// Writes one pass's signals. Returns the incidents of the episodes they touched and of the
/// one still open.
fn write_pass(
    conn: &mut DbConn,
    service: &str,
    signals: &[Signal],
    state: &SpikeState,
    rules: &Rules,
) -> Result<BTreeSet<IncidentId>, DbError> {
    let mut touched = record_signals(conn, service, signals, rules)?;
    touched.extend(incidents_of(conn, service, signals, state)?);
    Ok(touched)
}

/// After the last pass: the touched incidents' report counts, and where evaluation stands.
fn finish(
    conn: &mut DbConn,
    service: &str,
    touched: BTreeSet<IncidentId>,
    state: &SpikeState,
    until_m: i64,
) -> Result<Vec<IncidentId>, DbError> {
    for id in &touched {
        refresh_report_count(conn, id, minute_time(until_m))?;
    }
    spike_state::save_state(conn, service, &stored_state(state, until_m))?;
    Ok(touched.into_iter().collect())
}

/// A state as stored, evaluated up to minute `until_m`.
fn stored_state(state: &SpikeState, until_m: i64) -> spike_state::StoredState {
    spike_state::StoredState {
        evaluated_until: minute_time(until_m),
        open_state: encode(state),
    }
}

/// The minute evaluation resumes from and the state it carries there: where the last
/// evaluation stopped, or the service's first minute. Counts for minutes already evaluated
/// rewind it to just before them (to the onset of the episode open then, if any), not before
/// the first minute, with a fresh state; the last value says it rewound.
fn resume_from(
    conn: &mut DbConn,
    service: &str,
    history: i64,
    dirty_from: Option<DateTime<Utc>>,
    rules: &Rules,
) -> Result<(i64, SpikeState, bool), DbError> {
    let stored = spike_state::load_state(conn, service)?;
    let (from, state) = stored_point(stored.as_ref(), history);
    let Some(dirty) = dirty_from.map(minute_index).filter(|d| *d < from) else {
        return Ok((from, state, false));
    };
    let mut target = dirty - i64::from(rules.sustain_minutes);
    if let Some(open) = store::spike_open_at(conn, service, minute_time(target))? {
        target = minute_index(open.onset());
    }
    Ok((target.max(history), SpikeState::default(), true))
}

/// Where a stored state leaves evaluation and what it carries; without one, the first minute
/// and a fresh state.
fn stored_point(stored: Option<&spike_state::StoredState>, history: i64) -> (i64, SpikeState) {
    match stored {
        None => (history, SpikeState::default()),
        Some(s) => (
            minute_index(s.evaluated_until),
            decode(s.open_state.as_deref()),
        ),
    }
}

/// Writes what the rule found, in order. Returns the incidents the onsets opened or joined.
fn record_signals(
    conn: &mut DbConn,
    service: &str,
    signals: &[Signal],
    rules: &Rules,
) -> Result<BTreeSet<IncidentId>, DbError> {
    let name = db::services::get(conn, service).map_or_else(|_| service.to_string(), |s| s.name);
    let mut opened = BTreeSet::new();
    for (i, signal) in signals.iter().enumerate() {
        match *signal {
            Signal::Onset {
                minute,
                count,
                baseline,
            } => {
                let detected = minute_time(minute + i64::from(rules.sustain_minutes));
                let at = minute_time(minute);
                let count = i64::from(count);
                let id = store::record_onset(conn, service, &name, at, count, baseline, detected)?;
                opened.insert(id);
            }
            Signal::Peak { .. } if peaks_again(signal, &signals[i + 1..]) => {}
            Signal::Peak {
                onset,
                minute,
                count,
                baseline,
            } => {
                if let Some(spike) = store::find_spike(conn, service, minute_time(onset))? {
                    let (at, count) = (minute_time(minute), i64::from(count));
                    store::record_peak(conn, &spike, at, count, baseline)?;
                }
            }
            Signal::Returned { onset, minute } | Signal::Resolved { onset, minute } => {
                let resolved = matches!(signal, Signal::Resolved { .. });
                if let Some(spike) = store::find_spike(conn, service, minute_time(onset))? {
                    store::record_end(conn, &spike, minute_time(minute), resolved)?;
                }
            }
        }
    }
    Ok(opened)
}

/// Whether a peak is followed in `later` signals by another peak of its episode: only the last
/// peak of an episode in a run is written.
fn peaks_again(peak: &Signal, later: &[Signal]) -> bool {
    let Signal::Peak { onset, .. } = peak else {
        return false;
    };
    later
        .iter()
        .any(|s| matches!(s, Signal::Peak { onset: o, .. } if o == onset))
}

/// The episode a signal belongs to, by its onset minute.
fn onset_of(signal: &Signal) -> i64 {
    match signal {
        Signal::Onset { minute, .. } => *minute,
        Signal::Peak { onset, .. }
        | Signal::Returned { onset, .. }
        | Signal::Resolved { onset, .. } => *onset,
    }
}

/// The incidents of the episode still open and of every episode a signal touched.
fn incidents_of(
    conn: &mut DbConn,
    service: &str,
    signals: &[Signal],
    state: &SpikeState,
) -> Result<BTreeSet<IncidentId>, DbError> {
    let open = state.open.map(|e| e.onset);
    let mut out = BTreeSet::new();
    for onset in open.into_iter().chain(signals.iter().map(onset_of)) {
        if let Some(spike) = store::find_spike(conn, service, minute_time(onset))?
            && let Some(id) = spike.incident_id.as_deref()
        {
            out.insert(parse_id(id)?);
        }
    }
    Ok(out)
}

/// An incident's report count: the counted reports of each of its spikes' services during the
/// spike (up to `until` while it is open). The reports themselves are attached to it.
fn refresh_report_count(
    conn: &mut DbConn,
    id: &IncidentId,
    until: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut total = 0;
    let mut attached = 0;
    for spike in store::spikes_of_incident(conn, id)? {
        let end = spike.ended().unwrap_or(until);
        total += db::reports::count_between(conn, &spike.service_slug, spike.onset(), end)?;
        attached += db::reports::attach(conn, &spike.service_slug, spike.onset(), end, id)?;
    }
    if attached > 0 {
        db::outbox::append_event(
            conn,
            db::outbox::Entity::Incident,
            &id.to_string(),
            db::outbox::Operation::Update,
            db::outbox::Event::Spike,
        )?;
    }
    store::set_report_count(conn, id, total)
}

fn parse_id(raw: &str) -> Result<IncidentId, DbError> {
    raw.parse().map_err(|e: uuid::Error| DbError::Corrupt {
        table: "report_spikes",
        message: e.to_string(),
    })
}

/// The counts evaluating minutes `from..to` needs: dense from `from - lookback`, but for a
/// short span (live evaluation, each minute) only the windows the rule reads are loaded: the
/// trailing hour and the same time of day on each of the previous days.
fn load_for_evaluation(
    conn: &mut DbConn,
    service: &str,
    from: i64,
    to: i64,
    rules: &Rules,
) -> Result<Series, DbError> {
    if to - from > SHORT_SPAN {
        return load_series(conn, service, from - rules.lookback(), to);
    }
    short_series(from, to, rules, |a, b| {
        db::reports::buckets_between(conn, service, minute_time(a), minute_time(b))
    })
}

fn fill(series: &mut Series, rows: Vec<(DateTime<Utc>, i64)>) {
    for (t, c) in rows {
        let i = minute_index(t) - series.start;
        if let Some(slot) = usize::try_from(i)
            .ok()
            .and_then(|i| series.counts.get_mut(i))
        {
            *slot = u32::try_from(c).unwrap_or(u32::MAX);
        }
    }
}

fn load_series(conn: &mut DbConn, service: &str, from: i64, to: i64) -> Result<Series, DbError> {
    let rows = db::reports::buckets_between(conn, service, minute_time(from), minute_time(to))?;
    let mut series = Series {
        start: from,
        counts: vec![0u32; (to - from).max(0) as usize],
    };
    fill(&mut series, rows);
    Ok(series)
}

/// Live evaluation: every service with recent counts or an open episode, in chunks of services
/// with a write transaction each (`live`), then links around what changed, under the evaluation
/// lock (no backfill evaluates meanwhile). Returns the incidents touched, or the first failure
/// once every other service has been evaluated.
pub fn evaluate_all(db: &db::Db, now: DateTime<Utc>) -> Result<Vec<IncidentId>, DbError> {
    let rules = Rules::default();
    let since = now - Duration::minutes(rules.lookback() + 60);
    let mut services = db.run(|conn| db::reports::services_with_counts_since(conn, since))?;
    services.extend(db.run(spike_state::services_with_open_state)?);
    services.sort();
    services.dedup();
    let until = closed_until(now);
    db::evaluation_lock::exclusively(db, Sqlite::PerUnit, |ex| {
        // The chunks write through the pool; the lock, held on `ex`'s connection, keeps other
        // evaluators out until they are done.
        let (touched, failed) = live::evaluate_services(db, &services, until, &rules);
        let touched = relink(ex, touched)?;
        failed.map_or(Ok(touched), Err)
    })
}

/// Recomputes the links around `touched` (sorted and deduplicated), one unit each; an incident
/// removed meanwhile is skipped. Returns them.
pub fn relink(
    ex: &mut Exclusive<'_>,
    mut touched: Vec<IncidentId>,
) -> Result<Vec<IncidentId>, DbError> {
    touched.sort();
    touched.dedup();
    for id in &touched {
        match ex.unit(|conn| super::links::recompute_for(conn, *id)) {
            Ok(_) | Err(DbError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(touched)
}

/// One bin of a report chart: its start, the counted reports in it and the baseline's sum
/// over its minutes (what the rule expected).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartBin {
    pub start: DateTime<Utc>,
    pub count: f64,
    pub baseline: f64,
}

/// Counts against the baseline over `[from, to)` in bins of `bin_minutes`, for charts.
pub fn chart_bins(
    conn: &mut DbConn,
    service: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bin_minutes: i64,
) -> Result<Vec<ChartBin>, DbError> {
    let rules = Rules::default();
    let (from_m, to_m) = (minute_index(from), minute_index(to));
    let series = load_series(conn, service, from_m - rules.lookback(), to_m)?;
    let history = db::reports::first_minute(conn, service)?.map_or(from_m, minute_index);
    let bin = bin_minutes.max(1);
    let mut bins = Vec::new();
    let mut start = from_m;
    while start < to_m {
        let end = (start + bin).min(to_m);
        let (mut count, mut baseline) = (0.0, 0.0);
        for m in start..end {
            count += f64::from(series.at(m));
            if m >= history {
                baseline += spikes::baseline(&series, history, m, &rules).0;
            }
        }
        bins.push(ChartBin {
            start: minute_time(start),
            count,
            baseline,
        });
        start = end;
    }
    Ok(bins)
}

#[cfg(test)]
mod tests;
