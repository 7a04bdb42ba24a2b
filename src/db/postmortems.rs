//! Postmortem revisions. Every save appends a revision; none is ever changed, so human edits
//! survive any regeneration. Publishing is a revision whose status is `published`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::convert::{from_db_time, now, to_db_time};
use super::schema::postmortems;
use super::{DbConn, DbError, outbox};
use crate::domain::IncidentId;

#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub incident_id: IncidentId,
    pub revision: i32,
    pub markdown: String,
    pub author: String,
    /// `draft` or `published`.
    pub status: String,
    /// Written by the generator rather than a person.
    pub generated: bool,
    pub created_at: DateTime<Utc>,
}

type Row = (
    String,
    i32,
    String,
    String,
    String,
    i32,
    chrono::NaiveDateTime,
);

const COLUMNS: (
    postmortems::incident_id,
    postmortems::revision,
    postmortems::markdown,
    postmortems::author,
    postmortems::status,
    postmortems::generated,
    postmortems::created_at,
) = (
    postmortems::incident_id,
    postmortems::revision,
    postmortems::markdown,
    postmortems::author,
    postmortems::status,
    postmortems::generated,
    postmortems::created_at,
);

fn to_revision(r: Row) -> Result<Revision, DbError> {
    Ok(Revision {
        incident_id: r.0.parse().map_err(|e: uuid::Error| DbError::Corrupt {
            table: "postmortems",
            message: e.to_string(),
        })?,
        revision: r.1,
        markdown: r.2,
        author: r.3,
        status: r.4,
        generated: r.5 != 0,
        created_at: from_db_time(r.6),
    })
}

/// The newest revision, if any.
pub fn latest(conn: &mut DbConn, incident: IncidentId) -> Result<Option<Revision>, DbError> {
    let row: Option<Row> = postmortems::table
        .filter(postmortems::incident_id.eq(incident.to_string()))
        .order(postmortems::revision.desc())
        .select(COLUMNS)
        .first(conn)
        .optional()?;
    row.map(to_revision).transpose()
}

/// The newest revision of each of these incidents that has one, in two queries.
pub fn latest_many(
    conn: &mut DbConn,
    incidents: &[IncidentId],
) -> Result<HashMap<IncidentId, Revision>, DbError> {
    let keys: Vec<String> = incidents.iter().map(ToString::to_string).collect();
    let newest: Vec<(String, Option<i32>)> = postmortems::table
        .filter(postmortems::incident_id.eq_any(&keys))
        .group_by(postmortems::incident_id)
        .select((
            postmortems::incident_id,
            diesel::dsl::max(postmortems::revision),
        ))
        .load(conn)?;
    let newest: HashMap<String, i32> = newest
        .into_iter()
        .filter_map(|(id, revision)| Some((id, revision?)))
        .collect();
    let mut revisions: Vec<i32> = newest.values().copied().collect();
    revisions.sort_unstable();
    revisions.dedup();
    // Rows of the wanted incidents at any of the wanted revision numbers: a superset of the
    // newest ones (an incident's older revision may share a number with another's newest),
    // narrowed below. Portable, unlike a row-value IN.
    let rows: Vec<Row> = postmortems::table
        .filter(postmortems::incident_id.eq_any(newest.keys()))
        .filter(postmortems::revision.eq_any(&revisions))
        .select(COLUMNS)
        .load(conn)?;
    rows.into_iter()
        .filter(|r| newest.get(&r.0) == Some(&r.1))
        .map(|r| to_revision(r).map(|rev| (rev.incident_id, rev)))
        .collect()
}

pub fn get(conn: &mut DbConn, incident: IncidentId, revision: i32) -> Result<Revision, DbError> {
    let row: Row = postmortems::table
        .filter(postmortems::incident_id.eq(incident.to_string()))
        .filter(postmortems::revision.eq(revision))
        .select(COLUMNS)
        .get_result(conn)?;
    to_revision(row)
}

/// Every revision, oldest first.
pub fn list(conn: &mut DbConn, incident: IncidentId) -> Result<Vec<Revision>, DbError> {
    let rows: Vec<Row> = postmortems::table
        .filter(postmortems::incident_id.eq(incident.to_string()))
        .order(postmortems::revision.asc())
        .select(COLUMNS)
        .load(conn)?;
    rows.into_iter().map(to_revision).collect()
}

/// Whether a new revision is published or stays a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Draft,
    Published,
}

impl Visibility {
    /// `Published` when the person asked to publish.
    pub fn published_if(publish: bool) -> Self {
        if publish {
            Self::Published
        } else {
            Self::Draft
        }
    }
}

/// Who wrote a revision: a person (or a provider's own postmortem), or Aftermath's drafter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorship {
    Person,
    Generated,
}

/// Appends a revision (numbered after the newest) and announces the incident to the index,
/// whose document holds the postmortem text.
pub fn append(
    conn: &mut DbConn,
    incident: IncidentId,
    markdown: &str,
    author: &str,
    visibility: Visibility,
    authorship: Authorship,
) -> Result<Revision, DbError> {
    let next = latest(conn, incident)?.map_or(1, |r| r.revision + 1);
    diesel::insert_into(postmortems::table)
        .values((
            postmortems::id.eq(uuid::Uuid::now_v7().to_string()),
            postmortems::incident_id.eq(incident.to_string()),
            postmortems::revision.eq(next),
            postmortems::markdown.eq(markdown),
            postmortems::author.eq(author),
            postmortems::status.eq(match visibility {
                Visibility::Published => "published",
                Visibility::Draft => "draft",
            }),
            postmortems::generated.eq(i32::from(authorship == Authorship::Generated)),
            postmortems::created_at.eq(to_db_time(now())),
        ))
        .execute(conn)
        .map_err(|e| match DbError::from(e) {
            // Two saves raced for the same number: the caller may simply save again.
            DbError::Conflict(_) => {
                DbError::Conflict("someone saved a revision at the same moment".into())
            }
            other => other,
        })?;
    outbox::append_event(
        conn,
        outbox::Entity::Incident,
        &incident.to_string(),
        outbox::Operation::Upsert,
        outbox::Event::of_postmortem(visibility == Visibility::Published),
    )?;
    get(conn, incident, next)
}
