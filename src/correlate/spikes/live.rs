//! Live evaluation of many services at once: what `evaluate_all` runs each minute.
//!
//! Rules:
//! - Services are evaluated in chunks of [`CHUNK`], in service order, each chunk in one write
//!   transaction, so that no transaction holds the write lock for every service. A chunk that
//!   fails is evaluated again service by service, each in its own transaction, so one bad
//!   service holds back only itself; the first failure is returned once the rest are done.
//! - A chunk reads what the rule needs for all its services in a few statements
//!   (`db::spike_batch`): first minutes, stored states, and each of the rule's windows of counts
//!   as one range of minutes for the whole chunk, of which each service keeps its own window.
//! - Each service is evaluated as `evaluate_service` evaluates it (same resume point, same
//!   series, same pure rule, same writers), so states, spikes, incidents and links are the same.
//! - A service with nothing to write but its state (no signal, no open episode) costs no
//!   statement of its own: its state joins the chunk's multi-row upsert. One with a signal or an
//!   open episode writes through the per-service writers, in service order. One whose span is
//!   long (a first evaluation of a long history, or a service not evaluated for over
//!   [`SHORT_SPAN`] minutes) goes through `evaluate_service` itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::windows::{SHORT_SPAN, short_series, windows};
use super::{closed_until, evaluate_service, finish, minute_index, minute_time};
use super::{stored_point, stored_state, write_pass};
use crate::db::spike_state::StoredState;
use crate::db::{Db, DbConn, DbError, spike_batch};
use crate::domain::IncidentId;
use crate::domain::spikes::{self, Rules, SpikeState};

/// Services per chunk: a handful of statements each, and a transaction short enough that
/// report intake waits little for SQLite's write lock.
pub(super) const CHUNK: usize = 500;

/// Evaluates `services` (sorted, each once) up to `until`, chunk by chunk. Returns the
/// incidents touched, and the first failure if any service failed.
pub(super) fn evaluate_services(
    db: &Db,
    services: &[String],
    until: DateTime<Utc>,
    rules: &Rules,
) -> (Vec<IncidentId>, Option<DbError>) {
    let mut touched = Vec::new();
    for chunk in services.chunks(CHUNK) {
        let error = match db.write(|conn| evaluate_chunk(conn, chunk, until, rules)) {
            Ok(ids) => {
                touched.extend(ids);
                continue;
            }
            Err(e) if unreachable(&e) => return (touched, Some(e)),
            Err(e) => e,
        };
        tracing::warn!(error = %error, "spike evaluation of a chunk failed; evaluating its services one by one");
        if let Some(e) = one_by_one(db, chunk, until, rules, &mut touched) {
            return (touched, Some(e));
        }
    }
    (touched, None)
}

/// Whether the store cannot be reached at all: then evaluating service by service would only
/// wait for the pool's timeout once per service.
fn unreachable(e: &DbError) -> bool {
    matches!(e, DbError::Pool(_) | DbError::Connection(_))
}

/// Evaluates each service of a failed chunk in its own transaction. Returns the first failure,
/// after evaluating the rest (unless the store cannot be reached).
fn one_by_one(
    db: &Db,
    chunk: &[String],
    until: DateTime<Utc>,
    rules: &Rules,
    touched: &mut Vec<IncidentId>,
) -> Option<DbError> {
    let mut first = None;
    for service in chunk {
        match db.write(|conn| evaluate_service(conn, service, until, None, rules)) {
            Ok(ids) => touched.extend(ids),
            Err(e) => {
                tracing::warn!(service = %service, error = %e, "spike evaluation failed");
                let stop = unreachable(&e);
                first.get_or_insert(e);
                if stop {
                    break;
                }
            }
        }
    }
    first
}

/// How one service of a chunk is evaluated.
enum Plan {
    /// A short span, evaluated here from the chunk's counts.
    Short {
        service: String,
        history: i64,
        from: i64,
        state: SpikeState,
    },
    /// A long span, evaluated by `evaluate_service`.
    Whole(String),
}

/// The plan for a service: none when it has no counts or nothing left to evaluate (as
/// `evaluate_service` returns early then).
fn plan(
    service: &str,
    history: Option<&DateTime<Utc>>,
    stored: Option<&StoredState>,
    until_m: i64,
) -> Option<Plan> {
    let history = minute_index(*history?);
    let (from, state) = stored_point(stored, history);
    if from >= until_m {
        return None;
    }
    if until_m - from > SHORT_SPAN {
        return Some(Plan::Whole(service.to_string()));
    }
    Some(Plan::Short {
        service: service.to_string(),
        history,
        from,
        state,
    })
}

/// Evaluates one chunk of services up to `until`. Call inside a write transaction.
pub(super) fn evaluate_chunk(
    conn: &mut DbConn,
    services: &[String],
    until: DateTime<Utc>,
    rules: &Rules,
) -> Result<Vec<IncidentId>, DbError> {
    let until_m = minute_index(closed_until(until));
    let histories = spike_batch::first_minutes(conn, services)?;
    let stored = spike_batch::load_states(conn, services)?;
    let plans: Vec<Plan> = services
        .iter()
        .filter_map(|s| plan(s, histories.get(s), stored.get(s), until_m))
        .collect();
    let counts = Counts::load(conn, &plans, until_m, rules)?;
    let mut touched = BTreeSet::new();
    let mut quiet = Vec::new();
    for plan in plans {
        let (service, history, from, mut state) = match plan {
            Plan::Whole(service) => {
                touched.extend(evaluate_service(conn, &service, until, None, rules)?);
                continue;
            }
            Plan::Short {
                service,
                history,
                from,
                state,
            } => (service, history, from, state),
        };
        let series = short_series(from, until_m, rules, |a, b| Ok(counts.rows(&service, a, b)))?;
        let signals = spikes::evaluate(&series, history, &mut state, from, until_m, rules);
        if signals.is_empty() && state.open.is_none() {
            quiet.push((service, stored_state(&state, until_m)));
        } else {
            let pass = write_pass(conn, &service, &signals, &state, rules)?;
            touched.extend(finish(conn, &service, pass, &state, until_m)?);
        }
    }
    spike_batch::save_states(conn, &quiet)?;
    Ok(touched.into_iter().collect())
}

/// A chunk's counts: per service, minute → count.
struct Counts(HashMap<String, BTreeMap<i64, i64>>);

impl Counts {
    /// The counts of every window the short plans read: per window, one range of minutes that
    /// covers it for every service of the chunk.
    fn load(
        conn: &mut DbConn,
        plans: &[Plan],
        until_m: i64,
        rules: &Rules,
    ) -> Result<Self, DbError> {
        let mut services = Vec::new();
        let mut ranges: Vec<(i64, i64)> = Vec::new();
        for plan in plans {
            let Plan::Short { service, from, .. } = plan else {
                continue;
            };
            services.push(service.as_str());
            for (i, (a, b)) in windows(*from, until_m, rules).into_iter().enumerate() {
                match ranges.get_mut(i) {
                    Some(r) => *r = (r.0.min(a), r.1.max(b)),
                    None => ranges.push((a, b)),
                }
            }
        }
        let mut counts: HashMap<String, BTreeMap<i64, i64>> = HashMap::new();
        if services.is_empty() {
            return Ok(Self(counts));
        }
        for (a, b) in ranges {
            let rows =
                spike_batch::buckets_between(conn, &services, minute_time(a), minute_time(b))?;
            for (service, minute, count) in rows {
                counts
                    .entry(service)
                    .or_default()
                    .insert(minute_index(minute), count);
            }
        }
        Ok(Self(counts))
    }

    /// A service's non-empty minutes in `[a, b)`, oldest first, as `reports::buckets_between`
    /// gives them.
    fn rows(&self, service: &str, a: i64, b: i64) -> Vec<(DateTime<Utc>, i64)> {
        match self.0.get(service) {
            Some(minutes) if a < b => minutes
                .range(a..b)
                .map(|(m, c)| (minute_time(*m), *c))
                .collect(),
            _ => Vec::new(),
        }
    }
}
