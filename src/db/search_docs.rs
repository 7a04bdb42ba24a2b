//! Loads incidents in the shape the search index wants, a page at a time, in a fixed number of
//! queries per page (never one query per incident: a full reindex reads every incident).

use std::collections::HashMap;

use diesel::prelude::*;

use super::DbConn;
use super::convert::{IncidentRow, from_db_time, opt_from_db};
use super::error::DbError;
use super::schema::{
    incident_services, incidents, postmortems, reports, services, timeline_entries,
};
use crate::domain::{IncidentId, SearchableIncident};

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
    let affected: Vec<AffectedRow> = incident_services::table
        .inner_join(services::table)
        .filter(incident_services::incident_id.eq_any(&ids))
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
        .load(conn)?;
    let bodies: Vec<(String, String)> = timeline_entries::table
        .filter(timeline_entries::incident_id.eq_any(&ids))
        .select((timeline_entries::incident_id, timeline_entries::body))
        .order((
            timeline_entries::occurred_at.asc(),
            timeline_entries::id.asc(),
        ))
        .load(conn)?;
    let comments: Vec<(Option<String>, String)> = reports::table
        .filter(reports::incident_id.eq_any(&ids))
        .filter(reports::comment.is_not_null())
        .order((reports::reported_at.asc(), reports::id.asc()))
        .select((reports::incident_id, reports::comment.assume_not_null()))
        .load(conn)?;
    // Machine drafts repeat the timeline and the template's headings; only what people wrote
    // is worth finding.
    let written: Vec<(String, i32, String)> = postmortems::table
        .filter(postmortems::incident_id.eq_any(&ids))
        .filter(postmortems::generated.eq(0))
        .select((
            postmortems::incident_id,
            postmortems::revision,
            postmortems::markdown,
        ))
        .order(postmortems::revision.asc())
        .load(conn)?;

    let mut parts: HashMap<String, Parts> = HashMap::with_capacity(rows.len());
    for (incident, slug, component, provider, region) in affected {
        let p = parts.entry(incident).or_default();
        push_unique(&mut p.services, slug);
        if !component.is_empty() {
            push_unique(&mut p.components, component);
        }
        if let Some(provider) = provider {
            push_unique(&mut p.providers, provider);
        }
        if let Some(region) = region {
            push_unique(&mut p.regions, region);
        }
    }
    for (incident, body) in bodies {
        parts.entry(incident).or_default().texts.push(body);
    }
    for (incident, comment) in comments {
        if let Some(incident) = incident {
            let p = parts.entry(incident).or_default();
            // A big outage gathers thousands of comments; the first ones say what people saw.
            if p.comments < MAX_COMMENTS {
                p.comments += 1;
                p.texts.push(comment);
            }
        }
    }
    for (incident, _, markdown) in written {
        // Oldest first, so the newest revision is the one left.
        parts.entry(incident).or_default().postmortem = Some(markdown);
    }

    rows.iter()
        .map(|row| {
            let mut p = parts.remove(&row.id).unwrap_or_default();
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
                texts: p.texts,
            })
        })
        .collect()
}

#[derive(Default)]
struct Parts {
    services: Vec<String>,
    providers: Vec<String>,
    regions: Vec<String>,
    components: Vec<String>,
    texts: Vec<String>,
    comments: usize,
    postmortem: Option<String>,
}

/// Report comments indexed per incident at most.
const MAX_COMMENTS: usize = 1_000;

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}
