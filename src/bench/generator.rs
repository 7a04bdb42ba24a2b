//! A seeded corpus that looks like the real data: Statuspage incident lists for services of
//! Zipf-distributed popularity, incidents of 2 to 5 updates with a long tail past 100, and update
//! prose in English and French drawn from a large vocabulary.
//!
//! Rule: the same seed and scale give byte-for-byte the same documents (ChaCha8, never the
//! thread RNG), so two runs measure the same work.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// Incidents per generated document, as a status page lists them.
const PER_DOCUMENT: usize = 50;

pub struct Generator {
    rng: ChaCha8Rng,
    services: Vec<ServiceSpec>,
    /// Cumulative Zipf weights over `services`.
    popularity: Vec<f64>,
    words: Vec<String>,
    pending: Vec<Vec<Value>>,
    entries_left: u64,
    serial: u64,
}

pub struct ServiceSpec {
    pub name: String,
    pub components: Vec<String>,
}

/// One Statuspage incidents-list document and the timeline entries it carries.
pub struct Document {
    pub json: Vec<u8>,
    pub entries: u64,
    pub incidents: u64,
}

impl Generator {
    pub fn new(seed: u64, services: usize, entries: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let words = vocabulary(&mut rng, 4000);
        let services: Vec<ServiceSpec> = (0..services.max(1))
            .map(|i| {
                let name = format!(
                    "{} {}",
                    capitalised(&words[i % words.len()]),
                    SUFFIXES[i % SUFFIXES.len()]
                );
                let mut components: Vec<String> = COMPONENTS
                    .iter()
                    .filter(|_| rng.random_bool(0.4))
                    .map(|c| c.to_string())
                    .collect();
                components.push(capitalised(&words[rng.random_range(0..words.len())]));
                ServiceSpec { name, components }
            })
            .collect();
        let mut total = 0.0;
        let popularity = (1..=services.len())
            .map(|k| {
                total += 1.0 / (k as f64).powf(1.1);
                total
            })
            .collect();
        Self {
            rng,
            pending: vec![Vec::new(); services.len()],
            services,
            popularity,
            words,
            entries_left: entries,
            serial: 0,
        }
    }

    pub fn services(&self) -> &[ServiceSpec] {
        &self.services
    }

    /// The next document, or `None` when the entry budget is spent and every page is flushed.
    pub fn next_document(&mut self) -> Option<Document> {
        while self.entries_left > 0 {
            let s = self.pick_service();
            let incident = self.incident(s);
            self.pending[s].push(incident);
            if self.pending[s].len() == PER_DOCUMENT {
                return Some(self.flush(s));
            }
        }
        let s = self.pending.iter().position(|p| !p.is_empty())?;
        Some(self.flush(s))
    }

    fn pick_service(&mut self) -> usize {
        let total = self.popularity.last().copied().unwrap_or(1.0);
        let x = self.rng.random_range(0.0..total);
        self.popularity
            .partition_point(|c| *c < x)
            .min(self.services.len() - 1)
    }

    fn flush(&mut self, s: usize) -> Document {
        let incidents = std::mem::take(&mut self.pending[s]);
        let entries = incidents
            .iter()
            .map(|i| {
                i["incident_updates"]
                    .as_array()
                    .map_or(0, |u| u.len() as u64)
            })
            .sum();
        let service = &self.services[s];
        let page_id = format!("page{s:08}");
        let doc = json!({
            "page": {"id": page_id, "name": service.name,
                     "url": format!("https://status.{}.example", slug(&service.name)),
                     "updated_at": "2026-11-01T00:00:00Z"},
            "incidents": incidents,
        });
        Document {
            json: serde_json::to_vec(&doc).unwrap_or_default(),
            entries,
            incidents: incidents_len(&doc),
        }
    }

    /// Most incidents have 2 to 5 updates; a long tail has 100 or more.
    fn update_count(&mut self) -> usize {
        match self.rng.random_range(0..1000) {
            0..760 => self.rng.random_range(2..=5),
            760..930 => self.rng.random_range(6..=25),
            930..990 => self.rng.random_range(26..=99),
            _ => self.rng.random_range(100..=300),
        }
    }

    fn incident(&mut self, s: usize) -> Value {
        self.serial += 1;
        let id = format!("inc{:010}", self.serial);
        let n = (self.update_count() as u64).min(self.entries_left.max(1)) as usize;
        self.entries_left = self.entries_left.saturating_sub(n as u64);
        let french = self.rng.random_bool(0.15);
        let component = {
            let c = &self.services[s].components;
            c[self.rng.random_range(0..c.len())].clone()
        };
        let start = Utc
            .with_ymd_and_hms(2016, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::minutes(self.rng.random_range(0..(60 * 24 * 365 * 10)));
        let title = self.title(&component, french);
        let impact =
            ["none", "minor", "minor", "minor", "major", "critical"][self.rng.random_range(0..6)];
        let mut at = start;
        let mut updates = Vec::with_capacity(n);
        for k in 0..n {
            let status = match k {
                0 => "investigating",
                _ if k + 1 == n => "resolved",
                _ if k * 3 < n => "identified",
                _ => "monitoring",
            };
            updates.push(json!({
                "id": format!("{id}u{k:04}"),
                "status": status,
                "body": self.sentence(&component, status, french),
                "incident_id": id,
                "created_at": stamp(at),
                "updated_at": stamp(at),
                "display_at": stamp(at),
                "affected_components": [{"code": slug(&component), "name": component,
                                         "old_status": "operational", "new_status": "partial_outage"}],
            }));
            at += Duration::minutes(self.rng.random_range(3..90));
        }
        updates.reverse();
        json!({
            "id": id, "name": title, "status": "resolved", "impact": impact,
            "created_at": stamp(start), "updated_at": stamp(at), "started_at": stamp(start),
            "resolved_at": stamp(at), "monitoring_at": null,
            "shortlink": format!("https://stspg.example/{id}"), "page_id": format!("page{s:08}"),
            "incident_updates": updates,
        })
    }

    fn word(&mut self) -> String {
        // Zipf-like reuse: common words often, the long tail rarely.
        let i = (self.rng.random_range(0.0f64..1.0).powi(3) * self.words.len() as f64) as usize;
        self.words[i.min(self.words.len() - 1)].clone()
    }

    fn title(&mut self, component: &str, french: bool) -> String {
        if french {
            let s = FR_SYMPTOMS[self.rng.random_range(0..FR_SYMPTOMS.len())];
            format!("{} sur {component}", capitalised(s))
        } else {
            let s = EN_SYMPTOMS[self.rng.random_range(0..EN_SYMPTOMS.len())];
            format!("{} for {component}", capitalised(s))
        }
    }

    fn sentence(&mut self, component: &str, status: &str, french: bool) -> String {
        let (w1, w2, w3) = (self.word(), self.word(), self.word());
        let region = REGIONS[self.rng.random_range(0..REGIONS.len())];
        if french {
            let s = FR_SYMPTOMS[self.rng.random_range(0..FR_SYMPTOMS.len())];
            let c = FR_CAUSES[self.rng.random_range(0..FR_CAUSES.len())];
            match status {
                "investigating" => format!(
                    "Nous enquêtons sur {s} de {component} dans la région {region}. Les requêtes {w1} et {w2} sont touchées."
                ),
                "identified" => format!(
                    "La cause est identifiée : {c} dans la couche {w1} de {component}. Le service {w2} reste dégradé."
                ),
                "monitoring" => format!(
                    "Un correctif a été déployé sur {component} ; nous surveillons {w1} et {w3} dans la région {region}."
                ),
                _ => format!(
                    "L'incident est résolu. Les clients ont subi {s} ; {c} est corrigé pour {w1}."
                ),
            }
        } else {
            let s = EN_SYMPTOMS[self.rng.random_range(0..EN_SYMPTOMS.len())];
            let c = EN_CAUSES[self.rng.random_range(0..EN_CAUSES.len())];
            match status {
                "investigating" => format!(
                    "We are investigating {s} for {component} in {region}. Requests to {w1} and {w2} may fail."
                ),
                "identified" => format!(
                    "We have identified the cause: {c} in the {w1} layer of {component}. {} traffic remains degraded.",
                    capitalised(&w2)
                ),
                "monitoring" => format!(
                    "A fix has been applied to {component}. We are monitoring {w1} and {w3} in {region} as {s} subside."
                ),
                _ => format!(
                    "This incident has been resolved. Customers saw {s} caused by {c}; {w1} is healthy again."
                ),
            }
        }
    }
}

fn incidents_len(doc: &Value) -> u64 {
    doc["incidents"].as_array().map_or(0, |a| a.len() as u64)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Pronounceable made-up words, so the text has a real vocabulary's spread of rare terms.
fn vocabulary(rng: &mut ChaCha8Rng, n: usize) -> Vec<String> {
    const ONSETS: [&str; 16] = [
        "b", "br", "c", "cl", "d", "f", "g", "gr", "k", "l", "m", "n", "p", "st", "tr", "v",
    ];
    const VOWELS: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ou", "ea"];
    const CODAS: [&str; 10] = ["", "n", "r", "s", "t", "x", "nd", "rk", "l", "m"];
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let syllables = rng.random_range(2..=3);
        let word: String = (0..syllables)
            .map(|_| {
                format!(
                    "{}{}{}",
                    ONSETS[rng.random_range(0..ONSETS.len())],
                    VOWELS[rng.random_range(0..VOWELS.len())],
                    CODAS[rng.random_range(0..CODAS.len())]
                )
            })
            .collect();
        if seen.insert(word.clone()) {
            out.push(word);
        }
    }
    out
}

const SUFFIXES: [&str; 6] = ["Cloud", "Pay", "Chat", "Maps", "Games", "Mail"];
const COMPONENTS: [&str; 12] = [
    "API",
    "Webhooks",
    "Dashboard",
    "Login",
    "Payments",
    "Search",
    "Notifications",
    "Git Operations",
    "Storage",
    "DNS",
    "Load Balancers",
    "Mobile App",
];
const REGIONS: [&str; 8] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
];
const EN_SYMPTOMS: [&str; 12] = [
    "elevated error rates",
    "increased latency",
    "delayed webhook deliveries",
    "failed logins",
    "request timeouts",
    "degraded performance",
    "a partial outage",
    "dropped connections",
    "slow page loads",
    "stale data",
    "failed payments",
    "missing notifications",
];
const EN_CAUSES: [&str; 10] = [
    "a faulty deploy",
    "DNS resolution failures",
    "an expired certificate",
    "a saturated database",
    "a network partition",
    "a misconfigured load balancer",
    "a memory leak",
    "a cache stampede",
    "a full disk",
    "throttling by an upstream provider",
];
const FR_SYMPTOMS: [&str; 8] = [
    "des taux d'erreur élevés",
    "une latence accrue",
    "des livraisons de webhooks retardées",
    "des échecs de connexion",
    "une panne partielle",
    "des délais d'attente dépassés",
    "des paiements refusés",
    "des notifications manquantes",
];
const FR_CAUSES: [&str; 6] = [
    "un déploiement défectueux",
    "des échecs de résolution DNS",
    "un certificat expiré",
    "une base de données saturée",
    "une partition réseau",
    "une fuite de mémoire",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_documents() {
        let run = || {
            let mut g = Generator::new(7, 20, 2_000);
            std::iter::from_fn(|| g.next_document())
                .map(|d| d.json)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn the_entry_budget_is_met_and_sizes_follow_the_corpus() {
        let mut g = Generator::new(1, 50, 20_000);
        let docs: Vec<Document> = std::iter::from_fn(|| g.next_document()).collect();
        let entries: u64 = docs.iter().map(|d| d.entries).sum();
        let incidents: u64 = docs.iter().map(|d| d.incidents).sum();
        assert_eq!(entries, 20_000);
        let mean = entries as f64 / incidents as f64;
        assert!(
            (5.0..20.0).contains(&mean),
            "mean updates per incident {mean}"
        );
    }
}
