//! How a query is read before it is searched: its dates, product and region names, stop words
//! and content words. Pure: no index, no clock of its own (the caller passes `now`).
//!
//! Rules:
//! - A query with syntax (a quote, `field:value`, parentheses, `+`/`-` before a word, AND / OR
//!   / NOT) is "advanced": it is left whole to the query parser, read exactly as written.
//! - Otherwise, unless strict: the first date becomes a period and leaves the words; names in
//!   the alias table become one concept with every name of their group.
//! - Stop words are dropped from the concepts, unless nothing else is left, in which case they
//!   are searched as plain words.

mod aliases;
pub mod dates;
mod stopwords;
mod words;

use chrono::{DateTime, Utc};

pub use aliases::Group;
pub use dates::Period;
pub use stopwords::is_stop_word;
pub use words::normalize;

/// A query, read.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Left whole to the query parser.
    pub advanced: bool,
    /// What the query asks about, in order.
    pub concepts: Vec<Concept>,
    /// Stop words left out, as typed.
    pub dropped: Vec<String>,
    /// The period the query named.
    pub period: Option<Period>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Concept {
    /// One word, normalized.
    Word(String),
    /// A name of the alias table: the words as typed, and the group.
    Alias {
        typed: String,
        group: &'static Group,
    },
}

impl Concept {
    /// The concept as the user typed it.
    pub fn typed(&self) -> &str {
        match self {
            Concept::Word(w) => w,
            Concept::Alias { typed, .. } => typed,
        }
    }
}

/// Words that say something broke, which every incident did: beside other words they rank
/// (an incident that says "outage" first) but are not required, since providers rarely write
/// them ("increased error rates", "service disruption").
const GENERIC: &[&str] = &[
    "outage",
    "outages",
    "incident",
    "incidents",
    "problem",
    "problems",
    "panne",
    "pannes",
    "down",
    "broken",
];

/// Whether a concept only says that something broke.
pub fn is_generic(concept: &Concept) -> bool {
    matches!(concept, Concept::Word(w) if GENERIC.contains(&w.as_str()))
}

/// The words providers write where people say "outage" or "panne": a generic word beside
/// others ranks the hits that say any of them first, since an AWS post about an outage reads
/// "increased error rates" or "service disruption" and almost never "outage".
pub const SAID_BY_PROVIDERS: &[&str] = &[
    "error",
    "disruption",
    "unavailable",
    "impaired",
    "erreur",
    "indisponible",
    "perturbation",
];

/// Whether a concept names a region (where something broke, not what): see `proximity`.
pub fn is_region(concept: &Concept) -> bool {
    matches!(concept, Concept::Alias { group, .. } if group.region.is_some())
}

/// Whether `q` uses query syntax, which the parser reads exactly.
pub fn is_advanced(q: &str) -> bool {
    q.contains(['"', ':', '(', ')', '+', '[', ']', '{', '}', '^', '~'])
        || q.split_whitespace()
            .any(|w| w.starts_with('-') || ["AND", "OR", "NOT"].contains(&w))
}

pub fn read(q: &str, strict: bool, now: DateTime<Utc>) -> Reading {
    if is_advanced(q) {
        return Reading {
            advanced: true,
            ..Default::default()
        };
    }
    let split = words::split(q);
    let mut typed: Vec<String> = split.iter().map(|(t, _)| t.clone()).collect();
    let mut normal: Vec<String> = split.into_iter().map(|(_, n)| n).collect();
    let period = if strict {
        None
    } else {
        dates::find(&normal, now)
    };
    if let Some(p) = &period {
        typed.drain(p.span.0..p.span.1);
        normal.drain(p.span.0..p.span.1);
    }
    let (concepts, dropped) = concepts(&typed, &normal, strict);
    Reading {
        advanced: false,
        concepts,
        dropped,
        period,
    }
}

fn concepts(typed: &[String], normal: &[String], strict: bool) -> (Vec<Concept>, Vec<String>) {
    let mut concepts = Vec::new();
    let mut stops = Vec::new();
    let mut i = 0;
    while i < normal.len() {
        if !strict && let Some((group, n)) = aliases::match_at(&normal[i..]) {
            concepts.push(Concept::Alias {
                typed: typed[i..i + n].join(" "),
                group,
            });
            i += n;
            continue;
        }
        if is_stop_word(&normal[i]) {
            stops.push((concepts.len(), i));
        } else {
            concepts.push(Concept::Word(normal[i].clone()));
        }
        i += 1;
    }
    if concepts.is_empty() {
        // Only stop words: search them as they are rather than search nothing.
        let all = stops.iter().map(|(_, i)| Concept::Word(normal[*i].clone()));
        return (all.collect(), Vec::new());
    }
    let dropped = stops.iter().map(|(_, i)| typed[*i].clone()).collect();
    (concepts, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-07T12:00:00Z".parse().unwrap()
    }

    fn typed(r: &Reading) -> Vec<&str> {
        r.concepts.iter().map(Concept::typed).collect()
    }

    #[test]
    fn sentences_lose_their_stop_words_and_keep_their_content() {
        let r = read("errors in webhooks", false, now());
        assert_eq!(typed(&r), ["errors", "webhooks"]);
        assert_eq!(r.dropped, ["in"]);
        let r = read("erreur de connexion", false, now());
        assert_eq!(typed(&r), ["erreur", "connexion"]);
    }

    #[test]
    fn only_stop_words_are_searched_as_words() {
        let r = read("the of", false, now());
        assert_eq!(typed(&r), ["the", "of"]);
        assert!(r.dropped.is_empty());
    }

    #[test]
    fn names_dates_and_syntax() {
        let r = read("outage in N. Virginia october 20 2025", false, now());
        assert_eq!(typed(&r), ["outage", "N. Virginia"]);
        assert!(
            matches!(&r.concepts[1], Concept::Alias { group, .. } if group.region.as_deref() == Some("us-east-1"))
        );
        assert_eq!(r.period.unwrap().text, "october 20 2025");
        let strict = read("outage october 20 2025", true, now());
        assert!(strict.period.is_none());
        assert!(read("\"erreur de connexion\"", false, now()).advanced);
        assert!(read("webhooks -actions", false, now()).advanced);
        assert!(read("component:kinesis", false, now()).advanced);
        assert!(!read("us-east-1 pub/sub", false, now()).advanced);
        assert!(read(")))", false, now()).advanced);
        assert!(read("?!.,", false, now()).concepts.is_empty());
    }
}
