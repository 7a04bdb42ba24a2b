//! The fan-out: outbox rows in, deliveries out. Run by the leader only.
//!
//! Rules:
//! - It reads the outbox from its registered position (`db::deliveries::reader`) and writes
//!   the batch's deliveries and its new position in one transaction, moving the position only
//!   if nobody moved it meanwhile: each row is fanned out exactly once, whatever crashes.
//! - Only incident rows whose event is one a subscriber can hear (`EventKind::from_outbox`)
//!   count; the same incident and event twice in a batch is one change (the body is rendered
//!   from the incident as it is now, so both would say the same).
//! - A subscription hears a change when it asked for the event, its filter admits the
//!   incident, and its saved search (if any) matches it in an index of the batch
//!   (`search::matcher`).
//! - If rows it never read were pruned (it was away longer than the retention), it skips to
//!   the pruned mark and says so: those changes are not notified.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::NotifyError;
use super::render::{self, Change, Links};
use crate::db::deliveries::{self, NewDelivery, reader};
use crate::db::outbox::{self, Position};
use crate::db::subscriptions::{self, Subscription};
use crate::db::{Db, replicas, search_docs, timeline};
use crate::domain::subscription::EventKind;
use crate::domain::{SearchableIncident, TimelineEntry};
use crate::search::matcher::BatchIndex;

/// Outbox rows read per batch.
pub const BATCH: i64 = 500;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FanOut {
    /// Outbox rows read.
    pub rows: usize,
    pub deliveries: usize,
    /// Whether the outbox is drained (a short batch).
    pub drained: bool,
}

/// One batch: reads up to [`BATCH`] rows after the fan-out's position and enqueues their
/// deliveries. `host` names this process in `index_replicas`.
pub fn fan_out_once(
    db: &Db,
    links: &Links,
    host: &str,
    now: DateTime<Utc>,
) -> Result<FanOut, NotifyError> {
    // A read, not a write transaction (three round trips on PostgreSQL, the write lock on
    // SQLite), once registered.
    let from = match db.run(reader::registered)? {
        Some(from) => from,
        None => db.write(|conn| reader::position(conn, host, now))?,
    };
    let tail = db.run(|conn| outbox::tail(conn, from, BATCH))?;
    if let Some(pruned) = tail.pruned_past {
        tracing::warn!(
            position = ?from,
            pruned_through = ?pruned,
            "outbox rows the notification fan-out never read were pruned; their changes are not notified"
        );
        db.write(|conn| reader::advance(conn, from, pruned, now))?;
        return Ok(FanOut::default());
    }
    let drained = (tail.rows.len() as i64) < BATCH;
    let Some((to, _)) = tail.rows.last() else {
        db.write(|conn| replicas::beat(conn, reader::READER, reader::READER, host, from, now))?;
        return Ok(FanOut {
            drained,
            ..FanOut::default()
        });
    };
    let to: Position = *to;
    let changes = changes(&tail.rows);
    let new = if changes.is_empty() {
        Vec::new()
    } else {
        deliveries_for(db, &changes, links, now)?
    };
    let made = new.len();
    let moved = db.write(move |conn| {
        if !reader::advance(conn, from, to, now)? {
            return Ok(false);
        }
        deliveries::enqueue(conn, &new, now)?;
        Ok(true)
    })?;
    if !moved {
        tracing::warn!("another fan-out moved the notification position; this batch is left to it");
        return Ok(FanOut::default());
    }
    Ok(FanOut {
        rows: tail.rows.len(),
        deliveries: made,
        drained,
    })
}

/// The batch's changes, in outbox order, each (event, incident) once.
fn changes(rows: &[(Position, outbox::OutboxRow)]) -> Vec<(EventKind, String)> {
    let mut seen = BTreeSet::new();
    rows.iter()
        .filter(|(_, r)| r.entity == outbox::Entity::Incident.as_str())
        .filter_map(|(_, r)| Some((EventKind::from_outbox(&r.event)?, r.entity_id.clone())))
        .filter(|change| seen.insert(change.clone()))
        .collect()
}

fn deliveries_for(
    db: &Db,
    changes: &[(EventKind, String)],
    links: &Links,
    now: DateTime<Utc>,
) -> Result<Vec<NewDelivery>, NotifyError> {
    let subs = db.run(subscriptions::listening)?;
    if subs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = changes
        .iter()
        .map(|(_, id)| id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (incidents, timelines) = db.run(|conn| {
        Ok((
            search_docs::load(conn, &ids)?,
            timeline::for_incidents(conn, &ids)?,
        ))
    })?;
    let matches = saved_searches(&subs, &incidents)?;
    let by_id: HashMap<String, &SearchableIncident> =
        incidents.iter().map(|i| (i.id.to_string(), i)).collect();
    let mut out = Vec::new();
    for (event, id) in changes {
        let Some(incident) = by_id.get(id) else {
            continue;
        };
        let timeline: &[TimelineEntry] = timelines.get(id).map_or(&[], Vec::as_slice);
        let change = Change {
            event: *event,
            incident,
            timeline,
            at: now,
        };
        for sub in subs.iter().filter(|s| hears(s, &change, &matches)) {
            out.push(NewDelivery {
                subscription_id: sub.id.clone(),
                event: event.as_str().to_string(),
                incident_key: id.clone(),
                body: render::body(sub, &change, links),
            });
        }
    }
    Ok(out)
}

/// Which incidents of the batch each saved search (by its query) matches.
fn saved_searches(
    subs: &[Subscription],
    incidents: &[SearchableIncident],
) -> Result<HashMap<String, BTreeSet<String>>, NotifyError> {
    let queries: BTreeSet<&str> = subs
        .iter()
        .filter_map(|s| s.filter.query.as_deref())
        .collect();
    let mut matches = HashMap::new();
    if queries.is_empty() || incidents.is_empty() {
        return Ok(matches);
    }
    let index = BatchIndex::build(incidents)?;
    for q in queries {
        matches.insert(q.to_string(), index.matching(q)?);
    }
    Ok(matches)
}

fn hears(
    sub: &Subscription,
    change: &Change<'_>,
    matches: &HashMap<String, BTreeSet<String>>,
) -> bool {
    let id = change.incident.id.to_string();
    sub.wants(change.event)
        && sub.filter.admits(change.incident)
        && sub
            .filter
            .query
            .as_deref()
            .is_none_or(|q| matches.get(q).is_some_and(|ids| ids.contains(&id)))
}
