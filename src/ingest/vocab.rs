//! Source words to our vocabularies. Unknown words map to `None`; callers keep the raw word.

use crate::domain::status::{Impact, IncidentStatus};

/// Lowercase with spaces, `_` and `-` removed: `In progress`, `in_progress`, `INPROGRESS` agree.
fn squash(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Incident and maintenance status words of Statuspage (any case), Instatus, Checkly and the
/// labels of Statuspage feeds. Maintenance words: `completed` is resolved, `verifying` is
/// monitoring, `in progress` is identified (the cause is known: the maintenance itself);
/// `scheduled` / `not started yet` have no equivalent and map to `None`.
pub fn status(word: &str) -> Option<IncidentStatus> {
    Some(match squash(word).as_str() {
        "investigating" => IncidentStatus::Investigating,
        "identified" => IncidentStatus::Identified,
        "monitoring" | "verifying" => IncidentStatus::Monitoring,
        "resolved" | "completed" => IncidentStatus::Resolved,
        "postmortem" => IncidentStatus::Postmortem,
        "inprogress" => IncidentStatus::Identified,
        _ => return None,
    })
}

/// Whether a status word belongs to a maintenance rather than an incident.
pub fn is_maintenance_word(word: &str) -> bool {
    matches!(
        squash(word).as_str(),
        "scheduled" | "inprogress" | "verifying" | "completed" | "notstartedyet" | "maintenance"
    )
}

/// Impact words of Statuspage (`none | minor | major | critical`) and the component-status
/// words some sources use for impact (Instatus, Better Stack): degraded is minor, partial outage
/// major, major outage critical.
pub fn impact(word: &str) -> Option<Impact> {
    Some(match squash(word).as_str() {
        "none" | "operational" => Impact::None,
        "minor" | "low" | "degradedperformance" | "degraded" | "minoroutage" => Impact::Minor,
        "major" | "medium" | "partialoutage" => Impact::Major,
        "critical" | "high" | "majoroutage" | "downtime" => Impact::Critical,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(status("Resolved"), Some(IncidentStatus::Resolved));
        assert_eq!(status("INVESTIGATING"), Some(IncidentStatus::Investigating));
        assert_eq!(status("In progress"), Some(IncidentStatus::Identified));
        assert_eq!(status("scheduled"), None);
        assert_eq!(status("Update"), None);
        assert_eq!(impact("MAJOROUTAGE"), Some(Impact::Critical));
        assert_eq!(impact("maintenance"), None);
        assert!(is_maintenance_word("in_progress"));
    }
}
