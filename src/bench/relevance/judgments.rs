//! The judged queries of `tests/api/search/judgments/`, and the incidents they name, found in a
//! store by service, title and start day.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use aftermath::domain::SearchableIncident;

#[derive(Debug, Deserialize)]
pub struct Query {
    pub q: String,
    pub kind: String,
    pub lang: String,
    /// The clock, for queries with relative dates.
    pub now: Option<DateTime<Utc>>,
    pub judged: Vec<Judged>,
}

#[derive(Debug, Deserialize)]
pub struct Judged {
    pub service: String,
    pub title: String,
    pub day: NaiveDate,
    pub grade: u8,
    #[allow(dead_code)]
    pub reason: String,
}

/// The tuning half and the held-out half.
pub fn halves() -> anyhow::Result<[(&'static str, Vec<Query>); 2]> {
    Ok([
        (
            "tuning",
            serde_json::from_str(include_str!(
                "../../../tests/api/search/judgments/tuning.json"
            ))?,
        ),
        (
            "held_out",
            serde_json::from_str(include_str!(
                "../../../tests/api/search/judgments/held_out.json"
            ))?,
        ),
    ])
}

/// Incidents by (service, title), each with its id and start day.
pub struct Finder(HashMap<(String, String), Vec<(String, NaiveDate)>>);

fn key(service: &str, title: &str) -> (String, String) {
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    (service.to_string(), title.to_lowercase())
}

impl Finder {
    pub fn new(all: &[SearchableIncident]) -> Self {
        let mut map: HashMap<_, Vec<_>> = HashMap::new();
        for i in all {
            for service in &i.services {
                map.entry(key(service, &i.title))
                    .or_default()
                    .push((i.id.to_string(), i.started_at.date_naive()));
            }
        }
        Self(map)
    }

    /// The ids a judgment names: same service and title, started within a day of the judged
    /// day (sources disagree on when an incident started).
    pub fn ids(&self, j: &Judged) -> Vec<String> {
        self.0
            .get(&key(&j.service, &j.title))
            .into_iter()
            .flatten()
            .filter(|(_, day)| (*day - j.day).num_days().abs() <= 1)
            .map(|(id, _)| id.clone())
            .collect()
    }
}
