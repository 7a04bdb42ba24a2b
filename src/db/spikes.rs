//! Spike episodes and what they do to incidents: episode rows, the incident a spike opens or
//! joins, and its timeline entries. Evaluation state is in `spike_state`.
//!
//! Rules:
//! - Everything is keyed so that evaluating the same minutes again changes nothing: an episode
//!   by (service, onset minute), its entries by an external id derived from it.
//! - A spike joins an incident of the same service that overlaps it in event time (started no
//!   later than an hour after the onset, not resolved before it); otherwise it opens its own,
//!   with origin `user_reports`. Only its own incident is moved to monitoring and resolved by
//!   the return to baseline; a provider's incident keeps the provider's status. A provider's
//!   incident that arrives later takes over the one the spike opened (`db::spike_opened`).
//! - Every change to an incident appends an outbox row in the same transaction.
//! - A spike that writes to an existing incident locks it first (`db::versions`), then reads
//!   its entries: two evaluations of the same minutes then write one entry, not two.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::convert::{IncidentRow, from_db_time, now, opt_from_db, to_db_time};
use super::error::DbError;
use super::incidents::{apply_state, save_row, state_of};
use super::schema::{incident_services, incidents, report_spikes, timeline_entries};
use super::{DbConn, outbox, timeline, versions};
use crate::domain::{EntryKind, Impact, IncidentId, IncidentStatus, Origin};

/// A spike joins an incident that started up to this long after its onset (and a provider's
/// incident takes over one a spike opened by the same rule: `db::spike_opened`).
pub(super) const JOIN_AFTER: Duration = Duration::minutes(60);
pub const SOURCE: &str = "user reports";

/// A spike episode as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = report_spikes)]
pub struct SpikeRow {
    pub id: String,
    pub service_slug: String,
    pub onset: NaiveDateTime,
    pub onset_count: i64,
    pub baseline: f64,
    pub peak_at: NaiveDateTime,
    pub peak_count: i64,
    pub returned_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub incident_id: Option<String>,
}

impl SpikeRow {
    pub fn onset(&self) -> DateTime<Utc> {
        from_db_time(self.onset)
    }
    pub fn ended(&self) -> Option<DateTime<Utc>> {
        opt_from_db(self.ended_at)
    }
}

pub fn find_spike(
    conn: &mut DbConn,
    service: &str,
    onset: DateTime<Utc>,
) -> Result<Option<SpikeRow>, DbError> {
    Ok(report_spikes::table
        .filter(report_spikes::service_slug.eq(service))
        .filter(report_spikes::onset.eq(to_db_time(onset)))
        .select(SpikeRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// The episode of a service that was open at `t`, if any.
pub fn spike_open_at(
    conn: &mut DbConn,
    service: &str,
    t: DateTime<Utc>,
) -> Result<Option<SpikeRow>, DbError> {
    let t = to_db_time(t);
    Ok(report_spikes::table
        .filter(report_spikes::service_slug.eq(service))
        .filter(report_spikes::onset.le(t))
        .filter(
            report_spikes::ended_at
                .is_null()
                .or(report_spikes::ended_at.ge(t)),
        )
        .order(report_spikes::onset.desc())
        .select(SpikeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Episodes not yet resolved: the home page's "current spikes".
pub fn open_spikes(conn: &mut DbConn) -> Result<Vec<SpikeRow>, DbError> {
    Ok(report_spikes::table
        .filter(report_spikes::ended_at.is_null())
        .order(report_spikes::onset.desc())
        .limit(100)
        .select(SpikeRow::as_select())
        .load(conn)?)
}

/// The episodes attached to an incident, oldest first.
pub fn spikes_of_incident(conn: &mut DbConn, id: &IncidentId) -> Result<Vec<SpikeRow>, DbError> {
    Ok(report_spikes::table
        .filter(report_spikes::incident_id.eq(id.to_string()))
        .order(report_spikes::onset.asc())
        .select(SpikeRow::as_select())
        .load(conn)?)
}

/// Every episode of a service, oldest first (tests and the service page).
pub fn spikes_of_service(conn: &mut DbConn, service: &str) -> Result<Vec<SpikeRow>, DbError> {
    Ok(report_spikes::table
        .filter(report_spikes::service_slug.eq(service))
        .order(report_spikes::onset.asc())
        .select(SpikeRow::as_select())
        .load(conn)?)
}

/// Records an onset: the episode row and the incident it opens or joins. Returns the incident.
pub fn record_onset(
    conn: &mut DbConn,
    service: &str,
    service_name: &str,
    onset: DateTime<Utc>,
    count: i64,
    baseline: f64,
    detected_at: DateTime<Utc>,
) -> Result<IncidentId, DbError> {
    if let Some(existing) = find_spike(conn, service, onset)?
        && let Some(id) = existing.incident_id.as_deref()
    {
        return super::convert::parse_stored("report_spikes", id);
    }
    let incident = match overlapping_incident(conn, service, onset)? {
        Some(id) => {
            versions::lock(conn, &id.to_string())?;
            id
        }
        None => open_incident(conn, service, service_name, onset, detected_at)?,
    };
    if find_spike(conn, service, onset)?.is_none() {
        diesel::insert_into(report_spikes::table)
            .values((
                report_spikes::id.eq(uuid::Uuid::now_v7().to_string()),
                report_spikes::service_slug.eq(service),
                report_spikes::onset.eq(to_db_time(onset)),
                report_spikes::onset_count.eq(count),
                report_spikes::baseline.eq(baseline),
                report_spikes::peak_at.eq(to_db_time(onset)),
                report_spikes::peak_count.eq(count),
                report_spikes::incident_id.eq(incident.to_string()),
            ))
            .execute(conn)?;
    }
    let body = format!(
        "User reports spiked: {count} reports in the minute from {}, against a baseline of {baseline:.1} a minute.",
        hhmm(onset)
    );
    upsert_entry(conn, incident, service, onset, "start", onset, None, &body)?;
    outbox::append_event(
        conn,
        outbox::Entity::Incident,
        &incident.to_string(),
        outbox::Operation::Update,
        outbox::Event::Spike,
    )?;
    Ok(incident)
}

fn hhmm(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An incident of `service` that overlaps a spike starting at `onset`.
fn overlapping_incident(
    conn: &mut DbConn,
    service: &str,
    onset: DateTime<Utc>,
) -> Result<Option<IncidentId>, DbError> {
    let id: Option<String> = incidents::table
        .inner_join(incident_services::table)
        .filter(incident_services::service_slug.eq(service))
        // A spike during a maintenance is users noticing an outage, not the maintenance.
        .filter(incidents::kind.eq(crate::domain::IncidentKind::Incident.as_str()))
        .filter(incidents::started_at.le(to_db_time(onset + JOIN_AFTER)))
        .filter(
            incidents::resolved_at
                .is_null()
                .or(incidents::resolved_at.ge(to_db_time(onset))),
        )
        .order(incidents::started_at.asc())
        .select(incidents::id)
        .first(conn)
        .optional()?;
    id.map(|s| super::convert::parse_stored("incidents", &s))
        .transpose()
}

fn open_incident(
    conn: &mut DbConn,
    service: &str,
    service_name: &str,
    onset: DateTime<Utc>,
    detected_at: DateTime<Utc>,
) -> Result<IncidentId, DbError> {
    let id = IncidentId::generate();
    let t = to_db_time(now());
    let row = IncidentRow {
        id: id.to_string(),
        title: format!("{service_name}{}", super::spike_undo::OPENED_TITLE_SUFFIX),
        status: IncidentStatus::Investigating.as_str().into(),
        impact: Impact::Minor.as_str().into(),
        origin: Origin::UserReports.as_str().into(),
        started_at: to_db_time(onset),
        detected_at: Some(to_db_time(detected_at)),
        acknowledged_at: None,
        mitigated_at: None,
        resolved_at: None,
        status_as_of: to_db_time(onset),
        source_id: None,
        external_id: None,
        url: None,
        report_count: 0,
        created_at: t,
        updated_at: t,
        version: super::convert::FIRST_VERSION,
        kind: "incident".into(),
        scheduled_for: None,
        scheduled_until: None,
    };
    diesel::insert_into(incidents::table)
        .values(&row)
        .execute(conn)?;
    diesel::insert_into(incident_services::table)
        .values((
            incident_services::incident_id.eq(&row.id),
            incident_services::service_slug.eq(service),
            incident_services::component.eq(""),
            incident_services::impact.eq(Some(Impact::Minor.as_str())),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Inserts or rewrites one of an episode's entries (`start`, `peak`, `return`, `resolved`).
#[allow(clippy::too_many_arguments)]
fn upsert_entry(
    conn: &mut DbConn,
    incident: IncidentId,
    service: &str,
    onset: DateTime<Utc>,
    which: &str,
    at: DateTime<Utc>,
    status: Option<IncidentStatus>,
    body: &str,
) -> Result<(), DbError> {
    let key = format!("spike:{service}:{}:{which}", onset.timestamp());
    let existing: Option<String> = timeline_entries::table
        .filter(timeline_entries::incident_id.eq(incident.to_string()))
        .filter(timeline_entries::external_id.eq(&key))
        .select(timeline_entries::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => {
            diesel::update(timeline_entries::table.find(id))
                .set((
                    timeline_entries::occurred_at.eq(to_db_time(at)),
                    timeline_entries::body.eq(body),
                ))
                .execute(conn)?;
        }
        None => {
            timeline::insert(
                conn,
                &timeline::NewEntry {
                    incident_id: incident,
                    occurred_at: at,
                    kind: EntryKind::ReportSpike,
                    source: SOURCE.into(),
                    source_id: None,
                    external_id: Some(key),
                    status: status.map(|s| s.as_str().to_string()),
                    impact: None,
                    body: body.to_string(),
                    author: None,
                    url: None,
                    original_time: None,
                    raw_ref: None,
                    changes: Vec::new(),
                },
            )?;
        }
    }
    Ok(())
}

/// Records a new peak of an episode.
pub fn record_peak(
    conn: &mut DbConn,
    spike: &SpikeRow,
    at: DateTime<Utc>,
    count: i64,
    baseline: f64,
) -> Result<(), DbError> {
    diesel::update(report_spikes::table.find(&spike.id))
        .set((
            report_spikes::peak_at.eq(to_db_time(at)),
            report_spikes::peak_count.eq(count),
        ))
        .execute(conn)?;
    if let Some(id) = spike.incident_id.as_deref() {
        let incident: IncidentId = super::convert::parse_stored("report_spikes", id)?;
        versions::lock(conn, id)?;
        let body = format!(
            "Peak of user reports: {count} in the minute from {} (baseline {baseline:.1} a minute).",
            hhmm(at)
        );
        upsert_entry(
            conn,
            incident,
            &spike.service_slug,
            spike.onset(),
            "peak",
            at,
            None,
            &body,
        )?;
        outbox::append_event(
            conn,
            outbox::Entity::Incident,
            id,
            outbox::Operation::Update,
            outbox::Event::Spike,
        )?;
    }
    Ok(())
}

/// Records the return to baseline (`resolved == false`) or the end of the quiet run.
pub fn record_end(
    conn: &mut DbConn,
    spike: &SpikeRow,
    at: DateTime<Utc>,
    resolved: bool,
) -> Result<(), DbError> {
    let column_update = if resolved {
        diesel::update(report_spikes::table.find(&spike.id))
            .set(report_spikes::ended_at.eq(Some(to_db_time(at))))
            .execute(conn)
    } else {
        diesel::update(report_spikes::table.find(&spike.id))
            .set(report_spikes::returned_at.eq(Some(to_db_time(at))))
            .execute(conn)
    };
    column_update?;
    let Some(id) = spike.incident_id.as_deref() else {
        return Ok(());
    };
    let incident: IncidentId = super::convert::parse_stored("report_spikes", id)?;
    let mut row = versions::lock(conn, id)?;
    let own = row.origin == Origin::UserReports.as_str();
    let (which, status, body) = if resolved {
        (
            "resolved",
            IncidentStatus::Resolved,
            "User reports stayed at baseline for 30 minutes.".to_string(),
        )
    } else {
        (
            "return",
            IncidentStatus::Monitoring,
            format!("User reports back at baseline from {}.", hhmm(at)),
        )
    };
    let status = own.then_some(status);
    upsert_entry(
        conn,
        incident,
        &spike.service_slug,
        spike.onset(),
        which,
        at,
        status,
        &body,
    )?;
    if let Some(status) = status {
        let was = row.status.clone();
        let mut state = state_of(&row)?;
        state.apply_update(Some(status), None, at);
        apply_state(&mut row, &state);
        save_row(conn, &mut row, &was)?;
    } else {
        outbox::append_event(
            conn,
            outbox::Entity::Incident,
            id,
            outbox::Operation::Update,
            outbox::Event::Spike,
        )?;
    }
    Ok(())
}

/// Sets an incident's report count (announcing it only when it changed).
pub fn set_report_count(conn: &mut DbConn, id: &IncidentId, count: i64) -> Result<(), DbError> {
    let changed = diesel::update(
        incidents::table
            .filter(incidents::id.eq(id.to_string()))
            .filter(incidents::report_count.ne(count)),
    )
    .set(incidents::report_count.eq(count))
    .execute(conn)?;
    if changed > 0 {
        outbox::append_event(
            conn,
            outbox::Entity::Incident,
            &id.to_string(),
            outbox::Operation::Update,
            outbox::Event::Spike,
        )?;
    }
    Ok(())
}
