//! User reports: stored in batches with their dedup keys and per-minute counts.
//!
//! Rules:
//! - A report counts when it is the earliest of its (reporter, service, 15-minute window) key;
//!   a duplicate is stored (for the record) but not counted. The key table's primary key is the
//!   rule; `counting` says how concurrent writers agree on it.
//! - Counted reports add to `report_buckets` (service, minute of event time) in the same
//!   transaction, so counts and reports never disagree.
//! - A batch is written in one transaction; several writers (instances, backfills) may write
//!   batches at once on PostgreSQL without a unique violation.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::convert::{from_db_time, now, to_db_time};
use super::error::DbError;
use super::schema::{report_buckets, reports, services};
use crate::domain::IncidentId;
use crate::domain::report::NewReport;

mod counting;

/// Rows per INSERT statement: well under both backends' bind-parameter limits.
const CHUNK: usize = 400;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reports)]
struct ReportRow<'a> {
    id: String,
    service_slug: &'a str,
    reported_at: NaiveDateTime,
    received_at: NaiveDateTime,
    symptom: Option<&'a str>,
    comment: Option<&'a str>,
    country: Option<&'a str>,
    reporter_hash: &'a str,
    counted: i32,
    via: &'a str,
}

/// What a stored batch changed: per report whether it counted, and the minutes it touched.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    pub counted: Vec<bool>,
    /// (service, minute) → counted reports added (or taken away, where an earlier report of
    /// the same key displaced a stored one).
    pub buckets: BTreeMap<(String, NaiveDateTime), i64>,
}

impl Stored {
    /// The earliest minute each service got new counts in.
    pub fn earliest_by_service(&self) -> BTreeMap<String, DateTime<Utc>> {
        let mut out: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        for (service, minute) in self.buckets.keys() {
            let t = from_db_time(*minute);
            out.entry(service.clone())
                .and_modify(|e| *e = (*e).min(t))
                .or_insert(t);
        }
        out
    }
}

/// Stores reports, deciding which count (see `counting`). Call inside a write transaction.
pub fn insert_batch(conn: &mut DbConn, batch: &[NewReport]) -> Result<Stored, DbError> {
    let keys = counting::dedup_keys(batch);
    let (stored, displaced) = counting::decide(conn, batch, &keys)?;
    counting::uncount(conn, &displaced)?;
    insert_reports(conn, batch, &stored.counted)?;
    counting::add_to_buckets(conn, &stored.buckets)?;
    Ok(stored)
}

fn insert_reports(conn: &mut DbConn, batch: &[NewReport], counted: &[bool]) -> Result<(), DbError> {
    let received = to_db_time(now());
    let rows: Vec<ReportRow<'_>> = batch
        .iter()
        .zip(counted)
        .map(|(r, counted)| ReportRow {
            id: uuid::Uuid::now_v7().to_string(),
            service_slug: r.service.as_str(),
            reported_at: to_db_time(r.reported_at),
            received_at: received,
            symptom: r.symptom.as_deref(),
            comment: r.comment.as_deref(),
            country: r.country.as_deref(),
            reporter_hash: &r.reporter_hash,
            counted: i32::from(*counted),
            via: r.via,
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let insert = diesel::insert_into(reports::table).values(chunk);
        match conn {
            DbConn::Sqlite(c) => insert.execute(c)?,
            DbConn::Postgres(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// The comments of the reports attached to an incident: plain text, oldest first.
pub fn comments_for_incident(
    conn: &mut DbConn,
    incident: &IncidentId,
) -> Result<Vec<String>, DbError> {
    Ok(reports::table
        .filter(reports::incident_id.eq(incident.to_string()))
        .filter(reports::comment.is_not_null())
        .order((reports::reported_at.asc(), reports::id.asc()))
        .select(reports::comment.assume_not_null())
        .load(conn)?)
}

/// A report comment as the incident page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachedComment {
    pub service: String,
    pub reported_at: DateTime<Utc>,
    pub symptom: Option<String>,
    pub country: Option<String>,
    pub comment: String,
}

/// The newest `limit` comments attached to an incident, oldest first.
pub fn attached_comments(
    conn: &mut DbConn,
    incident: &IncidentId,
    limit: i64,
) -> Result<Vec<AttachedComment>, DbError> {
    type Row = (
        String,
        NaiveDateTime,
        Option<String>,
        Option<String>,
        String,
    );
    let mut rows: Vec<Row> = reports::table
        .filter(reports::incident_id.eq(incident.to_string()))
        .filter(reports::comment.is_not_null())
        .order((reports::reported_at.desc(), reports::id.desc()))
        .limit(limit)
        .select((
            reports::service_slug,
            reports::reported_at,
            reports::symptom,
            reports::country,
            reports::comment.assume_not_null(),
        ))
        .load(conn)?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|(service, at, symptom, country, comment)| AttachedComment {
            service,
            reported_at: from_db_time(at),
            symptom,
            country,
            comment,
        })
        .collect())
}

/// Attaches a service's unattached reports in `[from, to)` to an incident; returns how many.
pub fn attach(
    conn: &mut DbConn,
    service: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    incident: &IncidentId,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        reports::table
            .filter(reports::service_slug.eq(service))
            .filter(reports::reported_at.ge(to_db_time(from)))
            .filter(reports::reported_at.lt(to_db_time(to)))
            .filter(reports::incident_id.is_null()),
    )
    .set(reports::incident_id.eq(incident.to_string()))
    .execute(conn)?)
}

/// Counted reports of a service in `[from, to)`.
pub fn count_between(
    conn: &mut DbConn,
    service: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, DbError> {
    // Summed here: SUM(BIGINT) is NUMERIC on PostgreSQL, which diesel reads only with an
    // extra feature; a window holds a bounded number of minutes anyway.
    let counts: Vec<i64> = report_buckets::table
        .filter(report_buckets::service_slug.eq(service))
        .filter(report_buckets::minute.ge(to_db_time(from)))
        .filter(report_buckets::minute.lt(to_db_time(to)))
        .select(report_buckets::count)
        .load(conn)?;
    Ok(counts.iter().sum())
}

/// Non-empty minutes of a service in `[from, to)`, oldest first.
pub fn buckets_between(
    conn: &mut DbConn,
    service: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, i64)>, DbError> {
    let rows: Vec<(NaiveDateTime, i64)> = report_buckets::table
        .filter(report_buckets::service_slug.eq(service))
        .filter(report_buckets::minute.ge(to_db_time(from)))
        .filter(report_buckets::minute.lt(to_db_time(to)))
        .order(report_buckets::minute.asc())
        .select((report_buckets::minute, report_buckets::count))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(m, c)| (from_db_time(m), c))
        .collect())
}

/// The first minute a service has counts for.
pub fn first_minute(conn: &mut DbConn, service: &str) -> Result<Option<DateTime<Utc>>, DbError> {
    let first: Option<NaiveDateTime> = report_buckets::table
        .filter(report_buckets::service_slug.eq(service))
        .select(diesel::dsl::min(report_buckets::minute))
        .first(conn)?;
    Ok(first.map(from_db_time))
}

/// Services with counts at or after `since`: the ones live evaluation must look at.
pub fn services_with_counts_since(
    conn: &mut DbConn,
    since: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    Ok(report_buckets::table
        .filter(report_buckets::minute.ge(to_db_time(since)))
        .select(report_buckets::service_slug)
        .distinct()
        .load(conn)?)
}

/// Whether a service exists: public reports about unknown services are refused.
pub fn service_exists(conn: &mut DbConn, slug: &str) -> Result<bool, DbError> {
    let n: i64 = services::table
        .filter(services::slug.eq(slug))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// How many reports are stored, and how many of them counted.
pub fn totals(conn: &mut DbConn) -> Result<(i64, i64), DbError> {
    let all: i64 = reports::table.count().get_result(conn)?;
    let counted: i64 = reports::table
        .filter(reports::counted.eq(1))
        .count()
        .get_result(conn)?;
    Ok((all, counted))
}

#[cfg(test)]
mod tests;
