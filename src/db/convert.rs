//! Row structs and their conversion to domain types. Times are stored as UTC `NaiveDateTime`,
//! truncated to microseconds so both backends hold exactly the same value.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;

use super::error::DbError;
use super::schema::{incidents, timeline_entries};
use crate::domain::{EntryId, IncidentId, TimelineEntry};
use crate::domain::{Impact, IncidentStatus, Milestones, Origin};

pub fn to_db_time(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc().trunc_subsecs(6)
}

pub fn from_db_time(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub fn opt_from_db(t: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    t.map(from_db_time)
}

pub fn opt_to_db(t: Option<DateTime<Utc>>) -> Option<NaiveDateTime> {
    t.map(to_db_time)
}

/// The current time, at the precision the store keeps.
pub fn now() -> DateTime<Utc> {
    from_db_time(to_db_time(Utc::now()))
}

pub fn parse_stored<T: std::str::FromStr>(table: &'static str, value: &str) -> Result<T, DbError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| DbError::Corrupt {
        table,
        message: format!("{value:?}: {e}"),
    })
}

/// Also the row format of whole-store exports (`db::dump`), so fields stay in table order.
#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = incidents)]
#[serde(deny_unknown_fields)]
#[diesel(treat_none_as_null = true)]
// As for `EntryRow`: no nullable column has a default, and a DEFAULT in the row would give an
// insert a different statement for every pattern of absent values.
#[diesel(treat_none_as_default_value = false)]
pub struct IncidentRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub impact: String,
    pub origin: String,
    pub started_at: NaiveDateTime,
    pub detected_at: Option<NaiveDateTime>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub mitigated_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub status_as_of: NaiveDateTime,
    pub source_id: Option<String>,
    pub external_id: Option<String>,
    pub url: Option<String>,
    pub report_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Grows with every change to what the incident shows; only [`super::outbox::append`]
    /// writes it, so saving a row never puts back the version it was read with. An export
    /// from before versions existed imports at 1.
    #[diesel(skip_update)]
    #[serde(default = "first_version")]
    pub version: i64,
    /// `incident` or `maintenance` (`domain::IncidentKind`); exports from before are incidents.
    #[serde(default = "incident_kind")]
    pub kind: String,
    /// A maintenance's window.
    pub scheduled_for: Option<NaiveDateTime>,
    pub scheduled_until: Option<NaiveDateTime>,
}

fn incident_kind() -> String {
    crate::domain::IncidentKind::Incident.as_str().to_string()
}

/// The version of a new incident (the column's default).
pub const FIRST_VERSION: i64 = 1;

fn first_version() -> i64 {
    FIRST_VERSION
}

impl IncidentRow {
    pub fn milestones(&self) -> Milestones {
        Milestones {
            started: Some(from_db_time(self.started_at)),
            detected: opt_from_db(self.detected_at),
            acknowledged: opt_from_db(self.acknowledged_at),
            mitigated: opt_from_db(self.mitigated_at),
            resolved: opt_from_db(self.resolved_at),
        }
    }

    pub fn set_milestones(&mut self, m: &Milestones) {
        if let Some(started) = m.started {
            self.started_at = to_db_time(started);
        }
        self.detected_at = opt_to_db(m.detected);
        self.acknowledged_at = opt_to_db(m.acknowledged);
        self.mitigated_at = opt_to_db(m.mitigated);
        self.resolved_at = opt_to_db(m.resolved);
    }

    pub fn status(&self) -> Result<IncidentStatus, DbError> {
        parse_stored("incidents", &self.status)
    }

    pub fn impact(&self) -> Result<Impact, DbError> {
        parse_stored("incidents", &self.impact)
    }

    pub fn kind(&self) -> Result<crate::domain::IncidentKind, DbError> {
        parse_stored("incidents", &self.kind)
    }

    pub fn origin(&self) -> Result<Origin, DbError> {
        parse_stored("incidents", &self.origin)
    }

    pub fn incident_id(&self) -> Result<IncidentId, DbError> {
        parse_stored("incidents", &self.id)
    }
}

/// Also the row format of whole-store exports (`db::dump`), so fields stay in table order.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = timeline_entries)]
#[serde(deny_unknown_fields)]
// No column of the table has a default, so NULL is what an omitted value would be anyway; and
// a row holding a DEFAULT makes diesel insert a batch on SQLite one row, one statement at a time.
#[diesel(treat_none_as_default_value = false)]
pub struct EntryRow {
    pub id: String,
    pub incident_id: String,
    pub occurred_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
    pub kind: String,
    pub source: String,
    pub source_id: Option<String>,
    pub external_id: Option<String>,
    pub status: Option<String>,
    pub impact: Option<String>,
    pub body: String,
    pub author: Option<String>,
    pub url: Option<String>,
    pub original_time: Option<String>,
    pub raw_ref: Option<String>,
    pub edited_at: Option<NaiveDateTime>,
    /// Component changes as data (`db::changes`); `None` on older exports and other entries.
    pub changes: Option<String>,
}

impl EntryRow {
    /// The text people read: a component change in words rendered from its data, as the
    /// vocabulary words it now; anything else as stored.
    fn shown_body(&self) -> String {
        let changes = super::changes::from_column(self.changes.as_deref());
        if !changes.is_empty() && self.kind == crate::domain::EntryKind::ComponentChange.as_str() {
            crate::domain::component_change::words(&changes)
        } else {
            self.body.clone()
        }
    }

    pub fn into_domain(self) -> Result<TimelineEntry, DbError> {
        let body = self.shown_body();
        Ok(TimelineEntry {
            id: parse_stored::<EntryId>("timeline_entries", &self.id)?,
            incident_id: parse_stored::<IncidentId>("timeline_entries", &self.incident_id)?,
            occurred_at: from_db_time(self.occurred_at),
            recorded_at: from_db_time(self.recorded_at),
            kind: parse_stored("timeline_entries", &self.kind)?,
            source: self.source,
            status: self.status,
            impact: self.impact,
            body,
            author: self.author,
            url: self.url,
            edited_at: opt_from_db(self.edited_at),
        })
    }
}
