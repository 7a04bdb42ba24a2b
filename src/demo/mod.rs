//! The sample data behind `serve --demo`: `fixtures/demo/demo.json`, embedded in the binary so
//! the demo works from any directory, and a few days of user reports generated around its
//! region outage (`reports`).
//!
//! Rules:
//! - Loading is idempotent: every incident and update carries a stable key, upserted under the
//!   `manual/demo` source; the reports are stored once; links are recomputed, never duplicated.
//! - What the demo shows is derived by the code live data goes through: the cascade links by
//!   `correlate::links` around what the load changed (as an ingest does), the spikes and their
//!   links by the spike evaluation the report intake runs. Nothing derived is written by hand.
//! - It runs as one evaluator (`db::evaluation_lock`): no spike evaluation interleaves with it.

use serde::Deserialize;

mod reports;

use crate::db::evaluation_lock::{self, Sqlite};
use crate::db::{self, Db, DbConn, DbError};
use crate::domain::observed::{ObservedIncident, ObservedUpdate, UpsertOutcome};
use crate::domain::{
    EntryKind, Impact, IncidentKind, IncidentStatus, Origin, Service, ServiceKind, ServiceSlug,
};

const DEMO_JSON: &str = include_str!("../../fixtures/demo/demo.json");

#[derive(Deserialize)]
struct DemoFile {
    services: Vec<DemoService>,
    incidents: Vec<DemoIncident>,
}

#[derive(Deserialize)]
struct DemoService {
    slug: String,
    name: String,
    provider: Option<String>,
    region: Option<String>,
    kind: String,
    #[serde(default)]
    depends_on: Vec<String>,
    status_page_url: Option<String>,
}

#[derive(Deserialize)]
struct DemoIncident {
    key: String,
    title: String,
    services: Vec<String>,
    #[serde(default)]
    components: Vec<DemoComponent>,
    impact: String,
    origin: String,
    url: Option<String>,
    updates: Vec<DemoUpdate>,
}

#[derive(Deserialize)]
struct DemoComponent {
    service: String,
    component: String,
}

#[derive(Deserialize)]
struct DemoUpdate {
    key: String,
    occurred_at: chrono::DateTime<chrono::Utc>,
    status: String,
    source: String,
    body: String,
}

/// What loading the demo did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// User reports stored by this load (none once they are in).
    pub reports: usize,
}

fn invalid(message: String) -> DbError {
    DbError::Invalid {
        field: "demo",
        message,
    }
}

fn slug(s: &str) -> Result<ServiceSlug, DbError> {
    ServiceSlug::parse("slug", s).map_err(|e| invalid(e.to_string()))
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, DbError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| invalid(e.to_string()))
}

/// Loads the sample data in one transaction.
pub fn load(db: &Db) -> Result<DemoSummary, DbError> {
    let file: DemoFile = serde_json::from_str(DEMO_JSON).map_err(|e| invalid(e.to_string()))?;
    let services = file
        .services
        .iter()
        .map(|s| {
            Ok(Service {
                slug: slug(&s.slug)?,
                name: s.name.clone(),
                provider: s.provider.clone(),
                region: s.region.clone(),
                kind: parse::<ServiceKind>(&s.kind)?,
                depends_on: s
                    .depends_on
                    .iter()
                    .map(|d| slug(d))
                    .collect::<Result<_, _>>()?,
                status_page_url: s.status_page_url.clone(),
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let incidents = file
        .incidents
        .iter()
        .map(to_observed)
        .collect::<Result<Vec<_>, DbError>>()?;
    evaluation_lock::exclusively(db, Sqlite::OneTransaction, |ex| {
        let mut summary = ex.unit(|conn| {
            let changed_since = chrono::Utc::now();
            let summary = upsert_all(conn, &services, &incidents)?;
            // As an ingest does: the links around whatever the load changed.
            crate::correlate::links::recompute_changed_since(conn, changed_since)?;
            Ok(summary)
        })?;
        summary.reports = ex.unit(reports::load)?;
        Ok(summary)
    })
}

fn upsert_all(
    conn: &mut DbConn,
    services: &[Service],
    incidents: &[ObservedIncident],
) -> Result<DemoSummary, DbError> {
    for service in services {
        db::services::put(conn, service)?;
    }
    let source = db::sources::ensure(conn, "manual", "demo", None)?;
    let mut summary = DemoSummary::default();
    for incident in incidents {
        match db::observed::upsert(conn, &source, incident)?.outcome {
            UpsertOutcome::Created => summary.created += 1,
            UpsertOutcome::Updated => summary.updated += 1,
            UpsertOutcome::Unchanged => summary.unchanged += 1,
        }
    }
    Ok(summary)
}

fn to_observed(i: &DemoIncident) -> Result<ObservedIncident, DbError> {
    Ok(ObservedIncident {
        external_id: i.key.clone(),
        title: i.title.clone(),
        services: i
            .services
            .iter()
            .map(|s| slug(s))
            .collect::<Result<_, _>>()?,
        components: i
            .components
            .iter()
            .map(|c| Ok((slug(&c.service)?, c.component.clone())))
            .collect::<Result<_, DbError>>()?,
        impact: Some(parse::<Impact>(&i.impact)?),
        origin: parse::<Origin>(&i.origin)?,
        url: i.url.clone(),
        started_at: None,
        status: None,
        resolved_at: None,
        updated_at: None,
        kind: IncidentKind::Incident,
        scheduled_for: None,
        scheduled_until: None,
        updates: i
            .updates
            .iter()
            .map(|u| {
                let status = parse::<IncidentStatus>(&u.status)?;
                Ok(ObservedUpdate {
                    external_id: format!("{}/{}", i.key, u.key),
                    occurred_at: u.occurred_at,
                    status: Some(status),
                    status_raw: Some(status.as_str().to_string()),
                    impact: None,
                    kind: EntryKind::StatusUpdate,
                    body: u.body.clone(),
                    source: u.source.clone(),
                    url: None,
                    original_time: None,
                    changes: Vec::new(),
                })
            })
            .collect::<Result<_, DbError>>()?,
    })
}
