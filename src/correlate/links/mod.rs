//! Cascade links: which incident was caused by which, from the service catalog and timing.
//!
//! Rules:
//! - Declared: an incident of service A overlaps in time an incident of a service A depends on
//!   (B), and did not start more than 30 minutes before it → A `upstream` B (and B
//!   `downstream` A). Confidence 0.9 when A started within 2 hours after B, 0.7 otherwise.
//! - Suggested: with no declared dependency, when three or more incidents of applications (of
//!   distinct services) start within 30 minutes after an incident of an infrastructure service
//!   starts, each gets a suggested upstream link to it, confidence 0.4.
//! - An incident starts at its `started_at` or at the onset of its first report spike,
//!   whichever is earlier.
//! - Links are recomputed over a bounded time window whenever incidents change, so late data
//!   updates them; people's decisions are kept (see `db::links`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::links::{self, Cause};
use crate::db::schema::{incident_services, incidents, report_spikes};
use crate::db::{self, DbConn, DbError};
use crate::domain::milestones::humanize;
use crate::domain::{Service, ServiceKind};

const DECLARED_HIGH: f64 = 0.9;
const DECLARED_LOW: f64 = 0.7;
const SUGGESTED: f64 = 0.4;
const MIN_APPS: usize = 3;

/// An incident as link computation sees it.
#[derive(Debug, Clone)]
pub struct Span {
    pub id: String,
    pub services: Vec<String>,
    pub start: DateTime<Utc>,
    /// None while it is still open.
    pub end: Option<DateTime<Utc>>,
}

fn overlaps(a: &Span, b: &Span) -> bool {
    let before_end = |t: DateTime<Utc>, s: &Span| s.end.is_none_or(|e| t <= e);
    before_end(a.start, b) && before_end(b.start, a)
}

/// "9 min", or "2h 05m" from an hour on.
fn minutes(d: Duration) -> String {
    if d < Duration::hours(1) {
        format!("{} min", d.num_minutes())
    } else {
        humanize(d)
    }
}

fn lag_words(lag: Duration) -> String {
    if lag >= Duration::zero() {
        format!("started {} after", minutes(lag))
    } else {
        format!("started {} before", minutes(-lag))
    }
}

/// The links the catalog and the timing imply among `spans`: the declared ones, then the
/// suggested ones where no declared link joins the same two incidents.
pub fn causes(spans: &[Span], catalog: &HashMap<String, Service>) -> Vec<Cause> {
    let catalog = Catalog(catalog);
    let (mut out, linked) = declared(spans, &catalog);
    out.extend(suggested(spans, &catalog, &linked));
    out
}

/// The catalog as the rules read it: a service it does not know is an application named by
/// its slug, with no dependencies.
struct Catalog<'a>(&'a HashMap<String, Service>);

impl Catalog<'_> {
    fn name(&self, slug: &str) -> String {
        self.0
            .get(slug)
            .map_or(slug.to_string(), |s| s.name.clone())
    }

    fn kind(&self, slug: &str) -> ServiceKind {
        self.0
            .get(slug)
            .map_or(ServiceKind::Application, |s| s.kind)
    }

    fn depends(&self, a: &str, b: &str) -> bool {
        self.0
            .get(a)
            .is_some_and(|s| s.depends_on.iter().any(|d| d.as_str() == b))
    }
}

/// The declared links, and the (downstream, upstream) pairs of indexes they join.
fn declared(spans: &[Span], catalog: &Catalog<'_>) -> (Vec<Cause>, HashSet<(usize, usize)>) {
    let mut out = Vec::new();
    let mut linked = HashSet::new();
    for (i, down) in spans.iter().enumerate() {
        for (j, up) in spans.iter().enumerate() {
            if i == j || !overlaps(down, up) || down.start < up.start - Duration::minutes(30) {
                continue;
            }
            if let Some(cause) = declared_link(down, up, catalog) {
                linked.insert((i, j));
                out.push(cause);
            }
        }
    }
    (out, linked)
}

/// The link from `down` to `up` when a service of `down` depends on one of `up`.
fn declared_link(down: &Span, up: &Span, catalog: &Catalog<'_>) -> Option<Cause> {
    let (a, b) = down.services.iter().find_map(|a| {
        up.services
            .iter()
            .find(|b| a != *b && catalog.depends(a, b))
            .map(|b| (a, b))
    })?;
    let lag = down.start - up.start;
    let confidence = if lag >= Duration::zero() && lag <= Duration::hours(2) {
        DECLARED_HIGH
    } else {
        DECLARED_LOW
    };
    Some(Cause {
        downstream: down.id.clone(),
        upstream: up.id.clone(),
        confidence,
        reason: format!(
            "{} {}; {} depends on it",
            lag_words(lag),
            catalog.name(b),
            catalog.name(a)
        ),
    })
}

/// The suggested links: to each incident of an infrastructure service from the incidents of
/// applications that followed it, when they are of [`MIN_APPS`] distinct services or more.
fn suggested(
    spans: &[Span],
    catalog: &Catalog<'_>,
    linked: &HashSet<(usize, usize)>,
) -> Vec<Cause> {
    let mut out = Vec::new();
    for (j, up) in spans.iter().enumerate() {
        let Some(infra) = up
            .services
            .iter()
            .find(|s| catalog.kind(s) == ServiceKind::Infrastructure)
        else {
            continue;
        };
        let followers = followers(spans, j, catalog);
        let distinct: HashSet<&String> = followers
            .iter()
            .flat_map(|i| spans[*i].services.iter())
            .collect();
        if distinct.len() < MIN_APPS {
            continue;
        }
        for i in followers {
            if linked.contains(&(i, j)) {
                continue;
            }
            let down = &spans[i];
            out.push(Cause {
                downstream: down.id.clone(),
                upstream: up.id.clone(),
                confidence: SUGGESTED,
                reason: format!(
                    "{} {}, as did {} other applications within 30 min; no dependency declared",
                    lag_words(down.start - up.start),
                    catalog.name(infra),
                    distinct.len() - 1
                ),
            });
        }
    }
    out
}

/// The incidents of applications only that started within 30 minutes after `spans[j]`.
fn followers(spans: &[Span], j: usize, catalog: &Catalog<'_>) -> Vec<usize> {
    let up = &spans[j];
    spans
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            *i != j
                && !a.services.is_empty()
                && a.services
                    .iter()
                    .all(|s| catalog.kind(s) == ServiceKind::Application)
                && a.start >= up.start
                && a.start - up.start <= Duration::minutes(30)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Recomputes the automatic links of incidents that started within a day of `[from, to]`.
pub fn recompute_between(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<usize, DbError> {
    let catalog = catalog(conn)?;
    recompute_window(conn, from, to, &catalog)
}

fn catalog(conn: &mut DbConn) -> Result<HashMap<String, Service>, DbError> {
    Ok(db::services::list(conn)?
        .into_iter()
        .map(|s| (s.slug.to_string(), s))
        .collect())
}

fn recompute_window(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    catalog: &HashMap<String, Service>,
) -> Result<usize, DbError> {
    let lo = (from - Duration::days(1)).naive_utc();
    let hi = (to + Duration::days(1)).naive_utc();
    let rows: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> = incidents::table
        // Maintenances cascade nothing and are caused by nothing upstream.
        .filter(incidents::kind.eq(crate::domain::IncidentKind::Incident.as_str()))
        .filter(incidents::started_at.ge(lo))
        .filter(incidents::started_at.le(hi))
        .select((incidents::id, incidents::started_at, incidents::resolved_at))
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut services: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(400) {
        let pairs: Vec<(String, String)> = incident_services::table
            .filter(incident_services::incident_id.eq_any(chunk))
            .select((
                incident_services::incident_id,
                incident_services::service_slug,
            ))
            .distinct()
            .load(conn)?;
        for (id, slug) in pairs {
            services.entry(id).or_default().push(slug);
        }
    }
    // Users often notice before the provider posts: a spike's onset is evidence of the start.
    let mut first_onset: HashMap<String, NaiveDateTime> = HashMap::new();
    for chunk in ids.chunks(400) {
        let onsets: Vec<(Option<String>, NaiveDateTime)> = report_spikes::table
            .filter(report_spikes::incident_id.eq_any(chunk))
            .select((report_spikes::incident_id, report_spikes::onset))
            .load(conn)?;
        for (id, onset) in onsets {
            if let Some(id) = id {
                let e = first_onset.entry(id).or_insert(onset);
                *e = (*e).min(onset);
            }
        }
    }
    let spans: Vec<Span> = rows
        .into_iter()
        .map(|(id, start, end)| Span {
            services: services.remove(&id).unwrap_or_default(),
            start: first_onset
                .get(&id)
                .map_or(start, |o| start.min(*o))
                .and_utc(),
            id,
            end: end.map(|e| e.and_utc()),
        })
        .collect();
    let found = causes(&spans, catalog);
    links::replace_auto(conn, &ids, &found)
}

/// Recomputes links around one incident's time span (after a person edits it).
pub fn recompute_for(conn: &mut DbConn, id: crate::domain::IncidentId) -> Result<usize, DbError> {
    let row: (NaiveDateTime, Option<NaiveDateTime>) = incidents::table
        .filter(incidents::id.eq(id.to_string()))
        .select((incidents::started_at, incidents::resolved_at))
        .get_result(conn)?;
    let start = row.0.and_utc();
    let end = row.1.map_or_else(Utc::now, |e| e.and_utc());
    recompute_between(conn, start, end.max(start))
}

/// Recomputes links around the incidents of some services (after their catalog entries
/// changed: dependencies and kinds decide links).
pub fn recompute_for_services(conn: &mut DbConn, slugs: &[String]) -> Result<usize, DbError> {
    let rows: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = incidents::table
        .inner_join(incident_services::table)
        .filter(incident_services::service_slug.eq_any(slugs))
        .select((incidents::started_at, incidents::resolved_at))
        .load(conn)?;
    let catalog = catalog(conn)?;
    recompute_windows(conn, rows, &catalog)
}

/// Recomputes links around every incident changed at or after `since` (after an ingest).
/// With no infrastructure service and no declared dependency in the catalog there is nothing
/// to link (and a catalog change already cleared what was linked before), so it stops there.
pub fn recompute_changed_since(conn: &mut DbConn, since: DateTime<Utc>) -> Result<usize, DbError> {
    // Asked first so that a store without cascades never reads its catalog on each ingest.
    if !db::services::any_linkable(conn)? {
        return Ok(0);
    }
    let catalog = catalog(conn)?;
    let linkable = catalog
        .values()
        .any(|s| s.kind == ServiceKind::Infrastructure || !s.depends_on.is_empty());
    if !linkable {
        return Ok(0);
    }
    let rows: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = incidents::table
        .filter(incidents::updated_at.ge(since.naive_utc()))
        .select((incidents::started_at, incidents::resolved_at))
        .load(conn)?;
    recompute_windows(conn, rows, &catalog)
}

/// Recomputes around each group of nearby incidents rather than across the whole span from the
/// first to the last: a document's incidents can be years apart, and one window from the
/// first to the last held the write lock over the whole store (other writers timed out).
fn recompute_windows(
    conn: &mut DbConn,
    rows: Vec<(NaiveDateTime, Option<NaiveDateTime>)>,
    catalog: &HashMap<String, Service>,
) -> Result<usize, DbError> {
    let mut n = 0;
    for (from, to) in merged_windows(rows) {
        n += recompute_window(conn, from.and_utc(), to.and_utc(), catalog)?;
    }
    Ok(n)
}

/// Incident spans merged where their one-day margins meet, in time order.
fn merged_windows(
    rows: Vec<(NaiveDateTime, Option<NaiveDateTime>)>,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut spans: Vec<(NaiveDateTime, NaiveDateTime)> = rows
        .into_iter()
        .map(|(start, end)| (start, end.unwrap_or(start).max(start)))
        .collect();
    spans.sort();
    let mut merged: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::new();
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 + Duration::days(2) => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

#[cfg(test)]
mod tests;
