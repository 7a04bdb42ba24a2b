//! `aftermath bench --relevance`: nDCG@10 and recall@10 of Aftermath's search and of SQLite
//! FTS5's bm25 (in its fair OR form, see [`fts_or`]) over the same incident documents, for the
//! judged queries of `tests/api/search/judgments/`, each half reported apart.
//!
//! Rules: the store holds the GitHub, AWS and Google Cloud history of the real corpus (the part
//! the judgments were made on), the cascade fixture's catalog and status posts and the French
//! fixture; it is a fresh one in the workspace. Results are read as the page shows them, each
//! followed by the hits nested under it (grouped by cascade), and the first ten count. Only the tuning half is listed query by query: the held-out
//! half is for the final figure, never for tuning.

mod fts_or;
mod judgments;
mod metrics;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::Options;
use super::workspace::Workspace;
use aftermath::correlate::{Provenance, ingest_bytes};
use aftermath::db::{Db, search_docs};
use aftermath::domain::SearchableIncident;
use aftermath::search::{Search, SearchRequest};
use judgments::{Finder, Query};

const K: usize = 10;

/// The fixtures judged beside the corpus, built into the binary.
const FIXTURES: &[(&str, &[u8])] = &[
    (
        "fixtures/cascade/status-nimbus.json",
        include_bytes!("../../../fixtures/cascade/status-nimbus.json"),
    ),
    (
        "fixtures/cascade/status-snapgram.json",
        include_bytes!("../../../fixtures/cascade/status-snapgram.json"),
    ),
    (
        "fixtures/cascade/status-robotrade.json",
        include_bytes!("../../../fixtures/cascade/status-robotrade.json"),
    ),
    (
        "fixtures/search/statuspage-fr.json",
        include_bytes!("../../../fixtures/search/statuspage-fr.json"),
    ),
];

#[derive(Debug, Clone, Serialize, Default)]
pub struct Scores {
    pub ndcg10: f64,
    pub recall10: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Half {
    pub name: String,
    pub queries: usize,
    pub aftermath: Scores,
    pub fts5: Scores,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindRow {
    pub kind: String,
    pub queries: usize,
    pub aftermath_ndcg10: f64,
    pub fts5_ndcg10: f64,
}

/// One tuning query's figures, to see where the ranking loses.
#[derive(Debug, Clone, Serialize)]
pub struct QueryRow {
    pub q: String,
    pub kind: String,
    pub aftermath_ndcg10: f64,
    pub fts5_ndcg10: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelevanceReport {
    pub incidents: usize,
    /// Judged incidents that name no incident of the store (0 expected).
    pub unresolved: usize,
    pub halves: Vec<Half>,
    pub all: Half,
    pub kinds: Vec<KindRow>,
    pub tuning_queries: Vec<QueryRow>,
}

pub fn run(opts: &Options) -> anyhow::Result<RelevanceReport> {
    let corpus = opts.corpus.clone().ok_or_else(|| {
        anyhow::anyhow!("--relevance needs the real corpus: --corpus DIR or AFTERMATH_CORPUS")
    })?;
    let work = Workspace::new(opts)?;
    let result = measure(&work, &corpus);
    work.clean_up();
    result
}

/// One query's grades, ranked and judged, for both engines.
struct Graded {
    kind: String,
    lang: String,
    q: String,
    judged: Vec<u8>,
    ours: Vec<u8>,
    fts5: Vec<u8>,
}

fn measure(work: &Workspace, corpus: &Path) -> anyhow::Result<RelevanceReport> {
    let db = Db::connect(&work.url)?;
    ingest(&db, corpus)?;
    // Every judged query is asked of the whole store: an index still behind it (on PostgreSQL
    // the horizon waits for every transaction open on the server) would lose the cascade links
    // computed last, and the figure would measure the load instead of the ranking.
    let (search, consistent) =
        Search::open_for_cli(db.clone(), &work.data_dir, Duration::from_secs(300))?;
    anyhow::ensure!(
        consistent,
        "the index did not catch up with the store within 5 minutes; relevance is not measured on a partial index"
    );
    let all = every_incident(&db)?;
    let finder = Finder::new(&all);
    let mut fts5 = super::fts::build_fts5(&db, &work.dir)?.conn;
    let mut unresolved = 0;
    let mut halves = Vec::new();
    for (name, queries) in judgments::halves()? {
        let mut graded = Vec::new();
        for query in &queries {
            let (g, missing) = grade(&search, &mut fts5, &finder, &all, query)?;
            unresolved += missing;
            graded.push(g);
        }
        halves.push((name, graded));
    }
    Ok(report(all.len(), unresolved, &halves))
}

fn grade(
    search: &Search,
    fts5: &mut diesel::SqliteConnection,
    finder: &Finder,
    all: &[SearchableIncident],
    query: &Query,
) -> anyhow::Result<(Graded, usize)> {
    let mut grades = std::collections::HashMap::new();
    let mut missing = 0;
    let mut judged = Vec::new();
    for j in &query.judged {
        let ids = finder.ids(j);
        missing += usize::from(ids.is_empty());
        for id in ids {
            grades.insert(id, j.grade);
            judged.push(j.grade);
        }
    }
    let request = SearchRequest {
        q: query.q.clone(),
        limit: K,
        now: query.now,
        ..Default::default()
    }
    .validated()?;
    let grade_of = |id: &str| grades.get(id).copied().unwrap_or(0);
    // Read as the page shows them: each result, then the hits nested under it.
    let ours = search
        .query(&request)?
        .hits
        .iter()
        .flat_map(|h| std::iter::once(h).chain(&h.downstream))
        .map(|h| grade_of(&h.incident_id))
        .collect();
    let fts5 = fts_or::top(fts5, &query.q, K as i64)?
        .into_iter()
        .filter_map(|rowid| all.get(usize::try_from(rowid - 1).ok()?))
        .map(|i| grade_of(&i.id.to_string()))
        .collect();
    Ok((
        Graded {
            kind: query.kind.clone(),
            lang: query.lang.clone(),
            q: query.q.clone(),
            judged,
            ours,
            fts5,
        },
        missing,
    ))
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn half(name: &str, graded: &[&Graded]) -> Half {
    let scores = |pick: fn(&Graded) -> &[u8]| Scores {
        ndcg10: mean(graded.iter().map(|g| metrics::ndcg(pick(g), &g.judged, K))),
        recall10: mean(
            graded
                .iter()
                .map(|g| metrics::recall(pick(g), &g.judged, K)),
        ),
    };
    Half {
        name: name.to_string(),
        queries: graded.len(),
        aftermath: scores(|g| &g.ours),
        fts5: scores(|g| &g.fts5),
    }
}

fn report(incidents: usize, unresolved: usize, halves: &[(&str, Vec<Graded>)]) -> RelevanceReport {
    let every: Vec<&Graded> = halves.iter().flat_map(|(_, g)| g).collect();
    // Each kind of query, then each language ("lang:fr").
    let group = |g: &Graded, key: &str| g.kind == key || format!("lang:{}", g.lang) == key;
    let mut kinds: Vec<String> = every.iter().map(|g| g.kind.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let mut langs: Vec<String> = every.iter().map(|g| format!("lang:{}", g.lang)).collect();
    langs.sort();
    langs.dedup();
    kinds.extend(langs);
    let kinds = kinds
        .into_iter()
        .map(|kind| {
            let of: Vec<&Graded> = every.iter().copied().filter(|g| group(g, &kind)).collect();
            let h = half(&kind, &of);
            KindRow {
                kind,
                queries: h.queries,
                aftermath_ndcg10: h.aftermath.ndcg10,
                fts5_ndcg10: h.fts5.ndcg10,
            }
        })
        .collect();
    let tuning_queries = halves
        .iter()
        .filter(|(name, _)| *name == "tuning")
        .flat_map(|(_, g)| g)
        .map(|g| QueryRow {
            q: g.q.clone(),
            kind: g.kind.clone(),
            aftermath_ndcg10: metrics::ndcg(&g.ours, &g.judged, K),
            fts5_ndcg10: metrics::ndcg(&g.fts5, &g.judged, K),
        })
        .collect();
    RelevanceReport {
        incidents,
        unresolved,
        halves: halves
            .iter()
            .map(|(name, g)| half(name, &g.iter().collect::<Vec<_>>()))
            .collect(),
        all: half("all", &every),
        kinds,
        tuning_queries,
    }
}

impl RelevanceReport {
    pub fn table(&self) -> String {
        let mut out = format!(
            "relevance over {} incidents ({} judged incidents not found)\n\
             {:<10} {:>7}  {:>14} {:>14}  {:>12} {:>12}\n",
            self.incidents,
            self.unresolved,
            "half",
            "queries",
            "aftermath nDCG",
            "fts5 nDCG",
            "aftermath R",
            "fts5 R"
        );
        for h in self.halves.iter().chain([&self.all]) {
            out.push_str(&format!(
                "{:<10} {:>7}  {:>14.3} {:>14.3}  {:>12.3} {:>12.3}\n",
                h.name,
                h.queries,
                h.aftermath.ndcg10,
                h.fts5.ndcg10,
                h.aftermath.recall10,
                h.fts5.recall10
            ));
        }
        for k in &self.kinds {
            out.push_str(&format!(
                "  {:<14} {:>3} queries  aftermath {:.3}  fts5 {:.3}\n",
                k.kind, k.queries, k.aftermath_ndcg10, k.fts5_ndcg10
            ));
        }
        out
    }
}

/// GitHub's and AWS's histories file by file, Google Cloud's, then the fixtures.
fn ingest(db: &Db, corpus: &Path) -> anyhow::Result<()> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for sub in [
        "statuspage-github-incident-history/incidents",
        "aws-status-datajson-history",
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join(sub))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json") && !p.ends_with("incident_codes.json")
            })
            .collect();
        files.sort();
        paths.extend(files);
    }
    paths.push(corpus.join("gcp-status-incidents/incidents.json"));
    for path in &paths {
        let bytes = std::fs::read(path)?;
        let origin = Provenance(format!("file:{}", path.display()));
        ingest_bytes(db, None, None, &bytes, &origin)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    // The cascade fixture's catalog first, as a team would load it: its declared dependencies
    // are what links the apps' incidents to the Nimbus outage.
    let catalog = aftermath::ingest::catalog::parse_catalog(include_bytes!(
        "../../../fixtures/cascade/catalog.toml"
    ))
    .map_err(|e| anyhow::anyhow!("catalog.toml: {e}"))?;
    db.write(|conn| aftermath::correlate::reports::apply_catalog(conn, &catalog))?;
    for (name, bytes) in FIXTURES {
        ingest_bytes(db, None, None, bytes, &Provenance(format!("file:{name}")))
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    }
    Ok(())
}

/// Every incident of the store, in the order FTS5's rowids were given (1, 2, …).
fn every_incident(db: &Db) -> anyhow::Result<Vec<SearchableIncident>> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db.run(|c| search_docs::page_after(c, after.as_deref(), 1000))?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.to_string());
        all.extend(page);
    }
    Ok(all)
}
