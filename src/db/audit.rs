//! The audit log: who created or revoked a token, and who added or removed a source, with the
//! time.
//!
//! Rules:
//! - A row is written in the same transaction as the change it records, so the log can not
//!   miss a change that happened nor show one that did not.
//! - Rows are only ever added; nothing updates or deletes them.
//! - The actor is the acting token's name (`api` and pages) or `cli:USER` (the command line);
//!   the subject names what changed by kind, name and id, never a secret.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::convert::{from_db_time, now, to_db_time};
use super::error::DbError;
use super::schema::audit_log;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    TokenCreated,
    TokenRevoked,
    SourceAdded,
    SourceRemoved,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::TokenCreated => "token created",
            Action::TokenRevoked => "token revoked",
            Action::SourceAdded => "source added",
            Action::SourceRemoved => "source removed",
        }
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
}

/// Adds a line, inside the caller's write transaction.
pub fn record(
    conn: &mut DbConn,
    actor: &str,
    action: Action,
    subject: &str,
) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(uuid::Uuid::now_v7().to_string()),
            audit_log::at.eq(to_db_time(now())),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action.as_str()),
            audit_log::subject.eq(subject),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest `limit` lines, newest first (ids are UUID v7, so they break ties in time order).
pub fn recent(conn: &mut DbConn, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
    let rows: Vec<(String, chrono::NaiveDateTime, String, String, String)> = audit_log::table
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor,
            audit_log::action,
            audit_log::subject,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, at, actor, action, subject)| AuditEntry {
            id,
            at: from_db_time(at),
            actor,
            action,
            subject,
        })
        .collect())
}
