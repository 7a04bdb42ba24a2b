//! The closed vocabularies of an incident: status, impact, origin, and the kinds of timeline entries
//! and services.
//!
//! Rule: these enums are what *we* accept from people (API, forms) and store. Sources drift, so
//! ingest keeps a source's own word next to the mapped value instead of failing on an unknown one;
//! `parse` here is strict and is used where a person typed the value.

use std::fmt;
use std::str::FromStr;

/// A value that is not part of a closed vocabulary; carries what was given and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub given: String,
    pub allowed: &'static [&'static str],
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown value {:?}; expected one of: {}",
            self.given,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownValue { given: other.to_string(), allowed: Self::NAMES }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// Where an incident is in its life. Ordered as it usually moves.
    IncidentStatus {
        Investigating => "investigating",
        Identified => "identified",
        Monitoring => "monitoring",
        Resolved => "resolved",
        Postmortem => "postmortem",
    }
);

impl IncidentStatus {
    /// Resolved and postmortem both mean the outage itself is over.
    pub fn is_closed(self) -> bool {
        matches!(self, IncidentStatus::Resolved | IncidentStatus::Postmortem)
    }
}

vocabulary!(
    /// How bad it is, in Statuspage's words.
    Impact {
        None => "none",
        Minor => "minor",
        Major => "major",
        Critical => "critical",
    }
);

vocabulary!(
    /// How a component (an AWS service, a Statuspage component, a Google Cloud product) stands,
    /// in one vocabulary for every source. Ordered from well to worst; maintenance last.
    ComponentStatus {
        Operational => "operational",
        Informational => "informational",
        DegradedPerformance => "degraded_performance",
        PartialOutage => "partial_outage",
        ServiceDisruption => "service_disruption",
        MajorOutage => "major_outage",
        UnderMaintenance => "under_maintenance",
    }
);

impl ComponentStatus {
    /// The words a reader sees: the name with spaces.
    pub fn words(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::Informational => "informational",
            ComponentStatus::DegradedPerformance => "degraded performance",
            ComponentStatus::PartialOutage => "partial outage",
            ComponentStatus::ServiceDisruption => "service disruption",
            ComponentStatus::MajorOutage => "major outage",
            ComponentStatus::UnderMaintenance => "under maintenance",
        }
    }
}

vocabulary!(
    /// An outage, or work the provider scheduled (it stays out of outage counts and spikes).
    IncidentKind {
        Incident => "incident",
        Maintenance => "maintenance",
    }
);

vocabulary!(
    /// A maintenance's own statuses, read from its incident status and its window.
    MaintenanceStatus {
        Scheduled => "scheduled",
        InProgress => "in_progress",
        Verifying => "verifying",
        Completed => "completed",
    }
);

impl MaintenanceStatus {
    /// Completed once resolved, verifying while monitored, in progress once identified or once
    /// its window has begun, scheduled before that.
    pub fn of(
        status: IncidentStatus,
        scheduled_for: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        match status {
            IncidentStatus::Resolved | IncidentStatus::Postmortem => Self::Completed,
            IncidentStatus::Monitoring => Self::Verifying,
            IncidentStatus::Identified => Self::InProgress,
            IncidentStatus::Investigating if scheduled_for.is_some_and(|s| s <= now) => {
                Self::InProgress
            }
            IncidentStatus::Investigating => Self::Scheduled,
        }
    }
}

vocabulary!(
    /// Who told us about the incident first.
    Origin {
        StatusPage => "status_page",
        UserReports => "user_reports",
        Manual => "manual",
    }
);

vocabulary!(
    /// What a timeline entry records.
    EntryKind {
        StatusUpdate => "status_update",
        ReportSpike => "report_spike",
        ComponentChange => "component_change",
        Note => "note",
        PostmortemLink => "postmortem_link",
    }
);

vocabulary!(
    /// Infrastructure is what others build on (a cloud region); applications are built on it.
    ServiceKind {
        Infrastructure => "infrastructure",
        Application => "application",
    }
);

vocabulary!(
    /// How two incidents relate, read from the `from` side.
    LinkKind {
        Upstream => "upstream",
        Downstream => "downstream",
        Duplicate => "duplicate",
        Related => "related",
    }
);

vocabulary!(
    /// Whether a link was found by the correlator or set by a person.
    LinkSetBy {
        Auto => "auto",
        Person => "person",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_variant() {
        for status in IncidentStatus::ALL {
            assert_eq!(status.as_str().parse::<IncidentStatus>(), Ok(*status));
        }
        for impact in Impact::ALL {
            assert_eq!(impact.as_str().parse::<Impact>(), Ok(*impact));
        }
    }

    #[test]
    fn an_unknown_value_names_what_is_allowed() {
        let err = "broken".parse::<Impact>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown value \"broken\"; expected one of: none, minor, major, critical"
        );
    }
}
