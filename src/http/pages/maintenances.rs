//! Planned maintenances on the start page and on service pages: the ones under way and the
//! upcoming ones, apart from outages.
//!
//! Rules:
//! - A maintenance is shown while it is not completed, with its own status word
//!   ([`MaintenanceStatus::of`], read now) and its window; under way (`in_progress`,
//!   `verifying`) first, then upcoming (`scheduled`), each soonest window first.
//! - Outage lists (what is down, recent outages) leave maintenances out; see the handlers.

use chrono::Utc;

use super::view::{iso, utc};
use crate::db::incidents::{self, IncidentFilter};
use crate::db::{DbConn, DbError};
use crate::domain::{Incident, IncidentKind, IncidentStatus, MaintenanceStatus};

/// One maintenance as the pages print it.
pub struct MaintenanceItem {
    pub id: String,
    pub title: String,
    /// `scheduled`, `in_progress` or `verifying`.
    pub status: &'static str,
    /// The status in words (`in progress`).
    pub label: String,
    pub services: Vec<String>,
    /// The window in UTC, empty when the source gave none.
    pub window_from: String,
    pub window_from_iso: String,
    pub window_until: String,
    pub window_until_iso: String,
}

/// The maintenances to show: under way, and upcoming.
#[derive(Default)]
pub struct Planned {
    pub active: Vec<MaintenanceItem>,
    pub upcoming: Vec<MaintenanceItem>,
}

impl Planned {
    /// Under way first, then upcoming.
    pub fn shown(&self) -> Vec<&MaintenanceItem> {
        self.active.iter().chain(&self.upcoming).collect()
    }
}

fn item(i: &Incident, status: MaintenanceStatus) -> MaintenanceItem {
    let (from, until) = (i.scheduled_for, i.scheduled_until);
    MaintenanceItem {
        id: i.id.to_string(),
        title: i.title.clone(),
        status: status.as_str(),
        label: status.as_str().replace('_', " "),
        services: i.services.clone(),
        window_from: from.map(utc).unwrap_or_default(),
        window_from_iso: from.map(iso).unwrap_or_default(),
        window_until: until.map(utc).unwrap_or_default(),
        window_until_iso: until.map(iso).unwrap_or_default(),
    }
}

/// The maintenances not completed, of one service or of all.
pub fn planned(conn: &mut DbConn, service: Option<&str>) -> Result<Planned, DbError> {
    let mut open = Vec::new();
    for status in [
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
    ] {
        let filter = IncidentFilter {
            status: Some(status),
            service: service.map(str::to_string),
            kind: Some(IncidentKind::Maintenance),
            ..Default::default()
        };
        open.extend(incidents::list(conn, &filter, 50, None)?.items);
    }
    open.sort_by_key(|i| (i.scheduled_for.or(i.milestones.started), i.id.to_string()));
    let now = Utc::now();
    let mut planned = Planned::default();
    for i in &open {
        match MaintenanceStatus::of(i.status, i.scheduled_for, now) {
            MaintenanceStatus::Scheduled => {
                planned.upcoming.push(item(i, MaintenanceStatus::Scheduled))
            }
            MaintenanceStatus::Completed => {}
            under_way => planned.active.push(item(i, under_way)),
        }
    }
    Ok(planned)
}
