//! Relevance on real data: GitHub, AWS and Google Cloud history from `AFTERMATH_CORPUS`,
//! queried with the cases in `relevance.json`, each with its reason. Skipped (and it says
//! so) when the variable is not set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use aftermath::db::Db;
use aftermath::domain::SearchableIncident;
use aftermath::search::{Search, SearchRequest};
use serde::Deserialize;

use crate::helpers::fresh_database;

#[derive(Deserialize)]
struct Case {
    q: String,
    service: Option<String>,
    top: usize,
    all_expected_in_top: Option<Predicate>,
    every_hit: Option<Predicate>,
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Predicate {
    #[serde(default)]
    title_contains: Vec<String>,
    #[serde(default)]
    not_title_contains: Vec<String>,
    #[serde(default)]
    text_contains: Vec<String>,
    #[serde(default)]
    any_contains: Vec<String>,
    #[serde(default)]
    component_contains: Vec<String>,
    service: Option<String>,
    day: Option<String>,
}

impl Predicate {
    fn holds(&self, i: &SearchableIncident) -> bool {
        let title = i.title.to_lowercase();
        let text = i.texts.join("\n").to_lowercase();
        self.title_contains.iter().all(|w| title.contains(w))
            && !self.not_title_contains.iter().any(|w| title.contains(w))
            && self.text_contains.iter().all(|w| text.contains(w))
            && self
                .any_contains
                .iter()
                .all(|w| title.contains(w) || text.contains(w))
            && self
                .component_contains
                .iter()
                .all(|w| i.components.iter().any(|c| c.to_lowercase().contains(w)))
            && self.service.as_ref().is_none_or(|s| i.services.contains(s))
            && self
                .day
                .as_ref()
                .is_none_or(|d| i.started_at.format("%Y-%m-%d").to_string() == *d)
    }
}

/// One case of `relevance.json`, answered over the corpus.
struct Answered {
    case: Case,
    /// The top hits, best first.
    top: Vec<SearchableIncident>,
    /// With `all_expected_in_top`: every incident of the corpus the expectation matches.
    wanted: Option<Vec<SearchableIncident>>,
}

/// Every case answered, once for all the tests below (ingesting the corpus is the slow part);
/// `None`, having said so, when `AFTERMATH_CORPUS` is not set.
fn answered() -> Option<&'static [Answered]> {
    static ANSWERED: OnceLock<Vec<Answered>> = OnceLock::new();
    let Ok(corpus) = std::env::var("AFTERMATH_CORPUS") else {
        eprintln!("SKIPPED: AFTERMATH_CORPUS is not set; the relevance checks need the real data");
        return None;
    };
    Some(ANSWERED.get_or_init(|| answer_every_case(Path::new(&corpus))))
}

/// GitHub's and AWS's histories file by file, then Google Cloud's.
fn ingest_corpus(db: &Db, corpus: &Path) {
    let mut paths: Vec<PathBuf> = Vec::new();
    for sub in [
        "statuspage-github-incident-history/incidents",
        "aws-status-datajson-history",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json") && !p.ends_with("incident_codes.json")
            })
            .collect();
        files.sort();
        paths.extend(files);
    }
    paths.push(corpus.join("gcp-status-incidents/incidents.json"));
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        aftermath::correlate::ingest_bytes(
            db,
            None,
            None,
            &bytes,
            &aftermath::correlate::Provenance(format!("file:{}", path.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// Every incident of the store, as the index sees it, by id.
fn every_incident(db: &Db) -> HashMap<String, SearchableIncident> {
    let mut all = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = db
            .run(|c| aftermath::db::search_docs::page_after(c, after.as_deref(), 1000))
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.id.to_string());
        all.extend(page.into_iter().map(|i| (i.id.to_string(), i)));
    }
    all
}

fn answer_every_case(corpus: &Path) -> Vec<Answered> {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let db = Db::connect(&url).unwrap();
    ingest_corpus(&db, corpus);
    let (search, _) =
        Search::open_for_cli(db.clone(), &dir.path().join("data"), Duration::from_secs(5)).unwrap();
    let all = every_incident(&db);

    let cases: Vec<Case> =
        serde_json::from_str(include_str!("relevance.json")).expect("the cases parse");
    cases
        .into_iter()
        .map(|case| {
            let request = SearchRequest {
                q: case.q.clone(),
                service: case.service.clone(),
                limit: case.top,
                ..Default::default()
            };
            let results = search.query(&request.validated().unwrap()).unwrap();
            let top = results
                .hits
                .iter()
                .map(|h| all[&h.incident_id].clone())
                .collect();
            let wanted = case.all_expected_in_top.as_ref().map(|expected| {
                all.values()
                    .filter(|i| expected.holds(i))
                    .cloned()
                    .collect()
            });
            Answered { case, top, wanted }
        })
        .collect()
}

#[test]
fn every_relevance_query_finds_something() {
    let Some(answered) = answered() else { return };
    for Answered { case, top, .. } in answered {
        assert!(
            !top.is_empty(),
            "{:?} found nothing; {}",
            case.q,
            case.reason
        );
    }
}

#[test]
fn real_outages_are_found_where_people_expect_them() {
    let Some(answered) = answered() else { return };
    for Answered { case, top, wanted } in answered {
        let Some(wanted) = wanted else { continue };
        assert!(
            !wanted.is_empty(),
            "{:?}: the expectation matches no incident",
            case.q
        );
        for w in wanted {
            assert!(
                top.iter().any(|t| t.id == w.id),
                "{:?}: {:?} ({}) is not in the top {}.\nWhy it should be: {}",
                case.q,
                w.title,
                w.started_at,
                case.top,
                case.reason
            );
        }
    }
}

#[test]
fn outages_a_query_is_not_about_stay_out_of_its_top_hits() {
    let Some(answered) = answered() else { return };
    for Answered { case, top, .. } in answered {
        let Some(every) = &case.every_hit else {
            continue;
        };
        for t in top {
            assert!(
                every.holds(t),
                "{:?}: {:?} ({}) should not be in the top {}.\nWhy: {}",
                case.q,
                t.title,
                t.started_at,
                case.top,
                case.reason
            );
        }
    }
}
