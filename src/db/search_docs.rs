//! Loads incidents in the shape the search index wants, a page at a time, in a fixed number of
//! queries per page (never one query per incident: a full reindex reads every incident).

use std::collections::HashMap;

use diesel::prelude::*;

use super::DbConn;
use super::convert::{IncidentRow, from_db_time, opt_from_db};
use super::error::DbError;
use super::schema::{
    incident_links, incident_services, incidents, postmortems, reports, services, timeline_entries,
};
use crate::domain::{IncidentId, LinkKind, SearchableIncident};

/// Incidents by id; ids that no longer exist are left out (the caller deletes their documents).
pub fn load(conn: &mut DbConn, ids: &[String]) -> Result<Vec<SearchableIncident>, DbError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(PAGE) {
        let rows: Vec<IncidentRow> = incidents::table
            .filter(incidents::id.eq_any(chunk))
            .select(IncidentRow::as_select())
            .load(conn)?;
        out.extend(assemble(conn, rows)?);
    }
    Ok(out)
}

/// One page of every incident in id order, after `after`; empty at the end.
pub fn page_after(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<SearchableIncident>, DbError> {
    let mut query = incidents::table
        .select(IncidentRow::as_select())
        .order(incidents::id.asc())
        .limit(limit as i64)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(incidents::id.gt(after.to_string()));
    }
    let rows = query.load(conn)?;
    assemble(conn, rows)
}

const PAGE: usize = 1000;

/// (incident, service, component, provider, region)
type AffectedRow = (String, String, String, Option<String>, Option<String>);

fn assemble(conn: &mut DbConn, rows: Vec<IncidentRow>) -> Result<Vec<SearchableIncident>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut parts: HashMap<String, Parts> = HashMap::with_capacity(rows.len());
    for (incident, slug, component, provider, region) in affected(conn, &ids)? {
        let p = parts.entry(incident).or_default();
        p.affects(slug, component, provider, region);
    }
    for (incident, body) in bodies(conn, &ids)? {
        parts.entry(incident).or_default().texts.push(body);
    }
    for (incident, comment) in comments(conn, &ids)? {
        parts.entry(incident).or_default().comment(comment);
    }
    for (incident, upstream) in upstream_links(conn, &ids)? {
        push_unique(&mut parts.entry(incident).or_default().upstream, upstream);
    }
    for (incident, name) in cascade_names(conn, &ids)? {
        push_unique(&mut parts.entry(incident).or_default().cascade_names, name);
    }
    for (incident, markdown) in written_postmortems(conn, &ids)? {
        // Oldest first, so the newest revision is the one left.
        parts.entry(incident).or_default().postmortem = Some(markdown);
    }
    rows.iter()
        .map(|row| searchable(row, parts.remove(&row.id).unwrap_or_default()))
        .collect()
}

/// The services and components the incidents affect, with each service's provider and region.
fn affected(conn: &mut DbConn, ids: &[&str]) -> Result<Vec<AffectedRow>, DbError> {
    Ok(incident_services::table
        .inner_join(services::table)
        .filter(incident_services::incident_id.eq_any(ids))
        .select((
            incident_services::incident_id,
            incident_services::service_slug,
            incident_services::component,
            services::provider,
            services::region,
        ))
        .order((
            incident_services::service_slug.asc(),
            incident_services::component.asc(),
        ))
        .load(conn)?)
}

/// (incident, body) of every timeline entry, in timeline order.
fn bodies(conn: &mut DbConn, ids: &[&str]) -> Result<Vec<(String, String)>, DbError> {
    Ok(timeline_entries::table
        .filter(timeline_entries::incident_id.eq_any(ids))
        .select((timeline_entries::incident_id, timeline_entries::body))
        .order((
            timeline_entries::occurred_at.asc(),
            timeline_entries::id.asc(),
        ))
        .load(conn)?)
}

/// (incident, comment) of the attached reports that have one, oldest first.
fn comments(conn: &mut DbConn, ids: &[&str]) -> Result<Vec<(String, String)>, DbError> {
    let rows: Vec<(Option<String>, String)> = reports::table
        .filter(reports::incident_id.eq_any(ids))
        .filter(reports::comment.is_not_null())
        .order((reports::reported_at.asc(), reports::id.asc()))
        .select((reports::incident_id, reports::comment.assume_not_null()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(incident, comment)| Some((incident?, comment)))
        .collect())
}

/// (incident, upstream incident) of every `upstream` link, whoever set it.
fn upstream_links(conn: &mut DbConn, ids: &[&str]) -> Result<Vec<(String, String)>, DbError> {
    Ok(incident_links::table
        .filter(incident_links::from_incident.eq_any(ids))
        .filter(incident_links::kind.eq(LinkKind::Upstream.as_str()))
        .select((incident_links::from_incident, incident_links::to_incident))
        .order(incident_links::to_incident.asc())
        .load(conn)?)
}

/// (incident, service name) for the services of every incident linked upstream or downstream
/// of one of `ids`.
fn cascade_names(conn: &mut DbConn, ids: &[&str]) -> Result<Vec<(String, String)>, DbError> {
    let links: Vec<(String, String)> = incident_links::table
        .filter(incident_links::from_incident.eq_any(ids))
        .filter(
            incident_links::kind
                .eq(LinkKind::Upstream.as_str())
                .or(incident_links::kind.eq(LinkKind::Downstream.as_str())),
        )
        .select((incident_links::from_incident, incident_links::to_incident))
        .load(conn)?;
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let linked: Vec<&str> = links.iter().map(|(_, to)| to.as_str()).collect();
    let names: Vec<(String, String)> = incident_services::table
        .inner_join(services::table)
        .filter(incident_services::incident_id.eq_any(&linked))
        .select((incident_services::incident_id, services::name))
        .order((incident_services::incident_id.asc(), services::name.asc()))
        .load(conn)?;
    let mut out = Vec::new();
    for (from, to) in &links {
        for (incident, name) in &names {
            if incident == to {
                out.push((from.clone(), name.clone()));
            }
        }
    }
    Ok(out)
}

/// (incident, markdown) of the postmortem revisions people wrote, oldest first. Machine
/// drafts repeat the timeline and the template's headings; only what people wrote is worth
/// finding.
fn written_postmortems(conn: &mut DbConn, ids: &[&str]) -> Result<Vec<(String, String)>, DbError> {
    let rows: Vec<(String, i32, String)> = postmortems::table
        .filter(postmortems::incident_id.eq_any(ids))
        .filter(postmortems::generated.eq(0))
        .select((
            postmortems::incident_id,
            postmortems::revision,
            postmortems::markdown,
        ))
        .order(postmortems::revision.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(incident, _, markdown)| (incident, markdown))
        .collect())
}

/// The document of one incident, from its row and its gathered parts.
fn searchable(row: &IncidentRow, mut p: Parts) -> Result<SearchableIncident, DbError> {
    p.texts.extend(p.postmortem.take());
    Ok(SearchableIncident {
        id: row.id.parse::<IncidentId>().map_err(|e| DbError::Corrupt {
            table: "incidents",
            message: format!("{:?}: {e}", row.id),
        })?,
        title: row.title.clone(),
        status: row.status()?,
        impact: row.impact()?,
        origin: row.origin()?,
        started_at: from_db_time(row.started_at),
        resolved_at: opt_from_db(row.resolved_at),
        updated_at: from_db_time(row.updated_at),
        services: p.services,
        providers: p.providers,
        regions: p.regions,
        components: p.components,
        upstream: p.upstream,
        cascade_names: p.cascade_names,
        texts: p.texts,
    })
}

/// What an incident's document gathers from the other tables.
#[derive(Default)]
struct Parts {
    services: Vec<String>,
    providers: Vec<String>,
    regions: Vec<String>,
    components: Vec<String>,
    upstream: Vec<String>,
    cascade_names: Vec<String>,
    texts: Vec<String>,
    comments: usize,
    postmortem: Option<String>,
}

impl Parts {
    fn affects(
        &mut self,
        slug: String,
        component: String,
        provider: Option<String>,
        region: Option<String>,
    ) {
        push_unique(&mut self.services, slug);
        if !component.is_empty() {
            push_unique(&mut self.components, component);
        }
        if let Some(provider) = provider {
            push_unique(&mut self.providers, provider);
        }
        if let Some(region) = region {
            push_unique(&mut self.regions, region);
        }
    }

    fn comment(&mut self, comment: String) {
        // A big outage gathers thousands of comments; the first ones say what people saw.
        if self.comments < MAX_COMMENTS {
            self.comments += 1;
            self.texts.push(comment);
        }
    }
}

/// Report comments indexed per incident at most.
const MAX_COMMENTS: usize = 1_000;

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}
