//! The old AWS Service Health Dashboard `data.json`: `{current: [...], archive: [...]}`.
//!
//! Each event's `description` is HTML with one `<span class="yellowfg">TIME</span>&nbsp;text`
//! per update. TIME is US Pacific wall-clock time, usually without a date ("6:06 PM PDT"), and
//! with a year-less date ("Jun 12,  1:23 AM PDT") when it falls on a day other than the event's
//! `date`. Dates are inferred from `date` (epoch seconds), across midnight and December→January.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::America::Los_Angeles;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::codes;
use crate::domain::status::{EntryKind, IncidentStatus};
use crate::ingest::observation::{IncidentObservation, ParsedDocument, UpdateObservation};
use crate::ingest::{Format, ParseError, html, json, slug, time};

#[derive(Deserialize)]
struct Event {
    service: Option<String>,
    service_name: Option<String>,
    summary: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    date: Option<String>,
    #[serde(default, deserialize_with = "json::string_or_number::deserialize")]
    status: Option<String>,
    description: Option<String>,
}

pub fn parse(bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    from_value(&json::parse_value(bytes)?)
}

/// [`parse`] of a document already read as JSON (as format detection does).
pub fn from_value(value: &Value) -> Result<ParsedDocument, ParseError> {
    let mut lists: Vec<(String, &[Value])> = Vec::new();
    match value {
        Value::Object(_) => {
            if value.get("current").is_none() && value.get("archive").is_none() {
                return Err(ParseError::shape(
                    "$",
                    "expected `current` and/or `archive` arrays",
                ));
            }
            for key in ["current", "archive"] {
                lists.push((format!("$.{key}"), json::array(value, key, "$")?));
            }
        }
        Value::Array(items) => lists.push(("$".to_string(), items)),
        other => {
            return Err(ParseError::shape(
                "$",
                format!("expected an object, found {}", json::kind(other)),
            ));
        }
    }
    let mut doc = ParsedDocument::new(Format::AwsDatajson);
    let mut index: HashMap<String, usize> = HashMap::new();
    for (path, items) in lists {
        for (i, item) in items.iter().enumerate() {
            let incident = event(item, &format!("{path}[{i}]"))?;
            // The same event can sit in `current` and `archive`; the later copy wins.
            match index.get(&incident.external_id) {
                Some(&at) => doc.incidents[at] = incident,
                None => {
                    index.insert(incident.external_id.clone(), doc.incidents.len());
                    doc.incidents.push(incident);
                }
            }
        }
    }
    Ok(doc)
}

/// `[RESOLVED]` prefix (any case, leading spaces allowed) and the summary without it.
pub(crate) fn split_resolved(summary: &str) -> (bool, String) {
    let trimmed = summary.trim();
    let resolved = trimmed
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("[resolved]"));
    let title = if resolved {
        trimmed[10..].trim()
    } else {
        trimmed
    };
    (resolved, title.to_string())
}

/// Events the process has read, by their raw text. A `data.json` history repeats most events
/// file after file (the corpus: 4,803 events, 554 distinct), and an event's observation is a
/// pure function of its text. Shared and bounded like the HTML memo.
const MEMO_EVENTS: usize = 2_048;

static EVENTS: super::memo::Memo<IncidentObservation> = super::memo::Memo::new(MEMO_EVENTS);

fn event(item: &Value, path: &str) -> Result<IncidentObservation, ParseError> {
    let raw = json::raw(item);
    if let Some(seen) = EVENTS.get(&raw) {
        return Ok(seen);
    }
    let incident = read_event(item, path, raw)?;
    EVENTS.insert(incident.raw.clone(), incident.clone());
    Ok(incident)
}

fn read_event(item: &Value, path: &str, raw: String) -> Result<IncidentObservation, ParseError> {
    let e: Event = json::from_item(item, path)?;
    let service_key = e
        .service
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ParseError::shape(path, "missing `service`"))?;
    let date_text = e
        .date
        .clone()
        .ok_or_else(|| ParseError::shape(path, "missing `date`"))?;
    let date = time::epoch_seconds(&date_text).ok_or_else(|| ParseError::Time {
        path: format!("{path}.date"),
        value: date_text.clone(),
    })?;
    let external_id = format!("{service_key}_{}", date_text.trim());
    let (resolved_prefix, title) = split_resolved(e.summary.as_deref().unwrap_or_default());
    let status_raw = e.status.clone().unwrap_or_default();
    let resolved = resolved_prefix || status_raw.trim() == "0";

    let mut updates = description_updates(
        e.description.as_deref().unwrap_or_default(),
        date,
        &external_id,
    );
    if resolved && let Some(last) = updates.last_mut() {
        last.status = Some(IncidentStatus::Resolved);
        last.status_raw = Some("[RESOLVED]".to_string());
    }
    // The posts carry no codes: the course only says the first post acknowledged the event.
    let course = codes::aws_course(&vec![None; updates.len()]);
    if let (Some(first), Some(Some(step))) = (updates.first_mut(), course.first())
        && first.status.is_none()
    {
        first.status = Some(*step);
    }
    let first = updates.first().map(|u| u.occurred_at);
    let last = updates.last().map(|u| u.occurred_at);
    let components: Vec<String> = e
        .service_name
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.trim().to_string())
        .collect();
    Ok(IncidentObservation {
        service: Some(slug::aws_service(&service_key)),
        external_id,
        title,
        status: Some(codes::aws_status(resolved, &course)),
        // One service per event: the event's own code is all there is of its course.
        impact: codes::aws_code(&status_raw).map(|c| codes::aws_impact(c, 1)),
        impact_raw: e.status.clone(),
        status_raw,
        started_at: Some(first.map_or(date, |f| f.min(date))),
        resolved_at: if resolved { last.or(Some(date)) } else { None },
        updated_at: last.or(Some(date)),
        url: None,
        components,
        is_maintenance: false,
        scheduled_for: None,
        scheduled_until: None,
        postmortem: None,
        updates,
        raw,
    })
}

/// Split the description into timed updates, oldest first (as AWS writes them).
fn description_updates(
    description: &str,
    date: DateTime<Utc>,
    event_id: &str,
) -> Vec<UpdateObservation> {
    const MARK: &str = "class=\"yellowfg\">";
    let mut pieces: Vec<(String, &str)> = Vec::new();
    let mut rest = description;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        let (stamp, tail) = after.split_once("</span>").unwrap_or((after, ""));
        let end = tail
            .find(MARK)
            .and_then(|n| tail[..n].rfind("<div"))
            .or_else(|| tail.find(MARK))
            .unwrap_or(tail.len());
        pieces.push((stamp.trim().to_string(), &tail[..end]));
        rest = &tail[end..];
    }
    if pieces.is_empty() && !description.trim().is_empty() {
        pieces.push((String::new(), description));
    }
    let reference = date.with_timezone(&Los_Angeles).naive_local();
    let mut previous: Option<(NaiveDateTime, DateTime<Utc>)> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (stamp, body_html) in pieces {
        let (local, at) = match resolve_stamp(&stamp, reference, previous) {
            Some(found) => found,
            None => previous.unwrap_or((reference, date)),
        };
        previous = Some((local, at));
        let base = format!("{event_id}@{}", time::id_stamp(at));
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let external_id = if *n == 1 { base } else { format!("{base}#{n}") };
        out.push(UpdateObservation {
            external_id,
            occurred_at: at,
            original_time: if stamp.is_empty() {
                date.timestamp().to_string()
            } else {
                stamp
            },
            status: None,
            status_raw: None,
            kind: EntryKind::StatusUpdate,
            body: html::body_text(body_html.trim_start_matches("&nbsp;")),
            components: Vec::new(),
            changes: Vec::new(),
        });
    }
    out
}

/// "6:06 PM PDT" or "Jun 12,  1:23 AM PDT" to (Pacific wall clock, UTC).
fn resolve_stamp(
    stamp: &str,
    reference: NaiveDateTime,
    previous: Option<(NaiveDateTime, DateTime<Utc>)>,
) -> Option<(NaiveDateTime, DateTime<Utc>)> {
    let cleaned = stamp.replace(',', " ").replace("&nbsp;", " ");
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let (explicit_day, rest) = match tokens
        .first()
        .and_then(|t| time::month_number(t).filter(|_| t.len() >= 3))
    {
        Some(month) => {
            let day: u32 = tokens.get(1)?.parse().ok()?;
            (
                Some(time::closest_year(month, day, reference.date())?),
                &tokens[2..],
            )
        }
        None => (None, &tokens[..]),
    };
    let (hour, minute) = time::clock(rest.first()?, rest.get(1).copied())?;
    let abbreviation = rest.get(2).copied();
    let on = |day: NaiveDate| -> Option<(NaiveDateTime, DateTime<Utc>)> {
        let local = day.and_hms_opt(hour, minute, 0)?;
        Some((local, time::pacific_to_utc(local, abbreviation)?))
    };
    if let Some(day) = explicit_day {
        return on(day);
    }
    let candidate = on(reference.date())?;
    match previous {
        // Without a date the time is on the event's day, unless that would go back in time:
        // then it is on the previous update's day, or the day after (rollover past midnight).
        Some((prev_local, prev_at)) if candidate.1 < prev_at => {
            let same = on(prev_local.date())?;
            if same.1 >= prev_at {
                Some(same)
            } else {
                on(prev_local.date().checked_add_days(Days::new(1))?)
            }
        }
        _ => Some(candidate),
    }
}

#[cfg(test)]
mod tests;
