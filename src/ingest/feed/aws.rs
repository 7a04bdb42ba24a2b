//! AWS Service Health Dashboard RSS (`status.aws.amazon.com/rss/<service>-<region>.rss`): one
//! item per update. Items are grouped into events by the service key in the guid
//! (`#<service>_<epoch>`) and the summary text of the title (`<prefix>: [RESOLVED] <summary>`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

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

/// One feed item, read: the event it belongs to and what it says.
struct Item {
    /// The service key and epoch from the guid.
    key: String,
    epoch: String,
    /// The title's text before `:` ("Service disruption"), empty when it has none.
    prefix: String,
    resolved: bool,
    summary: String,
    at: DateTime<Utc>,
}

/// Items grouped into events, in the order each event first appears, updates oldest first.
pub fn group(feed: &feed_rs::model::Feed, fragments: &[String]) -> Vec<IncidentObservation> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, IncidentObservation> = HashMap::new();
    // Items are newest first; walk oldest first.
    for (i, entry) in feed.entries.iter().enumerate().rev() {
        let Some(item) = read_item(entry) else {
            continue;
        };
        let raw = fragments.get(i).cloned().unwrap_or_default();
        let group_key = format!("{}#{}", item.key, slug::slugify(&item.summary));
        let incident = groups.entry(group_key.clone()).or_insert_with(|| {
            order.push(group_key.clone());
            new_event(group_key.clone(), &item, entry)
        });
        add_item(incident, &item, entry, &raw);
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

/// `None` for items without an AWS guid or any time.
fn read_item(entry: &feed_rs::model::Entry) -> Option<Item> {
    let (key, epoch) = guid_key(&entry.id)?;
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
    let at = entry
        .published
        .or(entry.updated)
        .or_else(|| time::epoch_seconds(&epoch))?;
    Some(Item {
        key,
        epoch,
        prefix,
        resolved,
        summary,
        at,
    })
}

/// An event as its first item opens it: investigating, started at that item.
fn new_event(group_key: String, item: &Item, entry: &feed_rs::model::Entry) -> IncidentObservation {
    IncidentObservation {
        external_id: group_key,
        service: Some(slug::aws_service(&item.key)),
        title: item.summary.clone(),
        status: Some(IncidentStatus::Investigating),
        status_raw: String::new(),
        impact: None,
        impact_raw: None,
        started_at: Some(item.at),
        resolved_at: None,
        updated_at: None,
        url: crate::ingest::feed::alternate(&entry.links),
        components: Vec::new(),
        is_maintenance: false,
        scheduled_for: None,
        scheduled_until: None,
        postmortem: None,
        updates: Vec::new(),
        raw: String::new(),
    }
}

/// Fold an item into its event: the highest impact so far, the item's status words (a
/// resolved item resolves the event), its raw text and its update.
fn add_item(
    incident: &mut IncidentObservation,
    item: &Item,
    entry: &feed_rs::model::Entry,
    raw: &str,
) {
    let prefix = &item.prefix;
    if let Some(impact) = prefix_impact(prefix)
        && incident.impact.is_none_or(|old| impact > old)
    {
        incident.impact = Some(impact);
        incident.impact_raw = Some(prefix.clone());
    }
    incident.status_raw = if item.resolved {
        format!("{prefix}: [RESOLVED]")
    } else {
        prefix.clone()
    };
    if item.resolved {
        incident.status = Some(IncidentStatus::Resolved);
        incident.resolved_at = Some(item.at);
    }
    incident.updated_at = Some(item.at);
    if !incident.raw.is_empty() {
        incident.raw.push('\n');
    }
    incident.raw.push_str(raw);
    incident.updates.push(UpdateObservation {
        external_id: entry.id.clone(),
        occurred_at: item.at,
        original_time: crate::ingest::feed::xml::tag_text(raw, "pubDate")
            .unwrap_or_else(|| item.epoch.clone()),
        status: item.resolved.then_some(IncidentStatus::Resolved),
        status_raw: Some(prefix.clone()).filter(|p| !p.is_empty()),
        kind: EntryKind::StatusUpdate,
        body: html::body_text(&crate::ingest::feed::entry_body_html(entry)),
        components: Vec::new(),
        changes: Vec::new(),
    });
}
