//! Every time in a parsed document lies in range (`domain::time`), or the document is refused
//! whole, naming the place: a path into the parsed document (`incidents[2].updates[0].
//! occurred_at`) and the time exactly as the source wrote it, where it kept it.
//!
//! A scheduled maintenance may start and end up to a year ahead; its posts may not.

use chrono::{DateTime, Utc};

use super::{ParseError, ParsedDocument};
use crate::domain::time::{Horizon, in_range};

/// `Ok` when every time of `doc` is in range as of `now`.
pub fn check_times(doc: &ParsedDocument, now: DateTime<Utc>) -> Result<(), ParseError> {
    for (i, incident) in doc.incidents.iter().enumerate() {
        let window = if incident.is_maintenance {
            Horizon::Scheduled
        } else {
            Horizon::Event
        };
        let own = [
            ("started_at", incident.started_at),
            ("resolved_at", incident.resolved_at),
            ("updated_at", incident.updated_at),
        ];
        for (field, t) in own {
            check(t, window, now, || format!("incidents[{i}].{field}"), None)?;
        }
        for (j, update) in incident.updates.iter().enumerate() {
            check(
                Some(update.occurred_at),
                Horizon::Event,
                now,
                || format!("incidents[{i}].updates[{j}].occurred_at"),
                Some(&update.original_time),
            )?;
        }
    }
    for (k, change) in doc.component_changes.iter().enumerate() {
        check(
            change.occurred_at,
            Horizon::Event,
            now,
            || format!("component_changes[{k}].occurred_at"),
            None,
        )?;
    }
    Ok(())
}

fn check(
    t: Option<DateTime<Utc>>,
    horizon: Horizon,
    now: DateTime<Utc>,
    path: impl FnOnce() -> String,
    original: Option<&str>,
) -> Result<(), ParseError> {
    match t {
        Some(t) if !in_range(t, horizon, now) => Err(ParseError::TimeOutOfRange {
            path: path(),
            value: original
                .filter(|o| !o.is_empty())
                .map_or_else(|| t.to_rfc3339(), str::to_string),
            range: horizon.describe(),
        }),
        _ => Ok(()),
    }
}
