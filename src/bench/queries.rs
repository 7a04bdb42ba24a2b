//! The fixed query mix: one to three terms, a phrase, a service filter and a time range, drawn
//! with a seeded RNG from the corpus's own words so that most queries match something. The
//! three-term queries end with a misspelt word, and two or three terms often match fewer than
//! ten incidents together, so typo expansion and relaxed matching are in the mix.

use chrono::{DateTime, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use aftermath::domain::ServiceSlug;
use aftermath::search::SearchRequest;

#[derive(Debug, Clone)]
pub struct BenchQuery {
    pub terms: Vec<String>,
    pub phrase: bool,
    pub service: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

const COMMON: [&str; 16] = [
    "latency",
    "errors",
    "webhook",
    "deliveries",
    "outage",
    "login",
    "timeouts",
    "degraded",
    "payments",
    "notifications",
    "certificate",
    "database",
    "dns",
    "deploy",
    "panne",
    "latence",
];
const PHRASES: [&str; 6] = [
    "elevated error rates",
    "delayed webhook deliveries",
    "expired certificate",
    "partial outage",
    "increased latency",
    "une latence accrue",
];

pub fn mix(seed: u64, n: usize, services: &[String]) -> Vec<BenchQuery> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let slugs: Vec<String> = services
        .iter()
        .filter_map(|s| ServiceSlug::slugify(s).map(|s| s.to_string()))
        .collect();
    (0..n)
        .map(|i| {
            let pick = |rng: &mut ChaCha8Rng| COMMON[rng.random_range(0..COMMON.len())].to_string();
            let mut q = BenchQuery {
                terms: Vec::new(),
                phrase: false,
                service: None,
                since: None,
                until: None,
            };
            match i % 10 {
                0..=2 => q.terms.push(pick(&mut rng)),
                3..=4 => q.terms.extend([pick(&mut rng), pick(&mut rng)]),
                5 => q
                    .terms
                    .extend([pick(&mut rng), pick(&mut rng), misspelt(&pick(&mut rng))]),
                6 => {
                    q.phrase = true;
                    q.terms = PHRASES[rng.random_range(0..PHRASES.len())]
                        .split(' ')
                        .map(str::to_string)
                        .collect();
                }
                7..=8 => {
                    q.terms.push(pick(&mut rng));
                    // Popular services are asked about most, as with the incidents themselves.
                    let k = (rng.random_range(0.0f64..1.0).powi(3) * slugs.len() as f64) as usize;
                    q.service = slugs.get(k.min(slugs.len().saturating_sub(1))).cloned();
                }
                _ => {
                    q.terms.push(pick(&mut rng));
                    let year = rng.random_range(2016..2026);
                    q.since = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single();
                    q.until = Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).single();
                }
            }
            q
        })
        .collect()
}

/// The word with its third and fourth letters swapped ("latency" → "laetncy"), as people type.
fn misspelt(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() >= 5 {
        chars.swap(2, 3);
    }
    chars.into_iter().collect()
}

impl BenchQuery {
    pub fn text(&self) -> String {
        let joined = self.terms.join(" ");
        if self.phrase {
            format!("\"{joined}\"")
        } else {
            joined
        }
    }

    pub fn request(&self) -> SearchRequest {
        SearchRequest {
            q: self.text(),
            service: self.service.clone(),
            since: self.since,
            until: self.until,
            limit: 10,
            ..Default::default()
        }
    }

    /// FTS5 syntax: each term quoted (so hyphens are not operators), implicit AND.
    pub fn fts5_match(&self) -> String {
        if self.phrase {
            format!("\"{}\"", self.terms.join(" "))
        } else {
            self.terms
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(" ")
        }
    }

    /// `websearch_to_tsquery` syntax, which reads the same as ours.
    pub fn websearch(&self) -> String {
        self.text()
    }

    /// The range as RFC 3339 text, unbounded ends as far dates, for SQL comparisons.
    pub fn range_text(&self) -> (String, String) {
        (
            self.since
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "0001-01-01T00:00:00+00:00".into()),
            self.until
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "9999-12-31T00:00:00+00:00".into()),
        )
    }
}
