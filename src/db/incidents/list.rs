//! Lists of incidents: newest first, filtered, a page at a time behind an opaque cursor.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::to_incidents;
use crate::db::DbConn;
use crate::db::convert::{IncidentRow, to_db_time};
use crate::db::error::DbError;
use crate::db::schema::{incident_services, incidents};
use crate::domain::{Incident, IncidentId, IncidentKind, IncidentStatus};

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub status: Option<IncidentStatus>,
    pub service: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only incidents of this kind; both kinds when `None`.
    pub kind: Option<IncidentKind>,
}

/// A page of a list, and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Position in the (started_at desc, id desc) order, written as opaque hex text.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    started_at: NaiveDateTime,
    id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        hex::encode(format!(
            "{}|{}",
            self.started_at.and_utc().timestamp_micros(),
            self.id
        ))
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let text = String::from_utf8(hex::decode(raw).ok()?).ok()?;
        let (micros, id) = text.split_once('|')?;
        let started_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
        id.parse::<IncidentId>().ok()?;
        Some(Self {
            started_at,
            id: id.to_string(),
        })
    }
}

/// Newest first; `since ≤ started_at < until`.
pub fn list(
    conn: &mut DbConn,
    filter: &IncidentFilter,
    limit: i64,
    cursor: Option<&Cursor>,
) -> Result<Page<Incident>, DbError> {
    let mut query = incidents::table
        .select(IncidentRow::as_select())
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(incidents::status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(incidents::kind.eq(kind.as_str()));
    }
    if let Some(service) = &filter.service {
        let ids = incident_services::table
            .filter(incident_services::service_slug.eq(service.clone()))
            .select(incident_services::incident_id);
        query = query.filter(incidents::id.eq_any(ids));
    }
    if let Some(since) = filter.since {
        query = query.filter(incidents::started_at.ge(to_db_time(since)));
    }
    if let Some(until) = filter.until {
        query = query.filter(incidents::started_at.lt(to_db_time(until)));
    }
    if let Some(c) = cursor {
        // `started_at <= c` says nothing the condition after it does not, but it is the part an
        // index range can answer: without it PostgreSQL walked the (started_at, id) index from
        // the newest row and skipped every row of the pages before, so that listing all
        // incidents a page at a time (the export) read a quadratic number of rows.
        query = query.filter(incidents::started_at.le(c.started_at)).filter(
            incidents::started_at
                .lt(c.started_at)
                .or(incidents::started_at
                    .eq(c.started_at)
                    .and(incidents::id.lt(c.id.clone()))),
        );
    }
    let mut rows: Vec<IncidentRow> = query
        .order((incidents::started_at.desc(), incidents::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            Cursor {
                started_at: r.started_at,
                id: r.id.clone(),
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Page {
        items: to_incidents(conn, rows)?,
        next_cursor,
    })
}
