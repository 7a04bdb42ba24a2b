//! Atom and RSS feeds (feed-rs). Statuspage `history.atom` / `history.rss` entries hold every
//! update as `<p><small>Mon D, HH:MM TZ</small><br><strong>Label</strong> - body</p>`, newest
//! first, with no year: the year comes from the entry's `published`. AWS's per-service RSS has
//! one item per update and is grouped into events (see `feed_aws`). Other feeds give one
//! incident per entry with one update.
//!
//! Entity expansion: feed-rs reads with quick-xml, which does not expand DTD-declared entities
//! (unknown references are kept as text), so "billion laughs" documents stay small.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::domain::status::{EntryKind, IncidentStatus};
use crate::ingest::observation::{
    IncidentObservation, PageInfo, ParsedDocument, UpdateObservation,
};
use crate::ingest::{Format, ParseError, html, json, slug, time, vocab};

mod aws;
pub(crate) mod xml;

pub fn parse(format: Format, bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    crate::ingest::check_size(bytes)?;
    refuse_entity_declarations(bytes)?;
    let feed = feed_rs::parser::parse(bytes).map_err(|e| xml::error(bytes, &e.to_string()))?;
    let text =
        json::decode_text(bytes).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned());
    let tag = if matches!(feed.feed_type, feed_rs::model::FeedType::Atom) {
        "entry"
    } else {
        "item"
    };
    let fragments = xml::fragments(&text, tag);

    let mut doc = ParsedDocument::new(format);
    let name = page_name(&feed);
    let page_url = alternate(&feed.links);
    doc.page = name.clone().map(|name| PageInfo {
        external_id: (!feed.id.is_empty()).then(|| feed.id.clone()),
        name,
        url: page_url,
    });
    let service = name.as_deref().and_then(slug::page_service);

    if aws::is_aws_feed(&feed) {
        doc.incidents = aws::group(&feed, &fragments);
        return Ok(doc);
    }
    for (i, entry) in feed.entries.iter().enumerate() {
        let raw = fragments.get(i).cloned().unwrap_or_default();
        doc.incidents
            .push(entry_incident(entry, raw, service.clone()));
    }
    Ok(doc)
}

/// Status feeds never declare entities; a document that does is an entity-expansion ("billion
/// laughs") attempt or not a status feed, so it is refused before any XML parser sees it.
fn refuse_entity_declarations(bytes: &[u8]) -> Result<(), ParseError> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    match text
        .find("<!ENTITY")
        .or_else(|| text.find("<!DOCTYPE").filter(|_| text.contains('[')))
    {
        Some(at) => Err(ParseError::Xml {
            position: Some(format!("byte {at}")),
            message: "DOCTYPE with entity declarations is not accepted (entity-expansion guard)"
                .into(),
        }),
        None => Ok(()),
    }
}

fn page_name(feed: &feed_rs::model::Feed) -> Option<String> {
    if let Some(name) = feed
        .authors
        .iter()
        .find_map(|a| a.name.clone())
        .filter(|n| !n.trim().is_empty())
    {
        return Some(name.trim().to_string());
    }
    let title = feed.title.as_ref()?.content.trim().to_string();
    let title = title.trim_end_matches(" - Incident History").trim();
    let title = title.strip_suffix(" Status").unwrap_or(title).trim();
    (!title.is_empty()).then(|| title.to_string())
}

pub(crate) fn alternate(links: &[feed_rs::model::Link]) -> Option<String> {
    links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(links.first())
        .map(|l| l.href.clone())
}

pub(crate) fn entry_body_html(entry: &feed_rs::model::Entry) -> String {
    entry
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()))
        .unwrap_or_default()
}

/// One entry as one incident: its updates, and the state the newest of them gives.
fn entry_incident(
    entry: &feed_rs::model::Entry,
    raw: String,
    service: Option<String>,
) -> IncidentObservation {
    let title = entry
        .title
        .as_ref()
        .map(|t| t.content.trim().to_string())
        .unwrap_or_default();
    let published = entry.published.or(entry.updated);
    let updates = entry_updates(entry, &raw, &title, published);
    let (status, status_raw) = incident_status(&updates);
    let is_maintenance = updates.iter().any(|u| {
        u.status_raw
            .as_deref()
            .is_some_and(vocab::is_maintenance_word)
    });
    IncidentObservation {
        external_id: entry.id.clone(),
        service,
        title,
        status,
        status_raw,
        impact: None,
        impact_raw: None,
        started_at: updates.first().map(|u| u.occurred_at).or(published),
        resolved_at: closed_at(status, &updates),
        updated_at: entry.updated.or(entry.published),
        url: alternate(&entry.links),
        components: entry
            .categories
            .iter()
            .map(|c| c.term.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        is_maintenance,
        scheduled_for: None,
        scheduled_until: None,
        postmortem: None,
        updates,
        raw,
    }
}

/// The Statuspage history in the entry's content; else the entry itself as one update, its
/// status inferred from its body or title. None when the entry has no time.
fn entry_updates(
    entry: &feed_rs::model::Entry,
    raw: &str,
    title: &str,
    published: Option<DateTime<Utc>>,
) -> Vec<UpdateObservation> {
    let Some(at) = published else {
        return Vec::new();
    };
    let body_html = entry_body_html(entry);
    let updates = statuspage_updates(&body_html, at, &entry.id);
    if !updates.is_empty() {
        return updates;
    }
    let original = xml::tag_text(raw, "published")
        .or_else(|| xml::tag_text(raw, "pubDate"))
        .or_else(|| xml::tag_text(raw, "updated"));
    let body = html::body_text(&body_html);
    let inferred = infer_status(&body).or_else(|| infer_status(title));
    vec![UpdateObservation {
        external_id: format!("{}@{}", entry.id, time::id_stamp(at)),
        occurred_at: at,
        original_time: original.unwrap_or_else(|| at.to_rfc3339()),
        status: inferred.as_ref().and_then(|(_, s)| *s),
        status_raw: inferred.map(|(w, _)| w),
        kind: EntryKind::StatusUpdate,
        body,
        components: Vec::new(),
        changes: Vec::new(),
    }]
}

/// Incident status: the newest update whose label is a status word ("Update" is not); with
/// none, no status and the newest update's word.
fn incident_status(updates: &[UpdateObservation]) -> (Option<IncidentStatus>, String) {
    let newest_status = updates
        .iter()
        .rev()
        .find_map(|u| u.status.map(|s| (s, u.status_raw.clone())));
    match newest_status {
        Some((s, raw_word)) => (Some(s), raw_word.unwrap_or_default()),
        None => (
            None,
            updates
                .last()
                .and_then(|u| u.status_raw.clone())
                .unwrap_or_default(),
        ),
    }
}

/// For a closed incident, the time of its last closing update.
fn closed_at(
    status: Option<IncidentStatus>,
    updates: &[UpdateObservation],
) -> Option<DateTime<Utc>> {
    status.filter(|s| s.is_closed()).and_then(|_| {
        updates
            .iter()
            .rev()
            .find(|u| u.status.is_some_and(IncidentStatus::is_closed))
            .map(|u| u.occurred_at)
    })
}

/// "Resolved - text" / "Investigating - text" / "[RESOLVED] text": the source word and its mapping.
pub(crate) fn infer_status(text: &str) -> Option<(String, Option<IncidentStatus>)> {
    let t = text.trim_start();
    if t.get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("[resolved]"))
    {
        return Some(("[RESOLVED]".to_string(), Some(IncidentStatus::Resolved)));
    }
    let (word, _) = t.split_once(" - ").or_else(|| t.split_once(": "))?;
    let word = word.trim();
    if word.len() > 20 {
        return None;
    }
    let mapped = vocab::status(word);
    (mapped.is_some() || vocab::is_maintenance_word(word)).then(|| (word.to_string(), mapped))
}

struct Header {
    start: usize,
    end: usize,
    original: String,
    at: DateTime<Utc>,
}

/// Split Statuspage feed content into updates, oldest first; empty when it is not that shape.
pub(crate) fn statuspage_updates(
    content: &str,
    published: DateTime<Utc>,
    entry_id: &str,
) -> Vec<UpdateObservation> {
    let mut headers = Vec::new();
    let mut from = 0;
    while let Some(rel) = content[from..].find("<small>") {
        let start = from + rel;
        let inner_start = start + "<small>".len();
        let Some(close) = content[inner_start..].find("</small>") else {
            break;
        };
        let inner = &content[inner_start..inner_start + close];
        let end = inner_start + close + "</small>".len();
        // A date stamp marked up only with `<var>`: its tags are dropped, not rendered.
        let original = html::inline_text(inner)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(at) = header_time(&original, published) {
            headers.push(Header {
                start,
                end,
                original,
                at,
            });
        }
        from = end;
    }
    let mut out: Vec<UpdateObservation> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let stop = headers.get(i + 1).map_or(content.len(), |next| next.start);
        let segment = &content[h.end..stop];
        let segment = segment.trim_end();
        let segment = segment.strip_suffix("<p>").unwrap_or(segment);
        let (label, body_html) = split_label(segment);
        out.push(UpdateObservation {
            external_id: String::new(),
            occurred_at: h.at,
            original_time: h.original.clone(),
            status: label.as_deref().and_then(vocab::status),
            status_raw: label,
            kind: EntryKind::StatusUpdate,
            // Feed content is HTML by declaration, so entities are decoded even without tags.
            body: html::html_to_text(body_html),
            components: Vec::new(),
            changes: Vec::new(),
        });
    }
    out.reverse();
    out.sort_by_key(|u| u.occurred_at);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for u in &mut out {
        let base = format!("{entry_id}@{}", time::id_stamp(u.occurred_at));
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        u.external_id = if *n == 1 { base } else { format!("{base}#{n}") };
    }
    out
}

/// `<br><strong>Label</strong> - body</p>` to (label, body html).
fn split_label(segment: &str) -> (Option<String>, &str) {
    let s = segment.trim_start();
    let s = s
        .strip_prefix("<br>")
        .or_else(|| s.strip_prefix("<br/>"))
        .or_else(|| s.strip_prefix("<br />"))
        .unwrap_or(s)
        .trim_start();
    let Some(after) = s.strip_prefix("<strong>") else {
        return (None, s);
    };
    let Some((label, rest)) = after.split_once("</strong>") else {
        return (None, s);
    };
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    let rest = rest.trim_end();
    let rest = rest.strip_suffix("</p>").unwrap_or(rest);
    (
        Some(html::html_to_text(label)).filter(|l| !l.is_empty()),
        rest,
    )
}

/// "Jun 8, 19:13 UTC" (optionally with a year or AM/PM) in UTC, the year taken from `published`.
fn header_time(text: &str, published: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cleaned = text.replace(',', " ");
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let month = tokens
        .first()
        .filter(|t| t.len() >= 3)
        .and_then(|t| time::month_number(t))?;
    let day: u32 = tokens.get(1)?.parse().ok()?;
    let (mut year, mut clock_text, mut meridiem, mut zone) = (None, None, None, None);
    for t in &tokens[2..] {
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            year = t.parse::<i32>().ok();
        } else if t.contains(':') {
            clock_text = Some(*t);
        } else if t.eq_ignore_ascii_case("am") || t.eq_ignore_ascii_case("pm") {
            meridiem = Some(*t);
        } else if t.chars().all(|c| c.is_ascii_alphabetic()) {
            zone = Some(*t);
        }
    }
    let (hour, minute) = time::clock(clock_text?, meridiem)?;
    let date = match year {
        Some(y) => chrono::NaiveDate::from_ymd_opt(y, month, day)?,
        None => time::closest_year(month, day, published.date_naive())?,
    };
    // Unknown zone abbreviations are read as UTC (the original text is kept).
    let offset = zone
        .and_then(time::abbreviation_offset_minutes)
        .unwrap_or(0);
    let local = date.and_hms_opt(hour, minute, 0)?;
    Some(local.and_utc() - Duration::minutes(i64::from(offset)))
}

#[cfg(test)]
mod tests;
