//! The codes sources publish, read as our words: AWS's 0 to 3, Google Cloud's impact words and
//! Statuspage's component statuses. The parsers and the migration that rewrote the entries
//! stored before these rules both read codes here, so the two always agree.
//!
//! Rules:
//! - An unknown code maps to `None`; the raw code stays in the observation's provenance.
//! - AWS: 0 operational (for a post: resolved), 1 informational, 2 degraded performance,
//!   3 service disruption. Impact is the worst the event reached: 2 is minor, 3 is major, 3 on
//!   several services is critical; 0 and 1 are none.
//! - AWS posts carry no identified or monitoring step, so the course of the severity stands in:
//!   the first post acknowledges, the first drop from the peak mitigates ([`aws_course`]).

use super::status::{ComponentStatus, Impact, IncidentStatus};

/// An AWS severity code (`"0"` … `"3"`, spaces allowed), if it is one.
pub fn aws_code(code: &str) -> Option<u8> {
    code.trim().parse::<u8>().ok().filter(|c| *c <= 3)
}

/// An AWS service's status code as a component status.
pub fn aws_service(code: &str) -> Option<ComponentStatus> {
    Some(match aws_code(code)? {
        0 => ComponentStatus::Operational,
        1 => ComponentStatus::Informational,
        2 => ComponentStatus::DegradedPerformance,
        _ => ComponentStatus::ServiceDisruption,
    })
}

/// The word an AWS post's status code shows: 0 on a post means the event is over.
pub fn aws_post_word(code: &str) -> Option<&'static str> {
    match aws_code(code)? {
        0 => Some("resolved"),
        c => aws_service(&c.to_string()).map(ComponentStatus::words),
    }
}

/// The code an AWS post's word stands for: [`aws_post_word`] read backwards, or the code itself.
pub fn aws_post_code(word: &str) -> Option<u8> {
    aws_code(word).or_else(|| (0..=3).find(|c| aws_post_word(&c.to_string()) == Some(word)))
}

/// The impact of an AWS event whose worst severity was `peak`, reached by `services_at_peak`
/// services at once (at least one when the peak is known).
pub fn aws_impact(peak: u8, services_at_peak: usize) -> Impact {
    match peak {
        3 if services_at_peak > 1 => Impact::Critical,
        3 => Impact::Major,
        2 => Impact::Minor,
        _ => Impact::None,
    }
}

/// The status each AWS post moves the incident to, from the course of the severity codes of the
/// posts (oldest first; `None` for a post without one): the first post is `identified`, the first
/// post after the peak with a lower code is `monitoring`, and a later post at 0 is `resolved`.
pub fn aws_course(codes: &[Option<u8>]) -> Vec<Option<IncidentStatus>> {
    let peak = codes.iter().flatten().copied().max();
    let peak_at = codes.iter().position(|c| c.is_some() && *c == peak);
    let first_drop = peak_at.and_then(|p| {
        (p + 1..codes.len()).find(|&i| matches!((codes[i], peak), (Some(c), Some(top)) if c < top))
    });
    codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            if i == 0 {
                Some(IncidentStatus::Identified)
            } else if Some(i) == first_drop {
                Some(IncidentStatus::Monitoring)
            } else if *code == Some(0) {
                Some(IncidentStatus::Resolved)
            } else {
                None
            }
        })
        .collect()
}

/// Where an AWS event stands after `course`: resolved when the source says so, else the last
/// step its posts reached, else investigating.
pub fn aws_status(resolved: bool, course: &[Option<IncidentStatus>]) -> IncidentStatus {
    if resolved {
        return IncidentStatus::Resolved;
    }
    course
        .iter()
        .flatten()
        .copied()
        .filter(|s| !s.is_closed())
        .max()
        .unwrap_or(IncidentStatus::Investigating)
}

/// Google Cloud's impact words (`SERVICE_INFORMATION`, `SERVICE_DISRUPTION`, `SERVICE_OUTAGE`,
/// and `AVAILABLE` on a post that ends one) as a component status.
pub fn gcp_status(word: &str) -> Option<ComponentStatus> {
    Some(match word.trim().to_ascii_uppercase().as_str() {
        "AVAILABLE" => ComponentStatus::Operational,
        "SERVICE_INFORMATION" => ComponentStatus::Informational,
        "SERVICE_DISRUPTION" => ComponentStatus::ServiceDisruption,
        "SERVICE_OUTAGE" => ComponentStatus::MajorOutage,
        _ => return None,
    })
}

/// The word a Google Cloud post's status shows.
pub fn gcp_post_word(word: &str) -> Option<&'static str> {
    match gcp_status(word)? {
        ComponentStatus::Operational => Some("available"),
        other => Some(other.words()),
    }
}

/// The impact of a Google Cloud impact word: information is minor, disruption major, outage
/// critical.
pub fn gcp_impact(word: &str) -> Option<Impact> {
    Some(match gcp_status(word)? {
        ComponentStatus::Informational => Impact::Minor,
        ComponentStatus::ServiceDisruption => Impact::Major,
        ComponentStatus::MajorOutage => Impact::Critical,
        _ => return None,
    })
}

/// A Statuspage component status (`operational`, `degraded_performance`, `partial_outage`,
/// `major_outage`, `under_maintenance`; any case).
pub fn statuspage_component(word: &str) -> Option<ComponentStatus> {
    word.trim().to_ascii_lowercase().parse().ok().filter(|s| {
        !matches!(
            s,
            ComponentStatus::Informational | ComponentStatus::ServiceDisruption
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;

    #[test]
    fn aws_codes_read_as_words() {
        assert_eq!(
            aws_service(" 3").map(ComponentStatus::words),
            Some("service disruption")
        );
        assert_eq!(aws_service("0"), Some(ComponentStatus::Operational));
        assert_eq!(aws_service("4"), None);
        assert_eq!(aws_post_word("0"), Some("resolved"));
        assert_eq!(aws_post_word("2"), Some("degraded performance"));
        assert_eq!(aws_post_code("service disruption"), Some(3));
        assert_eq!(aws_post_code("1"), Some(1));
        assert_eq!(aws_post_code("identified"), None);
    }

    #[test]
    fn aws_impact_is_the_peak_and_critical_on_several_services() {
        assert_eq!(aws_impact(1, 1), Impact::None);
        assert_eq!(aws_impact(2, 5), Impact::Minor);
        assert_eq!(aws_impact(3, 1), Impact::Major);
        assert_eq!(aws_impact(3, 2), Impact::Critical);
    }

    #[test]
    fn the_first_post_acknowledges_and_the_first_drop_from_the_peak_mitigates() {
        let course = aws_course(&[Some(1), Some(3), None, Some(3), Some(2), Some(2), Some(0)]);
        assert_eq!(
            course,
            [
                Some(Identified),
                None,
                None,
                None,
                Some(Monitoring),
                None,
                Some(Resolved)
            ]
        );
        assert_eq!(aws_status(false, &course), Monitoring);
        assert_eq!(aws_status(true, &course), Resolved);
        assert_eq!(aws_course(&[Some(2), Some(2)]), [Some(Identified), None]);
        assert_eq!(aws_status(false, &aws_course(&[])), Investigating);
    }

    #[test]
    fn a_drop_straight_to_zero_is_the_mitigation() {
        assert_eq!(
            aws_course(&[Some(3), Some(0)]),
            [Some(Identified), Some(Monitoring)]
        );
    }

    #[test]
    fn google_and_statuspage_words() {
        assert_eq!(gcp_post_word("SERVICE_OUTAGE"), Some("major outage"));
        assert_eq!(gcp_post_word("AVAILABLE"), Some("available"));
        assert_eq!(gcp_impact("service_disruption"), Some(Impact::Major));
        assert_eq!(
            statuspage_component("Partial_Outage"),
            Some(ComponentStatus::PartialOutage)
        );
        assert_eq!(statuspage_component("service_disruption"), None);
    }
}
