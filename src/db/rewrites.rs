//! Rewrites of stored data that need the application's own rules, which SQL migrations cannot
//! state. A migration inserts a row in `data_rewrites`; every process that connects runs the
//! rewrites whose row is not done yet, right after the migrations.
//!
//! Rules:
//! - Work goes incident by incident, a chunk of incidents a transaction, and each incident's
//!   rewrite is idempotent: a rewrite cut short resumes where it stopped, and two processes that
//!   run it at once write the same rows. Progress goes to the log.
//! - Nothing is marked edited: the source said nothing new, only our words for it changed, so
//!   the next poll finds the entries as it would write them and records no edit.
//! - An incident whose rows changed is announced (its version moves and the search index reads
//!   it again).
//!
//! `source_codes_in_words` (migration 000011): AWS posts' status codes and Google Cloud's impact
//! words become words, AWS's `NAME: 0 -> 3` component lines become data and words, and the
//! impact and milestones follow the severity's course ([`crate::domain::codes`]).

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::convert::{EntryRow, from_db_time, now, to_db_time};
use super::incidents::{apply_state, save_row, state_of};
use super::schema::{data_rewrites, timeline_entries};
use super::{Db, DbConn, DbError, changes, versions};
use crate::domain::codes::{self, aws_post_code};
use crate::domain::component_change::{self, ComponentChange};
use crate::domain::incident::IncidentState;
use crate::domain::{ComponentStatus, EntryKind, IncidentStatus};

const CODES_IN_WORDS: &str = "source_codes_in_words";
/// The sources whose entries carry codes: `correlate::convert` labels them so.
const AWS: &str = "AWS Health Dashboard";
const GCP: &str = "Google Cloud status";
const CHUNK: usize = 100;

/// Runs every pending rewrite.
pub fn run(db: &Db) -> Result<(), DbError> {
    if !pending(db, CODES_IN_WORDS)? {
        return Ok(());
    }
    let ids: Vec<String> = db.run(|conn| {
        Ok(timeline_entries::table
            .filter(timeline_entries::source.eq_any([AWS, GCP]))
            .select(timeline_entries::incident_id)
            .distinct()
            .order(timeline_entries::incident_id.asc())
            .load(conn)?)
    })?;
    let (total, mut done, mut changed) = (ids.len(), 0, 0);
    for chunk in ids.chunks(CHUNK) {
        changed += db.write(|conn| {
            let mut n = 0;
            for id in chunk {
                n += usize::from(codes_in_words(conn, id)?);
            }
            Ok(n)
        })?;
        done += chunk.len();
        tracing::info!(
            rewrite = CODES_IN_WORDS,
            done,
            total,
            changed,
            "rewriting stored data"
        );
    }
    db.write(|conn| {
        diesel::update(data_rewrites::table.filter(data_rewrites::name.eq(CODES_IN_WORDS)))
            .set(data_rewrites::done_at.eq(Some(to_db_time(now()))))
            .execute(conn)?;
        Ok(())
    })
}

fn pending(db: &Db, name: &str) -> Result<bool, DbError> {
    db.run(|conn| {
        let n: i64 = data_rewrites::table
            .filter(data_rewrites::name.eq(name))
            .filter(data_rewrites::done_at.is_null())
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    })
}

/// One incident's rewrite; whether anything changed.
fn codes_in_words(conn: &mut DbConn, id: &str) -> Result<bool, DbError> {
    let mut row = versions::lock(conn, id)?;
    let mut entries: Vec<EntryRow> = timeline_entries::table
        .filter(timeline_entries::incident_id.eq(id))
        .order((
            timeline_entries::occurred_at.asc(),
            timeline_entries::id.asc(),
        ))
        .select(EntryRow::as_select())
        .load(conn)?;
    let before = state_of(&row)?;
    let mut state = before;
    let rewritten = reword(&mut entries, &mut state);
    for e in rewritten.iter().map(|&i| &entries[i]) {
        diesel::update(timeline_entries::table.filter(timeline_entries::id.eq(&e.id)))
            .set((
                timeline_entries::status.eq(&e.status),
                timeline_entries::body.eq(&e.body),
                timeline_entries::changes.eq(&e.changes),
            ))
            .execute(conn)?;
    }
    if rewritten.is_empty() && state == before {
        return Ok(false);
    }
    apply_state(&mut row, &state);
    save_row(conn, &mut row, before.status.as_str())?;
    Ok(true)
}

/// Rewrites `entries` (oldest first) in memory and moves `state` as the codes' course says;
/// returns the indices of the entries that changed.
fn reword(entries: &mut [EntryRow], state: &mut IncidentState) -> Vec<usize> {
    let mut changed = Vec::new();
    let mut aws = Course::default();
    for (i, e) in entries.iter_mut().enumerate() {
        let before = (e.status.clone(), e.body.clone(), e.changes.clone());
        match (e.source.as_str(), e.kind.as_str()) {
            (AWS, k) if k == EntryKind::StatusUpdate.as_str() => aws.post(e),
            (AWS, k) if k == EntryKind::ComponentChange.as_str() => aws.change(e),
            (GCP, _) => {
                if let Some(impact) = e.status.as_deref().and_then(codes::gcp_impact) {
                    state.impact = state.impact.max(impact);
                }
                if let Some(word) = e.status.as_deref().and_then(codes::gcp_post_word) {
                    e.status = Some(word.to_string());
                }
            }
            _ => {}
        }
        if (e.status.clone(), e.body.clone(), e.changes.clone()) != before {
            changed.push(i);
        }
    }
    aws.settle(state);
    changed
}

/// What an AWS incident's entries say of the severity's course.
#[derive(Default)]
struct Course {
    posts: Vec<(chrono::DateTime<chrono::Utc>, Option<u8>)>,
    /// Each service's worst code.
    services: BTreeMap<String, u8>,
}

impl Course {
    /// A post: its code (stored as a digit before, as a word since) becomes a word.
    fn post(&mut self, e: &mut EntryRow) {
        let code = e.status.as_deref().and_then(aws_post_code);
        if let Some(word) = e.status.as_deref().and_then(codes::aws_post_word) {
            e.status = Some(word.to_string());
        }
        self.posts.push((from_db_time(e.occurred_at), code));
    }

    /// A change: the code lines stored before become data; the data is read either way.
    fn change(&mut self, e: &mut EntryRow) {
        let mut data = changes::from_column(e.changes.as_deref());
        if data.is_empty()
            && let Some(read) = component_change::from_code_lines(&e.body, codes::aws_service)
        {
            e.body = component_change::words(&read);
            e.changes = changes::to_column(&read);
            data = read;
        }
        for ComponentChange {
            component,
            from,
            to,
        } in data
        {
            for code in [from, to]
                .into_iter()
                .flatten()
                .filter_map(aws_service_code)
            {
                let worst = self.services.entry(component.clone()).or_insert(code);
                *worst = (*worst).max(code);
            }
        }
    }

    /// Impact from the peak, milestones from the course; a person's times are kept.
    fn settle(&self, state: &mut IncidentState) {
        let codes: Vec<Option<u8>> = self.posts.iter().map(|(_, c)| *c).collect();
        let peak = codes
            .iter()
            .flatten()
            .chain(self.services.values())
            .copied()
            .max();
        if let Some(peak) = peak {
            let at_peak = self.services.values().filter(|c| **c == peak).count();
            state.impact = codes::aws_impact(peak, at_peak.max(1));
        }
        let course = codes::aws_course(&codes);
        for ((at, _), step) in self.posts.iter().zip(&course) {
            let m = &mut state.milestones;
            match step {
                Some(IncidentStatus::Identified) => m.acknowledged = m.acknowledged.or(Some(*at)),
                Some(IncidentStatus::Monitoring) => m.mitigated = m.mitigated.or(Some(*at)),
                _ => {}
            }
        }
        let reached = codes::aws_status(false, &course);
        if !state.status.is_closed() && reached > state.status {
            state.status = reached;
        }
    }
}

/// The AWS code of a service status read from one.
fn aws_service_code(status: ComponentStatus) -> Option<u8> {
    (0..=3).find(|c| codes::aws_service(&c.to_string()) == Some(status))
}

#[cfg(test)]
mod tests;
