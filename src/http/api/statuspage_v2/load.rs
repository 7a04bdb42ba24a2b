//! Loading what a Statuspage document or the Atom feed shows, in one blocking-pool hop, and the
//! update-status rule both share (see the parent module's rules).

use chrono::{DateTime, Utc};

use crate::db::incidents::{self, IncidentDetail, IncidentFilter};
use crate::db::{DbConn, DbError, components, services};
use crate::domain::{Incident, IncidentKind, IncidentStatus, Service, TimelineEntry};
use crate::http::AppState;
use crate::http::problem::ApiError;
use crate::ingest::vocab;

use super::{OPEN, RECENT, UNRESOLVED_PER_STATUS};

/// Which incidents a document lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The 50 most recent of both kinds (the feeds: history holds planned work too).
    Recent,
    /// The 50 most recent outages (`incidents.json`: Statuspage lists maintenances apart).
    RecentIncidents,
    /// Every unresolved incident and maintenance not completed.
    Unresolved,
    /// The 50 most recent maintenances.
    Maintenances,
    /// Every maintenance not completed.
    OpenMaintenances,
}

impl Which {
    fn kind(self) -> Option<IncidentKind> {
        match self {
            Which::Recent | Which::Unresolved => None,
            Which::RecentIncidents => Some(IncidentKind::Incident),
            Which::Maintenances | Which::OpenMaintenances => Some(IncidentKind::Maintenance),
        }
    }
}

/// One service's components as stored: (name, stored status word), by name.
pub struct ServiceComponents {
    pub slug: String,
    pub name: String,
    pub items: Vec<crate::db::components::Component>,
}

/// Everything one document is built from.
pub struct Loaded {
    pub service: Option<Service>,
    pub incidents: Vec<IncidentDetail>,
    /// Every service in scope that has components.
    pub components: Vec<ServiceComponents>,
    /// Newest `updated_at` among the recent incidents in scope: when the page last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

fn scoped(
    service: Option<&str>,
    status: Option<IncidentStatus>,
    kind: Option<IncidentKind>,
) -> IncidentFilter {
    IncidentFilter {
        status,
        service: service.map(str::to_string),
        kind,
        ..Default::default()
    }
}

/// Every unresolved incident of `kind` in scope, in the list's own order (newest start first,
/// ties by id).
fn open(
    conn: &mut DbConn,
    slug: Option<&str>,
    kind: Option<IncidentKind>,
) -> Result<Vec<Incident>, DbError> {
    let mut open = Vec::new();
    for status in OPEN {
        let f = scoped(slug, Some(status), kind);
        open.extend(incidents::list(conn, &f, UNRESOLVED_PER_STATUS, None)?.items);
    }
    open.sort_by(|a, b| {
        (b.milestones.started, b.id.to_string()).cmp(&(a.milestones.started, a.id.to_string()))
    });
    Ok(open)
}

fn load_in(conn: &mut DbConn, slug: Option<&str>, which: Which) -> Result<Loaded, DbError> {
    let service = slug.map(|s| services::get(conn, s)).transpose()?;
    let recent = incidents::list(conn, &scoped(slug, None, None), RECENT, None)?.items;
    let updated_at = recent.iter().map(|i| i.updated_at).max();
    let chosen = match which {
        Which::Recent => recent,
        Which::RecentIncidents | Which::Maintenances => {
            let f = scoped(slug, None, which.kind());
            incidents::list(conn, &f, RECENT, None)?.items
        }
        Which::Unresolved | Which::OpenMaintenances => open(conn, slug, which.kind())?,
    };
    let details = chosen
        .iter()
        .map(|i| incidents::get(conn, i.id))
        .collect::<Result<Vec<_>, _>>()?;
    let in_scope = match &service {
        Some(s) => vec![s.clone()],
        None => services::list(conn)?,
    };
    let mut comps = Vec::new();
    for s in in_scope {
        let list = components::of_service(conn, s.slug.as_str())?;
        if !list.is_empty() {
            comps.push(ServiceComponents {
                slug: s.slug.to_string(),
                name: s.name,
                items: list,
            });
        }
    }
    Ok(Loaded {
        service,
        incidents: details,
        components: comps,
        updated_at,
    })
}

/// Loads a document's data; an unknown `?service=` is a 404 problem naming it.
pub async fn load(
    state: &AppState,
    service: Option<String>,
    which: Which,
) -> Result<Loaded, ApiError> {
    let wanted = service.clone();
    state
        .db_run(move |conn| load_in(conn, wanted.as_deref(), which))
        .await
        .map_err(|e| match (e, service) {
            (ApiError::NotFound(_), Some(s)) => ApiError::NotFound(format!("no service {s}")),
            (other, _) => other,
        })
}

/// Each timeline entry (oldest first) with its Statuspage status word, per the module rules.
pub fn update_statuses(
    timeline: &[TimelineEntry],
) -> Vec<(&TimelineEntry, Option<IncidentStatus>)> {
    let mut current = None;
    timeline
        .iter()
        .map(|e| {
            if let Some(s) = e.status.as_deref().and_then(vocab::status) {
                current = Some(s);
            }
            (e, current)
        })
        .collect()
}
