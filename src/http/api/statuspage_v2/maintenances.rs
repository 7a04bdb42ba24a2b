//! Scheduled maintenances in Statuspage's shape: `summary.json`'s `scheduled_maintenances`.
//!
//! Rules:
//! - A maintenance is an incident of kind `maintenance` ([`crate::domain::IncidentKind`]); its
//!   status is the maintenance's own word (`scheduled`, `in_progress`, `verifying`,
//!   `completed`) and its impact `maintenance`, as Statuspage writes them.
//! - Maintenances are no outage: they are never in `incidents` nor in the page's indicator.

use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ComponentV2Json, UpdateV2Json, iso_ms};
use crate::db::incidents::IncidentDetail;
use crate::domain::{IncidentKind, MaintenanceStatus};

#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceV2Json {
    pub id: String,
    pub name: String,
    /// scheduled | in_progress | verifying | completed
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub monitoring_at: Option<String>,
    pub resolved_at: Option<String>,
    /// Always `maintenance`.
    pub impact: String,
    pub shortlink: Option<String>,
    pub started_at: String,
    pub page_id: String,
    /// Newest first.
    pub incident_updates: Vec<UpdateV2Json>,
    pub components: Vec<ComponentV2Json>,
    pub scheduled_for: Option<String>,
    pub scheduled_until: Option<String>,
}

pub fn is_maintenance(d: &IncidentDetail) -> bool {
    d.incident.kind == IncidentKind::Maintenance
}

/// A maintenance, from its incident as `super::incident` writes it.
pub fn maintenance(d: &IncidentDetail, as_incident: super::IncidentV2Json) -> MaintenanceV2Json {
    let i = &d.incident;
    let status = MaintenanceStatus::of(i.status, i.scheduled_for, Utc::now());
    MaintenanceV2Json {
        id: as_incident.id,
        name: as_incident.name,
        status: status.as_str().into(),
        created_at: as_incident.created_at,
        updated_at: as_incident.updated_at,
        monitoring_at: as_incident.monitoring_at,
        resolved_at: as_incident.resolved_at,
        impact: "maintenance".into(),
        shortlink: as_incident.shortlink,
        started_at: as_incident.started_at,
        page_id: as_incident.page_id,
        incident_updates: as_incident.incident_updates,
        components: as_incident.components,
        scheduled_for: i.scheduled_for.map(iso_ms),
        scheduled_until: i.scheduled_until.map(iso_ms),
    }
}
