//! Taking back what spike evaluation derived from a service's minutes, before evaluating them
//! again with counts that arrived late (a backfill of the past, or another backfill's half of
//! the same file).
//!
//! Rules:
//! - Undoing from a minute removes the service's episodes with an onset at or after it, their
//!   timeline entries, and the attachment of the service's reports to their incidents from
//!   that minute on. Evaluating the minutes again then writes what the counts as they are now
//!   imply, so an episode found from half the reports never outlives the whole.
//! - An incident such an episode opened goes with it when nothing else holds it: its origin is
//!   user reports, no provider claimed it, no other episode or entry is left in it, and nobody
//!   edited its title, impact or acknowledgement, wrote a postmortem revision, linked it or
//!   decided on a link of it. Otherwise it stays (an
//!   episode found again joins it, as an overlapping incident) and is returned, so that its
//!   report count and links are worked out again.
//! - Every incident changed or removed appends an outbox row: the indexer drops the documents
//!   of incidents that are gone.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::convert::to_db_time;
use super::error::DbError;
use super::schema::{
    incident_links, incidents, link_decisions, postmortems, report_spikes, reports,
    timeline_entries,
};
use super::{DbConn, outbox};
use crate::domain::{Impact, IncidentId, LinkSetBy, Origin};

/// How the title of an incident a spike opened ends (after the service's name).
pub const OPENED_TITLE_SUFFIX: &str = ": users report problems";

/// The timeline entry kinds an episode writes (`db::spikes::upsert_entry`).
const ENTRY_KINDS: [&str; 4] = ["start", "peak", "return", "resolved"];

/// Removes what evaluation derived from `service`'s minutes at or after `from`; returns the
/// incidents that stayed and were changed.
pub fn undo_from(
    conn: &mut DbConn,
    service: &str,
    from: DateTime<Utc>,
) -> Result<Vec<IncidentId>, DbError> {
    let spikes: Vec<(String, NaiveDateTime, Option<String>)> = report_spikes::table
        .filter(report_spikes::service_slug.eq(service))
        .filter(report_spikes::onset.ge(to_db_time(from)))
        .select((
            report_spikes::id,
            report_spikes::onset,
            report_spikes::incident_id,
        ))
        .load(conn)?;
    let mut affected: Vec<String> = Vec::new();
    for (id, onset, incident) in &spikes {
        if let Some(incident) = incident {
            let keys: Vec<String> = ENTRY_KINDS
                .iter()
                .map(|which| format!("spike:{service}:{}:{which}", onset.and_utc().timestamp()))
                .collect();
            diesel::delete(
                timeline_entries::table
                    .filter(timeline_entries::incident_id.eq(incident))
                    .filter(timeline_entries::external_id.eq_any(&keys)),
            )
            .execute(conn)?;
            affected.push(incident.clone());
        }
        diesel::delete(report_spikes::table.find(id)).execute(conn)?;
    }
    affected.sort();
    affected.dedup();
    if !spikes.is_empty() {
        tracing::info!(
            service,
            from = %from,
            episodes = spikes.len(),
            incidents = affected.len(),
            "counts arrived for minutes already evaluated: evaluating them again"
        );
    }
    let mut kept = Vec::new();
    for incident in &affected {
        diesel::update(
            reports::table
                .filter(reports::incident_id.eq(incident))
                .filter(reports::service_slug.eq(service))
                .filter(reports::reported_at.ge(to_db_time(from))),
        )
        .set(reports::incident_id.eq(None::<String>))
        .execute(conn)?;
        if held(conn, incident)? {
            kept.push(super::convert::parse_stored("incidents", incident)?);
        } else {
            diesel::delete(incidents::table.find(incident)).execute(conn)?;
        }
        outbox::append_event(
            conn,
            outbox::Entity::Incident,
            incident,
            outbox::Operation::Update,
            outbox::Event::Spike,
        )?;
    }
    Ok(kept)
}

/// Whether anything but the removed episodes holds an incident (see the module rules).
fn held(conn: &mut DbConn, id: &str) -> Result<bool, DbError> {
    type Row = (
        String,
        Option<String>,
        String,
        String,
        Option<NaiveDateTime>,
    );
    let row: Option<Row> = incidents::table
        .find(id)
        .select((
            incidents::origin,
            incidents::source_id,
            incidents::title,
            incidents::impact,
            incidents::acknowledged_at,
        ))
        .get_result(conn)
        .optional()?;
    let Some((origin, source, title, impact, acknowledged)) = row else {
        return Ok(false);
    };
    // A person's edit leaves no entry: a title, impact or acknowledgement evaluation never
    // writes says one was made.
    let edited = !title.ends_with(OPENED_TITLE_SUFFIX)
        || impact != Impact::Minor.as_str()
        || acknowledged.is_some();
    if origin != Origin::UserReports.as_str() || source.is_some() || edited {
        return Ok(true);
    }
    let exists = |n: i64| n > 0;
    let spikes: i64 = report_spikes::table
        .filter(report_spikes::incident_id.eq(id))
        .count()
        .get_result(conn)?;
    let entries: i64 = timeline_entries::table
        .filter(timeline_entries::incident_id.eq(id))
        .count()
        .get_result(conn)?;
    let written: i64 = postmortems::table
        .filter(postmortems::incident_id.eq(id))
        .filter(postmortems::generated.eq(0))
        .count()
        .get_result(conn)?;
    let linked: i64 = incident_links::table
        .filter(
            incident_links::from_incident
                .eq(id)
                .or(incident_links::to_incident.eq(id)),
        )
        .filter(incident_links::set_by.eq(LinkSetBy::Person.as_str()))
        .count()
        .get_result(conn)?;
    let decided: i64 = link_decisions::table
        .filter(
            link_decisions::incident_a
                .eq(id)
                .or(link_decisions::incident_b.eq(id)),
        )
        .count()
        .get_result(conn)?;
    Ok([spikes, entries, written, linked, decided]
        .into_iter()
        .any(exists))
}
