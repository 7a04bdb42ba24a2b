//! Links between incidents as the correlator and people write them.
//!
//! Rules:
//! - A link is stored once per direction: `upstream` on the downstream incident, `downstream`
//!   on the upstream one, with the same confidence and reason.
//! - Automatic links (`set_by = auto`) are replaced freely by recomputation; a person's
//!   decision on a pair (confirmed or removed, in `link_decisions`) is never overridden.
//! - Every change announces both incidents in the outbox, in the same transaction.

use std::collections::{BTreeSet, HashMap, HashSet};

use diesel::prelude::*;

use super::convert::{now, to_db_time};
use super::error::DbError;
use super::schema::{incident_links, link_decisions};
use super::{DbConn, outbox};
use crate::domain::{IncidentId, LinkKind, LinkSetBy};

/// An upstream relation: `downstream` was (probably) caused by `upstream`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub downstream: String,
    pub upstream: String,
    pub confidence: f64,
    pub reason: String,
}

/// A pair in a canonical order, whatever the direction.
fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// The pairs among `ids` that a person decided on.
pub fn decided_pairs(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashSet<(String, String)>, DbError> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(400) {
        let rows: Vec<(String, String)> = link_decisions::table
            .filter(
                link_decisions::incident_a
                    .eq_any(chunk)
                    .or(link_decisions::incident_b.eq_any(chunk)),
            )
            .select((link_decisions::incident_a, link_decisions::incident_b))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

type LinkKey = (String, String, String);

/// Automatic upstream/downstream links from any of `ids`: (from, to, kind) → (confidence, reason).
fn auto_links(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<LinkKey, (f64, String)>, DbError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(400) {
        let rows: Vec<(String, String, String, f64, String)> = incident_links::table
            .filter(incident_links::from_incident.eq_any(chunk))
            .filter(incident_links::set_by.eq(LinkSetBy::Auto.as_str()))
            .filter(
                incident_links::kind
                    .eq(LinkKind::Upstream.as_str())
                    .or(incident_links::kind.eq(LinkKind::Downstream.as_str())),
            )
            .select((
                incident_links::from_incident,
                incident_links::to_incident,
                incident_links::kind,
                incident_links::confidence,
                incident_links::reason,
            ))
            .load(conn)?;
        for (from, to, kind, confidence, reason) in rows {
            out.insert((from, to, kind), (confidence, reason));
        }
    }
    Ok(out)
}

/// Makes the automatic links among `scope` exactly `causes`, except for pairs people decided
/// on or already linked by hand. Returns how many link rows changed.
pub fn replace_auto(
    conn: &mut DbConn,
    scope: &[String],
    causes: &[Cause],
) -> Result<usize, DbError> {
    let decided = decided_pairs(conn, scope)?;
    let mut existing = auto_links(conn, scope)?;
    let person: HashSet<(String, String)> = person_pairs(conn, scope)?;
    // In id order: each announcement locks the incident's row (its version), and writers that
    // lock several incidents in one order cannot wait on each other in a circle.
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut changes = 0;
    for c in causes {
        let key = pair(&c.downstream, &c.upstream);
        if decided.contains(&key) || person.contains(&key) {
            continue;
        }
        for (from, to, kind) in [
            (&c.downstream, &c.upstream, LinkKind::Upstream),
            (&c.upstream, &c.downstream, LinkKind::Downstream),
        ] {
            let k = (from.clone(), to.clone(), kind.as_str().to_string());
            match existing.remove(&k) {
                Some((conf, reason))
                    if (conf - c.confidence).abs() < 1e-9 && reason == c.reason => {}
                Some(_) => {
                    diesel::update(link_rows(from, to, kind.as_str()))
                        .set((
                            incident_links::confidence.eq(c.confidence),
                            incident_links::reason.eq(&c.reason),
                        ))
                        .execute(conn)?;
                    touched.extend([from.clone(), to.clone()]);
                    changes += 1;
                }
                None => {
                    insert(
                        conn,
                        from,
                        to,
                        kind,
                        c.confidence,
                        &c.reason,
                        LinkSetBy::Auto,
                    )?;
                    touched.extend([from.clone(), to.clone()]);
                    changes += 1;
                }
            }
        }
    }
    // What is left no longer holds.
    for (from, to, kind) in existing.into_keys() {
        diesel::delete(link_rows(&from, &to, &kind)).execute(conn)?;
        touched.extend([from, to]);
        changes += 1;
    }
    for id in touched {
        outbox::append_event(
            conn,
            outbox::Entity::Incident,
            &id,
            outbox::Operation::Update,
            outbox::Event::Link,
        )?;
    }
    Ok(changes)
}

type LinkRows<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            incident_links::table,
            diesel::dsl::Eq<incident_links::from_incident, &'a str>,
        >,
        diesel::dsl::Eq<incident_links::to_incident, &'a str>,
    >,
    diesel::dsl::Eq<incident_links::kind, &'a str>,
>;

fn link_rows<'a>(from: &'a str, to: &'a str, kind: &'a str) -> LinkRows<'a> {
    incident_links::table
        .filter(incident_links::from_incident.eq(from))
        .filter(incident_links::to_incident.eq(to))
        .filter(incident_links::kind.eq(kind))
}

/// Pairs that have a link a person set.
fn person_pairs(conn: &mut DbConn, ids: &[String]) -> Result<HashSet<(String, String)>, DbError> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(400) {
        let rows: Vec<(String, String)> = incident_links::table
            .filter(incident_links::from_incident.eq_any(chunk))
            .filter(incident_links::set_by.eq(LinkSetBy::Person.as_str()))
            .select((incident_links::from_incident, incident_links::to_incident))
            .load(conn)?;
        out.extend(rows.iter().map(|(a, b)| pair(a, b)));
    }
    Ok(out)
}

fn insert(
    conn: &mut DbConn,
    from: &str,
    to: &str,
    kind: LinkKind,
    confidence: f64,
    reason: &str,
    set_by: LinkSetBy,
) -> Result<(), DbError> {
    diesel::insert_into(incident_links::table)
        .values((
            incident_links::id.eq(uuid::Uuid::now_v7().to_string()),
            incident_links::from_incident.eq(from),
            incident_links::to_incident.eq(to),
            incident_links::kind.eq(kind.as_str()),
            incident_links::confidence.eq(confidence),
            incident_links::reason.eq(reason),
            incident_links::set_by.eq(set_by.as_str()),
            incident_links::created_at.eq(to_db_time(now())),
        ))
        .execute(conn)?;
    Ok(())
}

fn record_decision(
    conn: &mut DbConn,
    a: &str,
    b: &str,
    decision: &str,
    by: &str,
) -> Result<(), DbError> {
    let (a, b) = pair(a, b);
    diesel::delete(
        link_decisions::table
            .filter(link_decisions::incident_a.eq(&a))
            .filter(link_decisions::incident_b.eq(&b)),
    )
    .execute(conn)?;
    diesel::insert_into(link_decisions::table)
        .values((
            link_decisions::incident_a.eq(&a),
            link_decisions::incident_b.eq(&b),
            link_decisions::decision.eq(decision),
            link_decisions::decided_by.eq(by),
            link_decisions::decided_at.eq(to_db_time(now())),
        ))
        .execute(conn)?;
    Ok(())
}

type Direction = diesel::dsl::And<
    diesel::dsl::Eq<incident_links::from_incident, String>,
    diesel::dsl::Eq<incident_links::to_incident, String>,
>;
type Between = diesel::dsl::Filter<incident_links::table, diesel::dsl::Or<Direction, Direction>>;

/// The links between two incidents, in either direction.
fn between(a: &str, b: &str) -> Between {
    incident_links::table.filter(
        incident_links::from_incident
            .eq(a.to_string())
            .and(incident_links::to_incident.eq(b.to_string()))
            .or(incident_links::from_incident
                .eq(b.to_string())
                .and(incident_links::to_incident.eq(a.to_string()))),
    )
}

/// A person confirms the links between two incidents: they become theirs, at full confidence.
/// `NotFound` when the incidents are not linked.
pub fn confirm(conn: &mut DbConn, a: IncidentId, b: IncidentId, by: &str) -> Result<(), DbError> {
    let (a, b) = (a.to_string(), b.to_string());
    let n = diesel::update(between(&a, &b))
        .set((
            incident_links::set_by.eq(LinkSetBy::Person.as_str()),
            incident_links::confidence.eq(1.0),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    record_decision(conn, &a, &b, "confirmed", by)?;
    announce_pair(conn, &a, &b)
}

/// A person removes the links between two incidents; recomputation will not add them back.
/// `NotFound` when the incidents are not linked.
pub fn remove(conn: &mut DbConn, a: IncidentId, b: IncidentId, by: &str) -> Result<(), DbError> {
    let (a, b) = (a.to_string(), b.to_string());
    let n = diesel::delete(between(&a, &b)).execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    record_decision(conn, &a, &b, "removed", by)?;
    announce_pair(conn, &a, &b)
}

/// Announces both incidents of a pair, in id order (see `replace_auto`).
fn announce_pair(conn: &mut DbConn, a: &str, b: &str) -> Result<(), DbError> {
    let (first, second) = pair(a, b);
    for id in [first, second] {
        outbox::append_event(
            conn,
            outbox::Entity::Incident,
            &id,
            outbox::Operation::Update,
            outbox::Event::Link,
        )?;
    }
    Ok(())
}
