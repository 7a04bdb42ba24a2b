//! What the incident page shows about user reports and cascades: the linked
//! incidents' windows and report counts, the report comments, and whether there is a chart.
//! Comments are plain text; the template escapes them like every other value.

use std::collections::HashMap;

use super::view::utc;
use crate::db::incidents;
use crate::domain::milestones::humanize;

/// A user-report comment attached to the incident; shown escaped, as plain text.
pub struct CommentView {
    pub at: String,
    pub service: String,
    pub symptom: String,
    pub country: String,
    pub text: String,
}

/// What the incident page shows about reports and cascades, beyond the incident itself.
pub struct CascadeFacts {
    pub linked: HashMap<crate::domain::IncidentId, crate::domain::Incident>,
    pub comments: Vec<CommentView>,
    pub has_reports: bool,
}

pub fn cascade_facts(
    conn: &mut crate::db::DbConn,
    id: crate::domain::IncidentId,
) -> Result<CascadeFacts, crate::db::DbError> {
    let detail = incidents::get(conn, id)?;
    let ids: Vec<_> = detail
        .links
        .iter()
        .take(200)
        .map(|l| l.incident_id)
        .collect();
    let linked = incidents::many(conn, &ids)?
        .into_iter()
        .map(|i| (i.id, i))
        .collect::<HashMap<_, _>>();
    let comments = crate::db::reports::attached_comments(conn, &id, 100)?
        .into_iter()
        .map(|c| CommentView {
            at: utc(c.reported_at),
            service: c.service,
            symptom: c.symptom.unwrap_or_default().replace('_', " "),
            country: c.country.unwrap_or_default(),
            text: c.comment,
        })
        .collect();
    // A chart is worth showing when the incident had a spike, or its services had reports
    // around its window.
    let mut has_reports = !crate::db::spikes::spikes_of_incident(conn, &id)?.is_empty();
    let m = detail.incident.milestones;
    if let (false, Some(start)) = (has_reports, m.started) {
        let end = m.resolved.unwrap_or_else(chrono::Utc::now);
        for service in &detail.incident.services {
            let around = chrono::Duration::hours(1);
            if crate::db::reports::count_between(conn, service, start - around, end + around)? > 0 {
                has_reports = true;
                break;
            }
        }
    }
    Ok(CascadeFacts {
        linked,
        comments,
        has_reports,
    })
}

/// "2026-11-23 07:09 UTC → 09:30 UTC (2h 21m)", or "… → ongoing".
pub fn window(i: &crate::domain::Incident) -> String {
    let m = &i.milestones;
    match (m.started, m.resolved) {
        (Some(s), Some(r)) => format!("{} → {} ({})", utc(s), utc(r), humanize(r - s)),
        (Some(s), None) => format!("{} → ongoing", utc(s)),
        _ => String::new(),
    }
}
