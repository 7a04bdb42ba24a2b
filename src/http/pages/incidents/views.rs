//! What the incident page shows of an incident, built from its detail: timeline entries,
//! services, milestones, durations and links, as text ready for the template.

use std::collections::HashMap;

use crate::db::incidents::IncidentDetail;
use crate::domain::milestones::humanize;
use crate::domain::{Incident, IncidentId, LinkKind, Milestones, TimelineEntry};
use crate::http::pages::view::{iso, utc};
use crate::markdown::{self, SafeHtml};

pub struct EntryView {
    pub at: String,
    pub iso: String,
    pub since_previous: String,
    pub source: String,
    pub status: Option<String>,
    pub edited: bool,
    pub body: SafeHtml,
}

pub struct ServiceView {
    pub slug: String,
    pub components: Vec<String>,
}

pub struct MilestoneView {
    pub name: &'static str,
    pub at: String,
    pub since_start: String,
}

pub struct LinkView {
    pub incident_id: String,
    pub title: String,
    pub kind: &'static str,
    pub reason: String,
    pub confidence: String,
    pub set_by: &'static str,
    /// For cascade links: the linked incident's services, window and report count.
    pub services: String,
    pub window: String,
    pub report_count: i64,
}

pub(super) fn timeline_view(entries: &[TimelineEntry]) -> Vec<EntryView> {
    let mut previous = None;
    entries
        .iter()
        .map(|e| {
            let since_previous = previous
                .map(|p| humanize(e.occurred_at - p))
                .unwrap_or_default();
            previous = Some(e.occurred_at);
            EntryView {
                at: utc(e.occurred_at),
                iso: iso(e.occurred_at),
                since_previous,
                source: e.source.clone(),
                status: e.status.clone(),
                edited: e.edited_at.is_some(),
                body: markdown::render(&e.body),
            }
        })
        .collect()
}

/// Affected services, each with its affected components, by slug.
pub(super) fn service_views(components: &[(String, String)]) -> Vec<ServiceView> {
    let mut by_service: HashMap<&str, Vec<String>> = HashMap::new();
    for (slug, component) in components {
        let entry = by_service.entry(slug.as_str()).or_default();
        if !component.is_empty() {
            entry.push(component.clone());
        }
    }
    let mut services: Vec<ServiceView> = by_service
        .into_iter()
        .map(|(slug, components)| ServiceView {
            slug: slug.to_string(),
            components,
        })
        .collect();
    services.sort_by(|a, b| a.slug.cmp(&b.slug));
    services
}

pub(super) fn milestone_views(m: &Milestones) -> Vec<MilestoneView> {
    m.labelled()
        .into_iter()
        .enumerate()
        .map(|(n, (name, at))| MilestoneView {
            name,
            at: at.map(utc).unwrap_or_else(|| "—".into()),
            // The first milestone is the start itself.
            since_start: match (m.started, at) {
                (Some(s), Some(a)) if n > 0 => humanize(a - s),
                _ => String::new(),
            },
        })
        .collect()
}

pub(super) fn duration_views(m: &Milestones) -> Vec<(&'static str, String)> {
    m.durations()
        .labelled()
        .into_iter()
        .map(|(name, d)| (name, d.map(humanize).unwrap_or_else(|| "—".into())))
        .collect()
}

/// Links split three ways: related and duplicates, upstream causes, downstream impact.
pub(super) fn link_views(
    detail: &IncidentDetail,
    linked: &HashMap<IncidentId, Incident>,
) -> (Vec<LinkView>, Vec<LinkView>, Vec<LinkView>) {
    let (mut links, mut upstream, mut downstream) = (Vec::new(), Vec::new(), Vec::new());
    for l in &detail.links {
        let other = linked.get(&l.incident_id);
        let view = LinkView {
            incident_id: l.incident_id.to_string(),
            title: l.title.clone(),
            kind: l.kind.as_str(),
            reason: l.reason.clone(),
            confidence: format!("{:.0}%", l.confidence * 100.0),
            set_by: l.set_by.as_str(),
            services: other.map(|i| i.services.join(", ")).unwrap_or_default(),
            window: other
                .map(crate::http::pages::cascade::window)
                .unwrap_or_default(),
            report_count: other.map_or(0, |i| i.report_count),
        };
        match l.kind {
            LinkKind::Upstream => upstream.push(view),
            LinkKind::Downstream => downstream.push(view),
            _ => links.push(view),
        }
    }
    (links, upstream, downstream)
}
