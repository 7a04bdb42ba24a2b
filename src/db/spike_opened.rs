//! Incidents that a spike of user reports opened and no provider has claimed yet.
//!
//! Rules:
//! - A provider's incident and a spike of one of its services are one outage when the
//!   provider's incident started no later than an hour after the onset and was not resolved
//!   before it (`db::spikes::JOIN_AFTER`), whichever of the two arrives first.
//! - A spike that arrives second joins the provider's incident (`db::spikes`). A provider's
//!   incident that arrives second takes over the incident the spike opened rather than opening
//!   a second one: the incident keeps its id, its spike entries, reports and links, and becomes
//!   the provider's as if the post had come first (its key, title, status, times and origin
//!   `status_page`, so the spike no longer moves its status).
//! - Only incidents with origin `user_reports` and no source are claimed; a person's incident is
//!   never taken over. When several match, the earliest onset wins, as a spike joins the
//!   earliest overlapping incident.
//! - They are read once per batch, when its first new incident is about to be inserted, through
//!   the source index (`source_id IS NULL`): a bulk ingest with no spikes pays one small query a
//!   batch. The batch forgets them when a savepoint is rolled back.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::convert::IncidentRow;
use super::error::DbError;
use super::schema::{incident_services, incidents, timeline_entries};
use super::spikes::JOIN_AFTER;
use super::timeline::NewEntry;
use crate::domain::{EntryKind, IncidentId, Origin, ServiceSlug};

/// An incident a spike opened: its id, onset and services.
#[derive(Debug, Clone)]
struct Opened {
    id: String,
    onset: NaiveDateTime,
    services: Vec<String>,
}

/// The unclaimed spike-opened incidents, read when first needed.
#[derive(Debug, Default)]
pub struct SpikeOpened {
    read: Option<Vec<Opened>>,
}

impl SpikeOpened {
    /// Takes the incident a spike opened that `row`, a provider's incident of `services` about
    /// to be inserted, belongs with, if any; it is no longer offered to another.
    ///
    /// The claim is a conditional update (`source_id IS NULL`): on PostgreSQL another instance
    /// may claim the same incident meanwhile, and the later claim then finds it taken (its
    /// update waits for the first to commit and matches nothing) and tries the next, rather
    /// than overwriting the first provider's key.
    pub fn claim(
        &mut self,
        conn: &mut DbConn,
        services: &[ServiceSlug],
        row: &IncidentRow,
    ) -> Result<Option<IncidentRow>, DbError> {
        let opened = match &mut self.read {
            Some(opened) => opened,
            None => self.read.insert(read_unclaimed(conn)?),
        };
        loop {
            let best = opened
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    o.services
                        .iter()
                        .any(|s| services.iter().any(|w| w.as_str() == s))
                        && one_outage(row.started_at, row.resolved_at, o.onset)
                })
                .min_by(|(_, a), (_, b)| (a.onset, &a.id).cmp(&(b.onset, &b.id)))
                .map(|(i, _)| i);
            let Some(i) = best else { return Ok(None) };
            let candidate = opened.swap_remove(i);
            let claimed = diesel::update(
                incidents::table
                    .filter(incidents::id.eq(&candidate.id))
                    .filter(incidents::source_id.is_null()),
            )
            .set((
                incidents::source_id.eq(&row.source_id),
                incidents::external_id.eq(&row.external_id),
            ))
            .execute(conn)?;
            if claimed == 1 {
                // Locked since the update above; read as it is now.
                return Ok(Some(super::versions::lock(conn, &candidate.id)?));
            }
        }
    }

    /// A savepoint was rolled back: a claim made inside it is undone, so read them again.
    pub fn forget(&mut self) {
        self.read = None;
    }
}

/// The rule a spike joins an incident by, from the provider's side.
fn one_outage(
    started: NaiveDateTime,
    resolved: Option<NaiveDateTime>,
    onset: NaiveDateTime,
) -> bool {
    started <= onset + JOIN_AFTER && resolved.is_none_or(|r| r >= onset)
}

fn read_unclaimed(conn: &mut DbConn) -> Result<Vec<Opened>, DbError> {
    let rows: Vec<(String, NaiveDateTime, String)> = incidents::table
        .inner_join(incident_services::table)
        .filter(incidents::source_id.is_null())
        .filter(incidents::origin.eq(Origin::UserReports.as_str()))
        .select((
            incidents::id,
            incidents::started_at,
            incident_services::service_slug,
        ))
        .order((incidents::id, incident_services::service_slug))
        .load(conn)?;
    let mut out: Vec<Opened> = Vec::new();
    for (id, onset, service) in rows {
        match out.last_mut() {
            Some(last) if last.id == id => last.services.push(service),
            _ => out.push(Opened {
                id,
                onset,
                services: vec![service],
            }),
        }
    }
    Ok(out)
}

/// Makes `row`, the provider's incident as it would have been inserted, the incident `opened`
/// by a spike: same id, creation time and report count; `entries` are re-pointed at it.
/// Returns the id the incident now has.
///
/// The spike's entries no longer say they moved the incident to monitoring or resolved it:
/// the provider's posts say where it stands, as when a spike joins a provider's incident.
pub fn take_over(
    conn: &mut DbConn,
    row: &mut IncidentRow,
    opened: &IncidentRow,
    entries: &mut [NewEntry],
) -> Result<IncidentId, DbError> {
    diesel::update(
        timeline_entries::table
            .filter(timeline_entries::incident_id.eq(&opened.id))
            .filter(timeline_entries::kind.eq(EntryKind::ReportSpike.as_str()))
            .filter(timeline_entries::status.is_not_null()),
    )
    .set(timeline_entries::status.eq(None::<String>))
    .execute(conn)?;
    row.id = opened.id.clone();
    row.created_at = opened.created_at;
    row.report_count = opened.report_count;
    let id: IncidentId = row.incident_id()?;
    for entry in entries {
        entry.incident_id = id;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn t(h: u32, m: u32) -> NaiveDateTime {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn a_provider_incident_belongs_with_a_spike_it_overlaps_starting_up_to_an_hour_after_it() {
        let onset = t(7, 0);
        assert!(
            one_outage(t(7, 40), None, onset),
            "posted 40 min after the onset"
        );
        assert!(one_outage(t(8, 0), None, onset), "exactly an hour after");
        assert!(!one_outage(t(8, 1), None, onset), "more than an hour after");
        assert!(
            one_outage(t(5, 0), None, onset),
            "an ongoing outage the users noticed late"
        );
        assert!(
            one_outage(t(5, 0), Some(t(7, 0)), onset),
            "resolved at the onset"
        );
        assert!(
            !one_outage(t(5, 0), Some(t(6, 59)), onset),
            "resolved before the onset"
        );
    }
}
