//! Which reports count, and the per-minute counts they add to, safe under concurrent writers.
//!
//! Rules:
//! - Of the reports that share a (reporter, service, 15-minute window) key, the earliest counts
//!   (by `reported_at`; at the same time, the one stored first). So the counts do not depend on
//!   which writer stored which report first: two backfills of interleaved halves of a file
//!   count what one backfill of the whole file counts.
//! - A writer claims a key by inserting it with `ON CONFLICT DO NOTHING`: on PostgreSQL the
//!   insert waits for another writer's uncommitted claim of the same key and then skips it, so
//!   a race never ends in a unique violation. Keys are inserted and locked in primary-key order,
//!   so two writers never wait for each other in a cycle.
//! - A key already claimed is contested under a lock on its `report_dedup` row (`FOR UPDATE`
//!   on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers): when the new report
//!   is earlier than the one that counts, it counts instead, and the other's minute loses one.
//! - Counts are added with `INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count`
//!   in (service, minute) order; a minute whose count falls to zero loses its row, as if it
//!   had never had one.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::super::DbConn;
use super::super::convert::to_db_time;
use super::super::error::DbError;
use super::super::schema::{report_buckets, report_dedup, reports};
use super::{CHUNK, Stored};
use crate::domain::report::{DEDUP_WINDOW_MINUTES, NewReport, dedup_window, minute_of};

/// (reporter, service, window start): a report counts when it is its key's earliest.
pub(super) type DedupKey = (String, String, NaiveDateTime);

/// A stored report that counted until an earlier one of its key arrived.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Displaced {
    pub id: String,
    pub service: String,
    pub minute: NaiveDateTime,
}

pub(super) fn dedup_keys(batch: &[NewReport]) -> Vec<DedupKey> {
    batch
        .iter()
        .map(|r| {
            (
                r.reporter_hash.clone(),
                r.service.to_string(),
                to_db_time(dedup_window(r.reported_at)),
            )
        })
        .collect()
}

/// For each key of the batch, the index of its earliest report (the first at the same time).
pub(super) fn candidates(batch: &[NewReport], keys: &[DedupKey]) -> BTreeMap<DedupKey, usize> {
    let mut best: BTreeMap<DedupKey, usize> = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        best.entry(key.clone())
            .and_modify(|j| {
                if batch[i].reported_at < batch[*j].reported_at {
                    *j = i;
                }
            })
            .or_insert(i);
    }
    best
}

/// Decides which of the batch's reports count and what the counts change by; `displaced` are
/// the stored reports that stop counting.
pub(super) fn decide(
    conn: &mut DbConn,
    batch: &[NewReport],
    keys: &[DedupKey],
) -> Result<(Stored, Vec<Displaced>), DbError> {
    let candidates = candidates(batch, keys);
    // On SQLite a look first keeps the claim's insert to the keys not stored yet. On
    // PostgreSQL the look cost one round trip per (window, service) of the batch, about fifty
    // for a batch of intake, where the claim alone answers the same question in one statement
    // (`ON CONFLICT DO NOTHING … RETURNING` leaves out the keys already stored).
    let fresh: Vec<&DedupKey> = match conn {
        DbConn::Sqlite(_) => {
            let taken = stored_keys(conn, candidates.keys())?;
            candidates.keys().filter(|k| !taken.contains(*k)).collect()
        }
        DbConn::Postgres(_) => candidates.keys().collect(),
    };
    let won = claim(conn, &fresh)?;
    let contested: Vec<(&DedupKey, usize)> = candidates
        .iter()
        .filter(|(k, _)| !won.contains(*k))
        .map(|(k, i)| (k, *i))
        .collect();
    let displaced = contest(conn, batch, &contested)?;
    let mut stored = Stored {
        counted: vec![false; batch.len()],
        ..Stored::default()
    };
    let mut gone = Vec::new();
    for (key, i) in &candidates {
        let counts = if won.contains(key) {
            true
        } else if let Some(d) = displaced.get(key) {
            *stored
                .buckets
                .entry((d.service.clone(), d.minute))
                .or_default() -= 1;
            gone.push(d.clone());
            true
        } else {
            false
        };
        if counts {
            stored.counted[*i] = true;
            let minute = to_db_time(minute_of(batch[*i].reported_at));
            *stored.buckets.entry((key.1.clone(), minute)).or_default() += 1;
        }
    }
    stored.buckets.retain(|_, n| *n != 0);
    Ok((stored, gone))
}

/// Which of `keys` the store holds already (a cheap first look; `claim` settles races).
fn stored_keys<'a>(
    conn: &mut DbConn,
    keys: impl Iterator<Item = &'a DedupKey>,
) -> Result<HashSet<DedupKey>, DbError> {
    let mut taken: HashSet<DedupKey> = HashSet::new();
    for ((window, service), hashes) in by_window(keys) {
        for chunk in hashes.chunks(CHUNK) {
            let found: Vec<String> = report_dedup::table
                .filter(report_dedup::window_start.eq(window))
                .filter(report_dedup::service_slug.eq(service))
                .filter(report_dedup::reporter_hash.eq_any(chunk))
                .select(report_dedup::reporter_hash)
                .load(conn)?;
            taken.extend(found.into_iter().map(|h| (h, service.to_string(), window)));
        }
    }
    Ok(taken)
}

/// Keys grouped per (window, service), in primary-key order: each group is a range of it.
fn by_window<'a>(
    keys: impl Iterator<Item = &'a DedupKey>,
) -> BTreeMap<(NaiveDateTime, &'a str), Vec<&'a str>> {
    let mut groups: BTreeMap<(NaiveDateTime, &str), Vec<&str>> = BTreeMap::new();
    for (hash, service, window) in keys {
        groups
            .entry((*window, service.as_str()))
            .or_default()
            .push(hash.as_str());
    }
    for hashes in groups.values_mut() {
        hashes.sort_unstable();
        hashes.dedup();
    }
    groups
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = report_dedup)]
struct DedupRow<'a> {
    window_start: NaiveDateTime,
    service_slug: &'a str,
    reporter_hash: &'a str,
}

/// Inserts `keys` unless present; returns the ones this transaction inserted.
fn claim(conn: &mut DbConn, keys: &[&DedupKey]) -> Result<HashSet<DedupKey>, DbError> {
    let mut rows: Vec<DedupRow<'_>> = keys
        .iter()
        .map(|(hash, service, window)| DedupRow {
            window_start: *window,
            service_slug: service,
            reporter_hash: hash,
        })
        .collect();
    // Primary-key order: neighbouring inserts touch the same index pages, and two writers
    // claiming overlapping keys take them in the same order.
    rows.sort_by(|a, b| {
        (a.window_start, a.service_slug, a.reporter_hash).cmp(&(
            b.window_start,
            b.service_slug,
            b.reporter_hash,
        ))
    });
    let mut won = HashSet::new();
    for chunk in rows.chunks(CHUNK) {
        let returning = (
            report_dedup::reporter_hash,
            report_dedup::service_slug,
            report_dedup::window_start,
        );
        let inserted: Vec<(String, String, NaiveDateTime)> = super::super::on_backend!(conn, |c| {
            diesel::insert_into(report_dedup::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .returning(returning)
                .get_results(c)?
        });
        won.extend(inserted);
    }
    Ok(won)
}

/// For each contested key (already claimed), the stored report that counts for it when the
/// batch's candidate is earlier: that one is displaced.
fn contest(
    conn: &mut DbConn,
    batch: &[NewReport],
    contested: &[(&DedupKey, usize)],
) -> Result<HashMap<DedupKey, Displaced>, DbError> {
    let mut out = HashMap::new();
    if contested.is_empty() {
        return Ok(out);
    }
    let groups = by_window(contested.iter().map(|(k, _)| *k));
    let candidate: HashMap<&DedupKey, usize> = contested.iter().copied().collect();
    let span = Duration::minutes(DEDUP_WINDOW_MINUTES);
    for ((window, service), hashes) in groups {
        for chunk in hashes.chunks(CHUNK) {
            lock_keys(conn, window, service, chunk)?;
            let counting: Vec<(String, String, NaiveDateTime)> = reports::table
                .filter(reports::service_slug.eq(service))
                .filter(reports::reported_at.ge(window))
                .filter(reports::reported_at.lt(window + span))
                .filter(reports::reporter_hash.eq_any(chunk))
                .filter(reports::counted.eq(1))
                .select((reports::reporter_hash, reports::id, reports::reported_at))
                .load(conn)?;
            for (hash, id, at) in counting {
                let key = (hash, service.to_string(), window);
                let Some(i) = candidate.get(&key) else {
                    continue;
                };
                if to_db_time(batch[*i].reported_at) < at {
                    let minute = to_db_time(minute_of(at.and_utc()));
                    let service = service.to_string();
                    out.insert(
                        key,
                        Displaced {
                            id,
                            service,
                            minute,
                        },
                    );
                }
            }
        }
    }
    Ok(out)
}

/// Serialises contests of the same keys between PostgreSQL writers (SQLite writers are
/// serialised already).
fn lock_keys(
    conn: &mut DbConn,
    window: NaiveDateTime,
    service: &str,
    hashes: &[&str],
) -> Result<(), DbError> {
    if let DbConn::Postgres(c) = conn {
        report_dedup::table
            .filter(report_dedup::window_start.eq(window))
            .filter(report_dedup::service_slug.eq(service))
            .filter(report_dedup::reporter_hash.eq_any(hashes))
            .order(report_dedup::reporter_hash)
            .select(report_dedup::reporter_hash)
            .for_update()
            .load::<String>(c)?;
    }
    Ok(())
}

/// Marks displaced reports as no longer counted.
pub(super) fn uncount(conn: &mut DbConn, displaced: &[Displaced]) -> Result<(), DbError> {
    let ids: Vec<&str> = displaced.iter().map(|d| d.id.as_str()).collect();
    for chunk in ids.chunks(CHUNK) {
        diesel::update(reports::table.filter(reports::id.eq_any(chunk)))
            .set(reports::counted.eq(0))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds the batch's changes to the per-minute counts, in key order.
pub(super) fn add_to_buckets(
    conn: &mut DbConn,
    changes: &BTreeMap<(String, NaiveDateTime), i64>,
) -> Result<(), DbError> {
    let rows: Vec<_> = changes
        .iter()
        .map(|((service, minute), n)| {
            (
                report_buckets::service_slug.eq(service.as_str()),
                report_buckets::minute.eq(*minute),
                report_buckets::count.eq(*n),
            )
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        super::super::on_backend!(conn, |c| {
            diesel::insert_into(report_buckets::table)
                .values(chunk)
                .on_conflict((report_buckets::service_slug, report_buckets::minute))
                .do_update()
                .set(
                    report_buckets::count
                        .eq(report_buckets::count + excluded(report_buckets::count)),
                )
                .execute(c)?
        });
    }
    for ((service, minute), n) in changes {
        if *n < 0 {
            diesel::delete(
                report_buckets::table
                    .filter(report_buckets::service_slug.eq(service))
                    .filter(report_buckets::minute.eq(*minute))
                    .filter(report_buckets::count.le(0)),
            )
            .execute(conn)?;
        }
    }
    Ok(())
}
