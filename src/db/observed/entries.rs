//! The timeline side of an upsert: which updates are new, edited or already stored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::convert::{EntryRow, from_db_time, now, to_db_time};
use crate::db::error::DbError;
use crate::db::schema::{entry_versions, timeline_entries};
use crate::db::timeline::NewEntry;
use crate::domain::incident::IncidentState;
use crate::domain::observed::ObservedUpdate;
use crate::domain::{EntryKind, IncidentId};

/// What an observation's updates do to the timeline.
#[derive(Default)]
pub(super) struct Posts {
    /// Entries to insert, oldest first.
    pub(super) new: Vec<NewEntry>,
    /// Stored entries whose text was edited upstream (already written).
    pub(super) edited: usize,
    /// Stored component changes whose words or data were rewritten (already written, no edit).
    pub(super) reworded: usize,
}

/// Applies `updates`, oldest first, to the incident's `stored` entries: edits what the source
/// edited, and returns the new posts, whose statuses move `state`.
pub(super) fn apply_updates(
    conn: &mut DbConn,
    source_id: &str,
    incident_id: IncidentId,
    updates: &[&ObservedUpdate],
    stored: &mut [EntryRow],
    state: &mut IncidentState,
) -> Result<Posts, DbError> {
    let same_ids = same_ids(stored, source_id, updates);
    let mut posts = Posts::default();
    for (update, same_id) in updates.iter().zip(same_ids) {
        match same_id {
            Some(i) if reword(conn, &mut stored[i], update)? => posts.reworded += 1,
            Some(i) => posts.edited += usize::from(edit(conn, &mut stored[i], update)?),
            None if stored.iter().any(|e| same_post(e, update)) => {}
            None => {
                posts.new.push(entry_for(incident_id, source_id, update));
                state.apply_update(update.status, None, update.occurred_at);
            }
        }
    }
    Ok(posts)
}

/// For each update, the stored entry this source gave the same id, if any (the first, should
/// there be two). Found through a map of the source's ids: a scan of the entries per update
/// made a long incident's upsert quadratic.
fn same_ids(
    stored: &[EntryRow],
    source_id: &str,
    updates: &[&ObservedUpdate],
) -> Vec<Option<usize>> {
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(stored.len());
    for (i, e) in stored.iter().enumerate() {
        if e.source_id.as_deref() == Some(source_id)
            && let Some(id) = e.external_id.as_deref()
        {
            by_id.entry(id).or_insert(i);
        }
    }
    updates
        .iter()
        .map(|u| by_id.get(u.external_id.as_str()).copied())
        .collect()
}

/// An update stored under its id: the same text changes nothing, nor does an older snapshot
/// still carrying the text from before an edit. Otherwise the source edited the post: the
/// earlier text goes to `entry_versions` and `edited_at` is set. Returns whether it was edited.
fn edit(conn: &mut DbConn, entry: &mut EntryRow, update: &ObservedUpdate) -> Result<bool, DbError> {
    if entry.body == update.body || was_earlier_text(conn, &entry.id, &update.body)? {
        return Ok(false);
    }
    keep_previous_version(conn, entry)?;
    let edited_at = to_db_time(now());
    diesel::update(timeline_entries::table.filter(timeline_entries::id.eq(&entry.id)))
        .set((
            timeline_entries::body.eq(&update.body),
            timeline_entries::edited_at.eq(Some(edited_at)),
        ))
        .execute(conn)?;
    entry.body = update.body.clone();
    entry.edited_at = Some(edited_at);
    Ok(true)
}

/// A component change's words are ours, rendered from its data: when a stored change differs
/// from the source's in words or data, the words changed (or the entry was stored before the data
/// was kept), not the source's text. Rewrites it in place without marking it edited, and says
/// whether it did; any other update is left to [`edit`].
fn reword(
    conn: &mut DbConn,
    entry: &mut EntryRow,
    update: &ObservedUpdate,
) -> Result<bool, DbError> {
    if update.kind != EntryKind::ComponentChange || update.changes.is_empty() {
        return Ok(false);
    }
    let changes = crate::db::changes::to_column(&update.changes);
    if entry.body == update.body && entry.changes == changes {
        return Ok(false);
    }
    diesel::update(timeline_entries::table.filter(timeline_entries::id.eq(&entry.id)))
        .set((
            timeline_entries::body.eq(&update.body),
            timeline_entries::changes.eq(&changes),
        ))
        .execute(conn)?;
    entry.body = update.body.clone();
    entry.changes = changes;
    Ok(true)
}

pub(super) fn stored_entries(
    conn: &mut DbConn,
    incident_id: &str,
) -> Result<Vec<EntryRow>, DbError> {
    Ok(timeline_entries::table
        .filter(timeline_entries::incident_id.eq(incident_id))
        .select(EntryRow::as_select())
        .load(conn)?)
}

fn same_post(e: &EntryRow, u: &ObservedUpdate) -> bool {
    u.is_same_post(from_db_time(e.occurred_at), e.status.as_deref(), &e.body)
}

fn was_earlier_text(conn: &mut DbConn, entry_id: &str, body: &str) -> Result<bool, DbError> {
    let n: i64 = entry_versions::table
        .filter(entry_versions::entry_id.eq(entry_id))
        .filter(entry_versions::body.eq(body))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

fn keep_previous_version(conn: &mut DbConn, entry: &EntryRow) -> Result<(), DbError> {
    diesel::insert_into(entry_versions::table)
        .values((
            entry_versions::id.eq(uuid::Uuid::now_v7().to_string()),
            entry_versions::entry_id.eq(&entry.id),
            entry_versions::body.eq(&entry.body),
            entry_versions::replaced_at.eq(to_db_time(now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Earlier texts of an edited entry, oldest first.
pub fn previous_versions(
    conn: &mut DbConn,
    entry_id: &str,
) -> Result<Vec<(String, DateTime<Utc>)>, DbError> {
    let rows: Vec<(String, chrono::NaiveDateTime)> = entry_versions::table
        .filter(entry_versions::entry_id.eq(entry_id))
        .order(entry_versions::replaced_at.asc())
        .select((entry_versions::body, entry_versions::replaced_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(b, t)| (b, from_db_time(t)))
        .collect())
}

fn entry_for(incident_id: IncidentId, source_id: &str, u: &ObservedUpdate) -> NewEntry {
    NewEntry {
        incident_id,
        occurred_at: u.occurred_at,
        kind: u.kind,
        source: u.source.clone(),
        source_id: Some(source_id.to_string()),
        external_id: Some(u.external_id.clone()),
        status: u
            .status_raw
            .clone()
            .or_else(|| u.status.map(|s| s.as_str().to_string())),
        impact: u.impact.map(|i| i.as_str().to_string()),
        body: u.body.clone(),
        author: None,
        url: u.url.clone(),
        original_time: u.original_time.clone(),
        raw_ref: None,
        changes: u.changes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, source: Option<&str>, external: Option<&str>) -> EntryRow {
        let t = chrono::NaiveDateTime::default();
        EntryRow {
            id: id.to_string(),
            incident_id: "i".to_string(),
            occurred_at: t,
            recorded_at: t,
            kind: EntryKind::StatusUpdate.as_str().to_string(),
            source: "test".to_string(),
            source_id: source.map(str::to_string),
            external_id: external.map(str::to_string),
            status: None,
            impact: None,
            body: String::new(),
            author: None,
            url: None,
            original_time: None,
            raw_ref: None,
            edited_at: None,
            changes: None,
        }
    }

    fn update(external: &str) -> ObservedUpdate {
        ObservedUpdate {
            external_id: external.to_string(),
            occurred_at: DateTime::default(),
            status: None,
            status_raw: None,
            impact: None,
            kind: EntryKind::StatusUpdate,
            body: String::new(),
            source: "test".to_string(),
            url: None,
            original_time: None,
            changes: Vec::new(),
        }
    }

    #[test]
    fn an_update_finds_the_first_entry_of_its_source_under_its_id() {
        let stored = [
            entry("e0", Some("other"), Some("u1")),
            entry("e1", Some("src"), Some("u1")),
            entry("e2", None, Some("u2")),
            entry("e3", Some("src"), Some("u1")),
            entry("e4", Some("src"), None),
            entry("e5", Some("src"), Some("u3")),
        ];
        let updates = [update("u3"), update("u1"), update("u2"), update("u9")];
        let refs: Vec<&ObservedUpdate> = updates.iter().collect();
        assert_eq!(
            same_ids(&stored, "src", &refs),
            vec![Some(5), Some(1), None, None]
        );
    }
}
