//! AWS Service Health Dashboard RSS (`status.aws.amazon.com/rss/<service>-<region>.rss`): one
//! item per update. Items are grouped into events by the service key in the guid
//! (`#<service>_<epoch>`) and the summary text of the title (`<prefix>: [RESOLVED] <summary>`).

use std::collections::HashMap;

use crate::domain::status::{EntryKind, Impact, IncidentStatus};
use crate::ingest::aws_datajson::split_resolved;
use crate::ingest::observation::{IncidentObservation, UpdateObservation};
use crate::ingest::{html, slug, time};

/// The service key and epoch of an AWS guid such as `http://status.aws.amazon.com/#ec2-us-east-1_1488319860`.
fn guid_key(id: &str) -> Option<(String, String)> {
    if !id.contains("status.aws.amazon.com") {
        return None;
    }
    let (_, fragment) = id.split_once('#')?;
    let (key, epoch) = fragment.rsplit_once('_')?;
    Some((key.to_string(), epoch.to_string()))
}

pub fn is_aws_feed(feed: &feed_rs::model::Feed) -> bool {
    !feed.entries.is_empty() && feed.entries.iter().all(|e| guid_key(&e.id).is_some())
}

fn prefix_impact(prefix: &str) -> Option<Impact> {
    let p = prefix.to_ascii_lowercase();
    if p.contains("disruption") || p.contains("service impact") {
        Some(Impact::Major)
    } else if p.contains("performance") || p.contains("informational") {
        Some(Impact::Minor)
    } else if p.contains("operating normally") {
        Some(Impact::None)
    } else {
        None
    }
}

pub fn group(feed: &feed_rs::model::Feed, fragments: &[String]) -> Vec<IncidentObservation> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, IncidentObservation> = HashMap::new();
    // Items are newest first; walk oldest first.
    for (i, entry) in feed.entries.iter().enumerate().rev() {
        let Some((key, epoch)) = guid_key(&entry.id) else {
            continue;
        };
        let title = entry
            .title
            .as_ref()
            .map(|t| t.content.trim().to_string())
            .unwrap_or_default();
        let (prefix, rest) = match title.split_once(':') {
            Some((p, r)) if !p.contains('[') => (p.trim().to_string(), r.to_string()),
            _ => (String::new(), title.clone()),
        };
        let (resolved, summary) = split_resolved(&rest);
        let Some(at) = entry
            .published
            .or(entry.updated)
            .or_else(|| time::epoch_seconds(&epoch))
        else {
            continue;
        };
        let raw = fragments.get(i).cloned().unwrap_or_default();
        let group_key = format!("{key}#{}", slug::slugify(&summary));
        let incident = groups.entry(group_key.clone()).or_insert_with(|| {
            order.push(group_key.clone());
            IncidentObservation {
                external_id: group_key.clone(),
                service: Some(slug::aws_service(&key)),
                title: summary.clone(),
                status: Some(IncidentStatus::Investigating),
                status_raw: String::new(),
                impact: None,
                impact_raw: None,
                started_at: Some(at),
                resolved_at: None,
                updated_at: None,
                url: crate::ingest::feed::alternate(&entry.links),
                components: Vec::new(),
                is_maintenance: false,
                postmortem: None,
                updates: Vec::new(),
                raw: String::new(),
            }
        });
        if let Some(impact) = prefix_impact(&prefix)
            && incident.impact.is_none_or(|old| impact > old)
        {
            incident.impact = Some(impact);
            incident.impact_raw = Some(prefix.clone());
        }
        incident.status_raw = if resolved {
            format!("{prefix}: [RESOLVED]")
        } else {
            prefix.clone()
        };
        if resolved {
            incident.status = Some(IncidentStatus::Resolved);
            incident.resolved_at = Some(at);
        }
        incident.updated_at = Some(at);
        if !incident.raw.is_empty() {
            incident.raw.push('\n');
        }
        incident.raw.push_str(&raw);
        incident.updates.push(UpdateObservation {
            external_id: entry.id.clone(),
            occurred_at: at,
            original_time: crate::ingest::feed::xml::tag_text(&raw, "pubDate")
                .unwrap_or_else(|| epoch.clone()),
            status: resolved.then_some(IncidentStatus::Resolved),
            status_raw: Some(prefix.clone()).filter(|p| !p.is_empty()),
            kind: EntryKind::StatusUpdate,
            body: html::body_text(&crate::ingest::feed::entry_body_html(entry)),
            components: Vec::new(),
        });
    }
    order
        .into_iter()
        .filter_map(|k| groups.remove(&k))
        .map(|mut inc| {
            inc.updates.sort_by_key(|u| u.occurred_at);
            inc
        })
        .collect()
}
