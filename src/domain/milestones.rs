//! Milestone times and the durations derived from them.
//!
//! Rules (the same for every origin):
//! - `started` is when the outage began; `detected` is when we first heard of it.
//! - An update that moves the status sets a milestone: the first `identified` sets `acknowledged`,
//!   the first `monitoring` sets `mitigated`, and `resolved` (or `postmortem`) sets `resolved`.
//! - "First" means a milestone that is already set is never moved by an update, so a time a person
//!   set by hand always wins. Reopening a resolved incident clears `resolved`.
//! - Durations: detect = started→detected, acknowledge = detected→acknowledged,
//!   mitigate = started→mitigated, resolve = started→resolved. A missing end gives no duration.

use chrono::{DateTime, Duration, Utc};

use super::status::IncidentStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Milestones {
    pub started: Option<DateTime<Utc>>,
    pub detected: Option<DateTime<Utc>>,
    pub acknowledged: Option<DateTime<Utc>>,
    pub mitigated: Option<DateTime<Utc>>,
    pub resolved: Option<DateTime<Utc>>,
}

impl Milestones {
    /// Applies the milestone rules for an update at `at` that moves the status from `from` to `to`.
    pub fn apply_status_change(
        &mut self,
        from: IncidentStatus,
        to: IncidentStatus,
        at: DateTime<Utc>,
    ) {
        match to {
            IncidentStatus::Investigating => {}
            IncidentStatus::Identified => {
                self.acknowledged.get_or_insert(at);
            }
            IncidentStatus::Monitoring => {
                self.mitigated.get_or_insert(at);
            }
            IncidentStatus::Resolved | IncidentStatus::Postmortem => {
                if !from.is_closed() || self.resolved.is_none() {
                    self.resolved = Some(at);
                }
            }
        }
        if from.is_closed() && !to.is_closed() {
            self.resolved = None;
        }
    }

    /// Every milestone with the name people read for it, in the order they happen. The pages
    /// and the postmortem draft both use these names.
    pub fn labelled(&self) -> [(&'static str, Option<DateTime<Utc>>); 5] {
        [
            ("Started", self.started),
            ("Detected", self.detected),
            ("Acknowledged", self.acknowledged),
            ("Mitigated", self.mitigated),
            ("Resolved", self.resolved),
        ]
    }

    pub fn durations(&self) -> Durations {
        let between = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        Durations {
            to_detect: between(self.started, self.detected),
            to_acknowledge: between(self.detected, self.acknowledged),
            to_mitigate: between(self.started, self.mitigated),
            to_resolve: between(self.started, self.resolved),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Durations {
    pub to_detect: Option<Duration>,
    pub to_acknowledge: Option<Duration>,
    pub to_mitigate: Option<Duration>,
    pub to_resolve: Option<Duration>,
}

impl Durations {
    /// Every duration with the name people read for it (pages and postmortem drafts).
    pub fn labelled(&self) -> [(&'static str, Option<Duration>); 4] {
        [
            ("Time to detect", self.to_detect),
            ("Time to acknowledge", self.to_acknowledge),
            ("Time to mitigate", self.to_mitigate),
            ("Time to resolve", self.to_resolve),
        ]
    }
}

/// "2h 05m", "9m", "45s": short enough for a table cell, exact to the minute past an hour.
pub fn humanize(d: Duration) -> String {
    let secs = d.num_seconds();
    let (sign, secs) = if secs < 0 { ("-", -secs) } else { ("", secs) };
    let (days, hours, mins) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{sign}{secs}s"),
        (0, 0, m) => format!("{sign}{m}m"),
        (0, h, m) => format!("{sign}{h}h {m:02}m"),
        (d, h, m) => format!("{sign}{d}d {h}h {m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 20, h, m, 0)
            .single()
            .unwrap()
    }

    #[test]
    fn the_first_identified_sets_acknowledged_and_a_later_one_does_not_move_it() {
        let mut m = Milestones::default();
        m.apply_status_change(Investigating, Identified, at(7, 30));
        m.apply_status_change(Identified, Investigating, at(8, 0));
        m.apply_status_change(Investigating, Identified, at(9, 0));
        assert_eq!(m.acknowledged, Some(at(7, 30)));
    }

    #[test]
    fn the_first_monitoring_sets_mitigated_and_resolved_sets_resolved() {
        let mut m = Milestones::default();
        m.apply_status_change(Identified, Monitoring, at(10, 0));
        m.apply_status_change(Monitoring, Resolved, at(12, 0));
        assert_eq!(
            (m.mitigated, m.resolved),
            (Some(at(10, 0)), Some(at(12, 0)))
        );
    }

    #[test]
    fn a_time_set_by_a_person_wins_over_later_updates() {
        let mut m = Milestones {
            acknowledged: Some(at(7, 5)),
            ..Default::default()
        };
        m.apply_status_change(Investigating, Identified, at(7, 30));
        assert_eq!(m.acknowledged, Some(at(7, 5)));
    }

    #[test]
    fn reopening_clears_resolved_and_resolving_again_sets_it_anew() {
        let mut m = Milestones::default();
        m.apply_status_change(Monitoring, Resolved, at(12, 0));
        m.apply_status_change(Resolved, Investigating, at(13, 0));
        assert_eq!(m.resolved, None);
        m.apply_status_change(Investigating, Resolved, at(14, 0));
        assert_eq!(m.resolved, Some(at(14, 0)));
    }

    #[test]
    fn durations_are_measured_from_the_right_milestones() {
        let m = Milestones {
            started: Some(at(7, 0)),
            detected: Some(at(7, 10)),
            acknowledged: Some(at(7, 40)),
            mitigated: Some(at(9, 0)),
            resolved: None,
        };
        let d = m.durations();
        assert_eq!(d.to_detect, Some(Duration::minutes(10)));
        assert_eq!(d.to_acknowledge, Some(Duration::minutes(30)));
        assert_eq!(d.to_mitigate, Some(Duration::hours(2)));
        assert_eq!(d.to_resolve, None);
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(humanize(Duration::seconds(45)), "45s");
        assert_eq!(humanize(Duration::minutes(9)), "9m");
        assert_eq!(humanize(Duration::minutes(125)), "2h 05m");
        assert_eq!(humanize(Duration::hours(26)), "1d 2h 00m");
    }
}
