//! Notification subscriptions: who hears about which changes, and how (issue 21).
//!
//! Rules:
//! - A subscription is a kind (`webhook`, `slack`, `email`), a target (an `http(s)` URL, or a
//!   mail address), a filter and a set of events. Everything is parsed here once, at the edge;
//!   an empty event list means every event.
//! - A filter's parts all have to hold: any of its services, any of its providers, at least its
//!   impact, its origin, and its saved-search query (matched by `jobs::notifications` with the
//!   search's own analyzers). An absent part holds for every incident.
//! - Where a target may point (public addresses only) is the poller's rule, checked by the
//!   caller; here only its shape is.

use super::{Impact, Origin, SearchableIncident, ValidationError};

/// How a subscription is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Webhook,
    Slack,
    Email,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Webhook, Kind::Slack, Kind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Slack => "slack",
            Kind::Email => "email",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                ValidationError::new("kind", format!("{raw:?} is not webhook, slack or email"))
            })
    }
}

/// The body of a webhook: Statuspage's webhook shape (the default) or Aftermath's own JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Statuspage,
    Aftermath,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Statuspage => "statuspage",
            Format::Aftermath => "aftermath",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw {
            "statuspage" => Ok(Format::Statuspage),
            "aftermath" => Ok(Format::Aftermath),
            other => Err(ValidationError::new(
                "format",
                format!("{other:?} is not statuspage or aftermath"),
            )),
        }
    }
}

/// What a subscriber can hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    IncidentCreated,
    IncidentUpdated,
    IncidentResolved,
    SpikeStarted,
    LinkCreated,
    PostmortemPublished,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::IncidentCreated,
        EventKind::IncidentUpdated,
        EventKind::IncidentResolved,
        EventKind::SpikeStarted,
        EventKind::LinkCreated,
        EventKind::PostmortemPublished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::IncidentCreated => "incident.created",
            EventKind::IncidentUpdated => "incident.updated",
            EventKind::IncidentResolved => "incident.resolved",
            EventKind::SpikeStarted => "spike.started",
            EventKind::LinkCreated => "link.created",
            EventKind::PostmortemPublished => "postmortem.published",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == raw)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|e| e.as_str()).collect();
                ValidationError::new(
                    "events",
                    format!("{raw:?} is not an event; events are {}", known.join(", ")),
                )
            })
    }

    /// The event an outbox row's word (`db::outbox::Event::as_str`) announces, if it is one
    /// anybody may hear about (an import is not).
    pub fn from_outbox(word: &str) -> Option<Self> {
        match word {
            "created" => Some(EventKind::IncidentCreated),
            "updated" => Some(EventKind::IncidentUpdated),
            "resolved" => Some(EventKind::IncidentResolved),
            "spike" => Some(EventKind::SpikeStarted),
            "link" => Some(EventKind::LinkCreated),
            "postmortem" => Some(EventKind::PostmortemPublished),
            _ => None,
        }
    }
}

/// Which incidents a subscription hears about; see the module rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub services: Vec<String>,
    pub providers: Vec<String>,
    pub min_impact: Option<Impact>,
    pub origin: Option<Origin>,
    /// A saved search, matched strictly; `None` or blank matches everything.
    pub query: Option<String>,
}

/// The longest saved-search query, as the search's own limit.
pub const MAX_QUERY_CHARS: usize = 1000;
/// The most services or providers a filter may name.
pub const MAX_FILTER_VALUES: usize = 100;

impl Filter {
    /// Checks the parts a filter may hold; lower-cases slugs and providers as stored.
    pub fn checked(mut self) -> Result<Self, ValidationError> {
        if self.services.len() > MAX_FILTER_VALUES || self.providers.len() > MAX_FILTER_VALUES {
            return Err(ValidationError::new(
                "filter",
                format!("at most {MAX_FILTER_VALUES} services and {MAX_FILTER_VALUES} providers"),
            ));
        }
        for value in self.services.iter_mut().chain(self.providers.iter_mut()) {
            let trimmed = value.trim().to_lowercase();
            if trimmed.is_empty() || trimmed.len() > 200 || trimmed.chars().any(char::is_control) {
                return Err(ValidationError::new(
                    "filter",
                    format!("{value:?} is not a service slug or provider"),
                ));
            }
            *value = trimmed;
        }
        self.query = self.query.map(|q| q.trim().to_string());
        if let Some(q) = &self.query {
            if q.chars().count() > MAX_QUERY_CHARS {
                return Err(ValidationError::new(
                    "filter",
                    format!("the query is longer than {MAX_QUERY_CHARS} characters"),
                ));
            }
            if q.is_empty() {
                self.query = None;
            }
        }
        Ok(self)
    }

    /// Whether every part except the query holds for `incident`.
    pub fn admits(&self, incident: &SearchableIncident) -> bool {
        let any = |wanted: &[String], has: &[String]| {
            wanted.is_empty()
                || has
                    .iter()
                    .any(|h| wanted.iter().any(|w| w.eq_ignore_ascii_case(h)))
        };
        any(&self.services, &incident.services)
            && any(&self.providers, &incident.providers)
            && self.min_impact.is_none_or(|min| incident.impact >= min)
            && self.origin.is_none_or(|o| incident.origin == o)
    }
}

/// The events a subscription asked for: every one when none is named.
pub fn parse_events(raw: &[String]) -> Result<Vec<EventKind>, ValidationError> {
    if raw.is_empty() {
        return Ok(EventKind::ALL.to_vec());
    }
    let mut events = raw
        .iter()
        .map(|e| EventKind::parse(e))
        .collect::<Result<Vec<_>, _>>()?;
    events.sort();
    events.dedup();
    Ok(events)
}

/// A target of this kind, by its shape: an `http(s)` URL, or for email one plain address.
pub fn check_target(kind: Kind, target: &str) -> Result<String, ValidationError> {
    let target = target.trim();
    let bad = |m: &str| ValidationError::new("target", m.to_string());
    if target.is_empty() || target.len() > 2000 || target.chars().any(char::is_control) {
        return Err(bad("a target is one line of at most 2000 characters"));
    }
    match kind {
        Kind::Webhook | Kind::Slack => {
            let lower = target.to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                return Err(bad("a webhook or Slack target is an http(s) URL"));
            }
        }
        Kind::Email => {
            let ok = target.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && target
                        .chars()
                        .all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"".contains(c) || c == '@')
                    && target.matches('@').count() == 1
            });
            if !ok {
                return Err(bad(
                    "an email target is one address such as ops@example.com",
                ));
            }
        }
    }
    Ok(target.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_named_as_the_api_names_them() {
        for e in EventKind::ALL {
            assert_eq!(EventKind::parse(e.as_str()), Ok(e));
        }
        assert!(EventKind::parse("incident.deleted").is_err());
        assert_eq!(parse_events(&[]).unwrap().len(), 6);
    }

    #[test]
    fn targets_are_urls_or_one_address() {
        assert!(check_target(Kind::Webhook, "https://example.com/hook").is_ok());
        assert!(check_target(Kind::Slack, "ftp://example.com").is_err());
        assert!(check_target(Kind::Email, "ops@example.com").is_ok());
        for bad in [
            "ops",
            "a@b",
            "a@b.com, c@d.com",
            "a@b.com\r\nBcc: x@y.z",
            "<a@b.com>",
        ] {
            assert!(check_target(Kind::Email, bad).is_err(), "{bad:?}");
        }
    }
}
