//! The JSON shapes of the public contract (DESIGN.md). Times are RFC 3339 UTC or null.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::db::incidents::IncidentDetail;
use crate::domain::link::web_link;
use crate::domain::{
    Incident, IncidentKind, IncidentLink, MaintenanceStatus, Service, TimelineEntry,
};

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn opt_rfc3339(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(rfc3339)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DurationsJson {
    pub to_detect_seconds: Option<i64>,
    pub to_acknowledge_seconds: Option<i64>,
    pub to_mitigate_seconds: Option<i64>,
    pub to_resolve_seconds: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryJson {
    pub id: String,
    pub occurred_at: String,
    pub kind: String,
    pub source: String,
    pub status: Option<String>,
    pub impact: Option<String>,
    pub body: String,
    pub author: Option<String>,
    pub url: Option<String>,
    /// Set when the source edited the post after publishing it.
    pub edited_at: Option<String>,
}

impl From<&TimelineEntry> for TimelineEntryJson {
    fn from(e: &TimelineEntry) -> Self {
        Self {
            id: e.id.to_string(),
            occurred_at: rfc3339(e.occurred_at),
            kind: e.kind.as_str().into(),
            source: e.source.clone(),
            status: e.status.clone(),
            impact: e.impact.clone(),
            body: e.body.clone(),
            author: e.author.clone(),
            url: e.url.as_deref().and_then(web_link),
            edited_at: opt_rfc3339(e.edited_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkJson {
    pub incident_id: String,
    pub title: String,
    pub kind: String,
    pub confidence: f64,
    pub reason: String,
    pub set_by: String,
}

impl From<&IncidentLink> for LinkJson {
    fn from(l: &IncidentLink) -> Self {
        Self {
            incident_id: l.incident_id.to_string(),
            title: l.title.clone(),
            kind: l.kind.as_str().into(),
            confidence: l.confidence,
            reason: l.reason.clone(),
            set_by: l.set_by.as_str().into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentJson {
    pub service: String,
    pub component: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentJson {
    pub id: String,
    pub title: String,
    pub status: String,
    pub impact: String,
    pub origin: String,
    pub services: Vec<String>,
    pub started_at: Option<String>,
    pub detected_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub mitigated_at: Option<String>,
    pub resolved_at: Option<String>,
    pub durations: DurationsJson,
    pub report_count: i64,
    pub url: Option<String>,
    pub updated_at: String,
    /// Grows with every change to what this incident shows; compare it for equality only. A
    /// single incident also sends it as its `ETag` (`"v7"`).
    pub version: i64,
    /// `incident`, or `maintenance` for work the provider scheduled.
    pub kind: String,
    /// A maintenance's window and its own status (`scheduled`, `in_progress`, `verifying`,
    /// `completed`); incidents leave them out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_status: Option<String>,
    /// Only on a single incident; lists leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ComponentJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntryJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<LinkJson>>,
}

impl From<&Incident> for IncidentJson {
    fn from(i: &Incident) -> Self {
        let m = &i.milestones;
        let d = m.durations();
        Self {
            id: i.id.to_string(),
            title: i.title.clone(),
            status: i.status.as_str().into(),
            impact: i.impact.as_str().into(),
            origin: i.origin.as_str().into(),
            services: i.services.clone(),
            started_at: opt_rfc3339(m.started),
            detected_at: opt_rfc3339(m.detected),
            acknowledged_at: opt_rfc3339(m.acknowledged),
            mitigated_at: opt_rfc3339(m.mitigated),
            resolved_at: opt_rfc3339(m.resolved),
            durations: DurationsJson {
                to_detect_seconds: d.to_detect.map(|d| d.num_seconds()),
                to_acknowledge_seconds: d.to_acknowledge.map(|d| d.num_seconds()),
                to_mitigate_seconds: d.to_mitigate.map(|d| d.num_seconds()),
                to_resolve_seconds: d.to_resolve.map(|d| d.num_seconds()),
            },
            report_count: i.report_count,
            url: i.url.as_deref().and_then(web_link),
            updated_at: rfc3339(i.updated_at),
            version: i.version,
            kind: i.kind.as_str().into(),
            scheduled_for: opt_rfc3339(i.scheduled_for),
            scheduled_until: opt_rfc3339(i.scheduled_until),
            maintenance_status: (i.kind == IncidentKind::Maintenance).then(|| {
                MaintenanceStatus::of(i.status, i.scheduled_for, chrono::Utc::now())
                    .as_str()
                    .into()
            }),
            components: None,
            timeline: None,
            links: None,
        }
    }
}

impl From<&IncidentDetail> for IncidentJson {
    fn from(d: &IncidentDetail) -> Self {
        let mut json = IncidentJson::from(&d.incident);
        json.components = Some(
            d.components
                .iter()
                .filter(|(_, c)| !c.is_empty())
                .map(|(s, c)| ComponentJson {
                    service: s.clone(),
                    component: c.clone(),
                })
                .collect(),
        );
        json.timeline = Some(d.timeline.iter().map(TimelineEntryJson::from).collect());
        json.links = Some(d.links.iter().map(LinkJson::from).collect());
        json
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentListJson {
    pub items: Vec<IncidentJson>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceJson {
    pub slug: String,
    pub name: String,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub kind: String,
    pub depends_on: Vec<String>,
    pub status_page_url: Option<String>,
}

impl From<&Service> for ServiceJson {
    fn from(s: &Service) -> Self {
        Self {
            slug: s.slug.to_string(),
            name: s.name.clone(),
            provider: s.provider.clone(),
            region: s.region.clone(),
            kind: s.kind.as_str().into(),
            depends_on: s.depends_on.iter().map(ToString::to_string).collect(),
            status_page_url: s.status_page_url.as_deref().and_then(web_link),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceListJson {
    pub items: Vec<ServiceJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDetailJson {
    #[serde(flatten)]
    pub service: ServiceJson,
    /// Services that declare they depend on this one.
    pub dependents: Vec<String>,
    /// The most recent incidents of the service, newest first, without timelines.
    pub recent_incidents: Vec<IncidentJson>,
    /// Counted user reports per minute over the last 24 hours; minutes without reports are left out.
    pub report_buckets: Vec<ReportBucketJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBucketJson {
    /// The start of the minute, RFC 3339 UTC.
    pub minute: String,
    pub count: i64,
}

/// Tells "absent" (no change) from `null` (clear) in a PATCH body.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
