//! Parser observations → domain observations.

use crate::domain::link::web_link;
use crate::domain::observed::{ObservedIncident, ObservedUpdate};
use crate::domain::{IncidentKind, Origin, ServiceSlug};
use crate::ingest::{Format, IncidentObservation, ParsedDocument};

/// The service a whole document is about, from the page that published it.
pub fn page_service(doc: &ParsedDocument) -> Option<ServiceSlug> {
    doc.page
        .as_ref()
        .and_then(|p| ServiceSlug::slugify(&p.name))
}

/// The key an incident is stored under: the id in a Statuspage `/incidents/<id>` link when there
/// is one (so JSON and Atom of one page agree), the source's own id otherwise.
pub fn canonical_key(obs: &IncidentObservation) -> String {
    let from_url = obs.url.as_deref().and_then(|u| {
        let path = u.split(['?', '#']).next()?.trim_end_matches('/');
        let (_, id) = path.rsplit_once("/incidents/")?;
        (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric())).then(|| id.to_string())
    });
    from_url.unwrap_or_else(|| obs.external_id.clone())
}

fn source_label(format: Format, slug: &ServiceSlug) -> String {
    match format {
        Format::Statuspage | Format::Atom | Format::Rss => format!("{slug} status page"),
        Format::AwsHealth | Format::AwsDatajson => "AWS Health Dashboard".into(),
        Format::Gcp => "Google Cloud status".into(),
        Format::Slack => "Slack status".into(),
        Format::Instatus | Format::Betterstack | Format::Checkly => format!("{slug} status page"),
    }
}

pub fn to_observed(
    obs: &IncidentObservation,
    slug: &ServiceSlug,
    format: Format,
) -> ObservedIncident {
    let source = source_label(format, slug);
    // Only http(s) links are kept; the raw observation keeps whatever the source said.
    let url = obs.url.as_deref().and_then(web_link);
    let mut observed = ObservedIncident {
        external_id: canonical_key(obs),
        title: obs.title.clone(),
        services: vec![slug.clone()],
        components: obs
            .components
            .iter()
            .map(|c| (slug.clone(), c.clone()))
            .collect(),
        impact: obs.impact,
        origin: Origin::StatusPage,
        url: url.clone(),
        started_at: obs.started_at,
        status: obs.status,
        resolved_at: obs.resolved_at,
        updated_at: obs.updated_at,
        kind: if obs.is_maintenance {
            IncidentKind::Maintenance
        } else {
            IncidentKind::Incident
        },
        scheduled_for: obs.scheduled_for,
        scheduled_until: obs.scheduled_until,
        updates: obs
            .updates
            .iter()
            .map(|u| ObservedUpdate {
                external_id: u.external_id.clone(),
                occurred_at: u.occurred_at,
                status: u.status,
                status_raw: u.status_raw.clone(),
                impact: None,
                kind: u.kind,
                body: u.body.clone(),
                source: source.clone(),
                url: url.clone(),
                original_time: Some(u.original_time.clone()),
                changes: u.changes.clone(),
            })
            .collect(),
    };
    // Some pages list an incident without its posts (summaries of Instatus, Checkly): record the
    // listing itself, so no incident has an empty timeline.
    if observed.updates.is_empty() {
        // The listing tells the status as of its last change, not as of the start.
        let at = obs.updated_at.or(obs.started_at);
        if let Some(at) = at {
            observed.updates.push(ObservedUpdate {
                external_id: format!("{}#listed", observed.external_id),
                occurred_at: at,
                status: obs.status,
                status_raw: Some(obs.status_raw.clone()),
                impact: None,
                kind: crate::domain::EntryKind::StatusUpdate,
                body: format!("{} ({})", obs.title, obs.status_raw),
                source,
                url,
                original_time: None,
                changes: Vec::new(),
            });
        }
    }
    observed
}
