//! Evaluating the services one stored batch of reports touched, up to a point in time, inside
//! the caller's transaction: what `correlate::reports::store_and_evaluate` runs for each batch of
//! a replayed stream.
//!
//! Rules:
//! - Services are evaluated in service order, each as `evaluate_service` evaluates it given the
//!   earliest minute its counts changed.
//! - A service whose new counts all fall at or after the minute its evaluation stands at needs
//!   no rewind; runs of such services are evaluated as the live chunks are (`live`), reading what
//!   the rule needs for the whole run in a few statements instead of about ten per service. The
//!   live chunks give what `evaluate_service` gives (same resume point, series and writers).
//! - A service with counts before that minute rewinds, through `evaluate_service` itself.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::live::{CHUNK, evaluate_chunk};
use super::{evaluate_service, minute_index};
use crate::db::{DbConn, DbError, spike_batch};
use crate::domain::IncidentId;
use crate::domain::spikes::Rules;

/// Evaluates each service of `dirty` (service → earliest minute with new counts) up to `until`.
/// Returns the incidents touched (not deduplicated).
pub fn evaluate_touched(
    conn: &mut DbConn,
    dirty: &BTreeMap<String, DateTime<Utc>>,
    until: DateTime<Utc>,
    rules: &Rules,
) -> Result<Vec<IncidentId>, DbError> {
    let services: Vec<String> = dirty.keys().cloned().collect();
    let states = spike_batch::load_states(conn, &services)?;
    let mut touched = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for (service, earliest) in dirty {
        let rewinds = states
            .get(service)
            .is_some_and(|s| minute_index(*earliest) < minute_index(s.evaluated_until));
        if !rewinds {
            run.push(service.clone());
            continue;
        }
        touched.extend(in_chunks(conn, &run, until, rules)?);
        run.clear();
        touched.extend(evaluate_service(
            conn,
            service,
            until,
            Some(*earliest),
            rules,
        )?);
    }
    touched.extend(in_chunks(conn, &run, until, rules)?);
    Ok(touched)
}

fn in_chunks(
    conn: &mut DbConn,
    services: &[String],
    until: DateTime<Utc>,
    rules: &Rules,
) -> Result<Vec<IncidentId>, DbError> {
    let mut touched = Vec::new();
    for chunk in services.chunks(CHUNK) {
        touched.extend(evaluate_chunk(conn, chunk, until, rules)?);
    }
    Ok(touched)
}
