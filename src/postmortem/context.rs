//! The facts a postmortem draft is written from, worked out from an incident's timeline.
//!
//! Uncertainty is stated, not hidden: a milestone only known to lie between two posts is given
//! as that range. A start the source states is exact; otherwise the outage began at or before
//! the first post. Mitigation and resolution happened after the post before them and no later
//! than the post that announced them.
//!
//! Recovery is told by the posts that say the outage is easing (monitoring, resolved) and by
//! every post from the mitigation on: sources without those steps (AWS) mark mitigation by the
//! severity's course, and their closing posts describe the recovery.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::db::incidents::IncidentDetail;
use crate::domain::milestones::humanize;
use crate::domain::{EntryKind, Incident, IncidentLink, Milestones, TimelineEntry};

#[derive(Debug, Serialize)]
pub struct Quote {
    pub at: String,
    pub source: String,
    pub body: String,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub at: String,
    pub source: String,
    pub status: Option<String>,
    pub body: String,
}

#[derive(Debug, Serialize)]
pub struct ServiceImpact {
    pub slug: String,
    pub components: Vec<String>,
    pub duration: String,
    pub reports: i64,
}

#[derive(Debug, Serialize)]
pub struct Named {
    pub name: String,
    pub when: String,
}

#[derive(Debug, Serialize)]
pub struct NameValue {
    pub name: &'static str,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct LinkFact {
    pub kind: String,
    pub title: String,
    pub reason: String,
    pub confidence: String,
    pub set_by: String,
}

/// Front matter a cState or Hugo site accepts.
#[derive(Debug, Serialize)]
pub struct FrontMatter {
    pub title: String,
    pub date: String,
    pub resolved: bool,
    pub resolved_when: String,
    pub severity: String,
    pub affected: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DraftContext {
    pub front: FrontMatter,
    pub title: String,
    pub authors: Vec<String>,
    pub status: String,
    pub impact: String,
    pub generated_at: String,
    pub entry_count: usize,
    pub summary_services: String,
    pub summary_verb: &'static str,
    pub started: String,
    pub resolved: Option<String>,
    pub duration: String,
    pub services: Vec<ServiceImpact>,
    pub first_post: Option<Quote>,
    pub first_spike: Option<Quote>,
    pub detection_lag: String,
    pub timeline: Vec<Row>,
    pub causes: Vec<Quote>,
    pub recovery: Vec<Quote>,
    pub links: Vec<LinkFact>,
    pub milestones: Vec<Named>,
    pub durations: Vec<NameValue>,
    pub sources: Vec<String>,
}

/// "2025-10-20 07:11 UTC". Written by hand: chrono's strftime parsing showed up in profiles of
/// drafting large incidents.
fn utc(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn quote(e: &TimelineEntry) -> Quote {
    Quote {
        at: utc(e.occurred_at),
        source: e.source.clone(),
        body: e.body.clone(),
    }
}

/// Updates that say what caused the outage.
fn states_a_cause(e: &TimelineEntry) -> bool {
    let body = e.body.to_lowercase();
    let status = e.status.as_deref().unwrap_or("").to_lowercase();
    status == "identified"
        || [
            "root cause",
            "identified",
            "caused by",
            "the cause",
            "due to",
            "triggered by",
        ]
        .iter()
        .any(|k| body.contains(k))
}

fn is_recovery(e: &TimelineEntry) -> bool {
    matches!(
        e.status.as_deref().map(str::to_lowercase).as_deref(),
        Some("monitoring" | "resolved" | "postmortem")
    )
}

/// A post at or after the mitigation milestone.
fn after_mitigation(e: &TimelineEntry, m: &Milestones) -> bool {
    e.kind == EntryKind::StatusUpdate && m.mitigated.is_some_and(|at| e.occurred_at >= at)
}

/// The time of the post before `t`, if any. Only posts: a spike's end or a component change
/// between two posts says nothing of when the provider's milestone came.
fn post_before(timeline: &[TimelineEntry], t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    timeline
        .iter()
        .filter(|e| e.kind == EntryKind::StatusUpdate)
        .map(|e| e.occurred_at)
        .filter(|&at| at < t)
        .max()
}

fn range(timeline: &[TimelineEntry], at: Option<DateTime<Utc>>) -> String {
    match at {
        None => "not yet".into(),
        Some(t) => match post_before(timeline, t) {
            Some(before) => format!("between {} and {}", utc(before), utc(t)),
            None => format!("at or before {}", utc(t)),
        },
    }
}

/// The draft's facts, worked out step by step; each step below states one of the rules above.
pub fn build(detail: &IncidentDetail, authors: Vec<String>, now: DateTime<Utc>) -> DraftContext {
    let i = &detail.incident;
    let m = &i.milestones;
    let t = &detail.timeline;
    let first_post = t.iter().find(|e| e.kind == EntryKind::StatusUpdate);
    let first_spike = t.iter().find(|e| e.kind == EntryKind::ReportSpike);
    let stated_start = m.started.unwrap_or(i.created_at);
    let started = effective_start(stated_start, first_spike);
    let duration = m
        .resolved
        .map(|r| humanize(r - started))
        .unwrap_or_else(|| "still open".into());
    DraftContext {
        front: front_matter(i, started),
        title: i.title.clone(),
        authors,
        status: i.status.as_str().into(),
        impact: i.impact.as_str().into(),
        generated_at: utc(now),
        entry_count: t.len(),
        summary_services: i.services.join(", "),
        summary_verb: if i.services.len() > 1 {
            "were affected"
        } else {
            "was affected"
        },
        started: utc(started),
        resolved: m.resolved.map(utc),
        services: service_impacts(detail, &duration),
        duration,
        first_post: first_post.map(quote),
        first_spike: first_spike.map(quote),
        detection_lag: detection_lag(first_spike, first_post),
        timeline: t.iter().map(row).collect(),
        causes: t.iter().filter(|e| states_a_cause(e)).map(quote).collect(),
        recovery: t
            .iter()
            .filter(|e| is_recovery(e) || after_mitigation(e, m))
            .map(quote)
            .collect(),
        links: detail.links.iter().map(link_fact).collect(),
        milestones: milestone_facts(
            m,
            t,
            started_when(started, stated_start, first_post.map(|p| p.occurred_at)),
        ),
        durations: duration_facts(m),
        sources: sources(i.url.as_ref(), t),
    }
}

/// Users often notice before anyone posts: a report spike before the stated start moves it.
fn effective_start(stated: DateTime<Utc>, first_spike: Option<&TimelineEntry>) -> DateTime<Utc> {
    first_spike
        .map(|s| s.occurred_at)
        .filter(|s| *s < stated)
        .unwrap_or(stated)
}

fn front_matter(i: &Incident, started: DateTime<Utc>) -> FrontMatter {
    FrontMatter {
        title: i.title.clone(),
        date: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        resolved: i.status.is_closed(),
        resolved_when: i
            .milestones
            .resolved
            .map(|r| r.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        // cState's severities.
        severity: match i.impact.as_str() {
            "critical" | "major" => "down".into(),
            "minor" => "disrupted".into(),
            _ => "notice".into(),
        },
        affected: i.services.clone(),
    }
}

fn service_impacts(detail: &IncidentDetail, duration: &str) -> Vec<ServiceImpact> {
    let i = &detail.incident;
    i.services
        .iter()
        .map(|slug| ServiceImpact {
            slug: slug.clone(),
            components: detail
                .components
                .iter()
                .filter(|(s, c)| s == slug && !c.is_empty())
                .map(|(_, c)| c.clone())
                .collect(),
            duration: duration.to_string(),
            reports: i.report_count,
        })
        .collect()
}

fn detection_lag(
    first_spike: Option<&TimelineEntry>,
    first_post: Option<&TimelineEntry>,
) -> String {
    let (Some(s), Some(p)) = (first_spike, first_post) else {
        return "unknown (needs both a report spike and an official post)".into();
    };
    let lag: Duration = p.occurred_at - s.occurred_at;
    if lag >= Duration::zero() {
        format!(
            "the official post came {} after the first spike",
            humanize(lag)
        )
    } else {
        format!(
            "the official post came {} before the first spike",
            humanize(-lag)
        )
    }
}

/// A start the source states is exact only when it comes before the first post.
fn started_when(
    started: DateTime<Utc>,
    stated_start: DateTime<Utc>,
    first_post: Option<DateTime<Utc>>,
) -> String {
    match first_post {
        _ if started < stated_start => {
            format!(
                "at or before {} (the first spike of user reports)",
                utc(started)
            )
        }
        Some(p) if started < p => format!("{} (as the source states)", utc(started)),
        _ => format!("at or before {}", utc(started)),
    }
}

fn row(e: &TimelineEntry) -> Row {
    Row {
        at: utc(e.occurred_at),
        source: e.source.clone(),
        status: e.status.clone(),
        body: e.body.clone(),
    }
}

fn link_fact(l: &IncidentLink) -> LinkFact {
    LinkFact {
        kind: l.kind.as_str().into(),
        title: l.title.clone(),
        reason: l.reason.clone(),
        confidence: format!("{:.0}%", l.confidence * 100.0),
        set_by: l.set_by.as_str().into(),
    }
}

fn milestone_facts(m: &Milestones, t: &[TimelineEntry], started_when: String) -> Vec<Named> {
    m.labelled()
        .into_iter()
        .zip([
            started_when,
            m.detected.map(utc).unwrap_or_else(|| "unknown".into()),
            m.acknowledged.map(utc).unwrap_or_else(|| "not yet".into()),
            range(t, m.mitigated),
            range(t, m.resolved),
        ])
        .map(|((name, _), when)| Named {
            name: name.into(),
            when,
        })
        .collect()
}

fn duration_facts(m: &Milestones) -> Vec<NameValue> {
    m.durations()
        .labelled()
        .into_iter()
        .map(|(name, value)| NameValue {
            name,
            value: value.map(humanize).unwrap_or_else(|| "unknown".into()),
        })
        .collect()
}

/// The incident's own link first, then every entry's, each once.
fn sources(incident_url: Option<&String>, t: &[TimelineEntry]) -> Vec<String> {
    let mut sources: Vec<String> = incident_url.into_iter().cloned().collect();
    for e in t {
        if let Some(u) = &e.url
            && !sources.contains(u)
        {
            sources.push(u.clone());
        }
    }
    sources
}
