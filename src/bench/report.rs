//! What `aftermath bench` reports: stable JSON keys (`--json`) and a readable table.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(mut samples_ms: Vec<f64>) -> Self {
        if samples_ms.is_empty() {
            return Self::default();
        }
        samples_ms.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let i = ((samples_ms.len() as f64 * q).ceil() as usize).clamp(1, samples_ms.len()) - 1;
            samples_ms[i]
        };
        Self {
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            max_ms: samples_ms[samples_ms.len() - 1],
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Corpus {
    pub seed: u64,
    pub services: usize,
    pub incidents: u64,
    pub entries: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ingest {
    pub in_process_entries: u64,
    pub in_process_entries_per_sec: f64,
    pub http_entries: u64,
    pub http_entries_per_sec: f64,
    pub http_concurrency: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reindex {
    pub incidents: u64,
    pub entries: u64,
    pub seconds: f64,
    pub entries_per_sec: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchLatency {
    pub queries: usize,
    #[serde(flatten)]
    pub latency: Latency,
    /// The search box's suggestions (`/api/v1/search/suggest`), as the first words are typed.
    pub suggest: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alternative {
    pub engine: String,
    pub build_seconds: f64,
    #[serde(flatten)]
    pub latency: Latency,
    /// Its p50 divided by ours: how many times faster we are at the median.
    pub ratio_p50: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    pub writes: usize,
    #[serde(flatten)]
    pub latency: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct Postmortems {
    pub draft_1000_entries_ms: f64,
    pub render_1000_entries_ms: f64,
    pub exported: usize,
    pub export_per_sec: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub peak_rss_mib: f64,
    pub database_bytes: u64,
    pub index_bytes: u64,
    pub database_mib_per_million_entries: f64,
    pub index_mib_per_million_entries: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scale: String,
    pub backend: String,
    pub date: String,
    pub machine: Machine,
    pub corpus: Corpus,
    pub ingest: Ingest,
    /// Only with `--corpus DIR` (or `AFTERMATH_CORPUS`): the real public corpus, in-process.
    pub corpus_ingest: Option<super::corpus::CorpusIngest>,
    pub reindex: Reindex,
    pub search: SearchLatency,
    pub fts5: Alternative,
    /// Only with `--database-url postgres://…`.
    pub postgres_fts: Option<Alternative>,
    pub freshness: Freshness,
    pub report_intake: super::reports::ReportIntake,
    pub spike_evaluation: super::reports::SpikeEvaluation,
    pub cascade: super::cascade::CascadeRun,
    pub postmortems: Postmortems,
    pub resources: Resources,
}

fn lat(l: &Latency) -> String {
    format!(
        "p50 {:.2} ms · p99 {:.2} ms · max {:.2} ms",
        l.p50_ms, l.p99_ms, l.max_ms
    )
}

type Row = (String, String);

fn row(name: &str, value: String) -> Row {
    (name.to_string(), value)
}

impl Report {
    /// The report as aligned `name  value` lines, in the order the run measured them.
    pub fn table(&self) -> String {
        let rows: Vec<Row> = [
            self.run_rows(),
            self.ingest_rows(),
            self.search_rows(),
            self.report_rows(),
            self.output_rows(),
        ]
        .concat();
        let width = rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        rows.iter()
            .map(|(k, v)| format!("{k:<width$}  {v}\n"))
            .collect()
    }

    fn run_rows(&self) -> Vec<Row> {
        vec![
            row(
                "scale",
                format!(
                    "{} on {} ({} cores, {:.0} GiB), {}",
                    self.scale,
                    self.backend,
                    self.machine.cores,
                    self.machine.memory_gib,
                    self.date
                ),
            ),
            row(
                "corpus",
                format!(
                    "{} services, {} incidents, {} entries (seed {})",
                    self.corpus.services,
                    self.corpus.incidents,
                    self.corpus.entries,
                    self.corpus.seed
                ),
            ),
        ]
    }

    fn ingest_rows(&self) -> Vec<Row> {
        let mut rows = vec![
            row(
                "ingest, in-process",
                format!(
                    "{:.0} entries/s ({} entries)",
                    self.ingest.in_process_entries_per_sec, self.ingest.in_process_entries
                ),
            ),
            row(
                "ingest, HTTP",
                format!(
                    "{:.0} entries/s ({} entries, {} concurrent)",
                    self.ingest.http_entries_per_sec,
                    self.ingest.http_entries,
                    self.ingest.http_concurrency
                ),
            ),
        ];
        if let Some(c) = &self.corpus_ingest {
            rows.push(row(
                "ingest, real corpus",
                format!(
                    "{:.0} entries/s ({} entries, {} files, {} failed, {:.2} s)",
                    c.entries_per_sec, c.entries, c.files, c.failed, c.seconds
                ),
            ));
        }
        rows
    }

    fn search_rows(&self) -> Vec<Row> {
        let mut rows = vec![
            row(
                "reindex",
                format!(
                    "{:.2} s, {:.0} entries/s ({} incidents)",
                    self.reindex.seconds, self.reindex.entries_per_sec, self.reindex.incidents
                ),
            ),
            row(
                "search (tantivy)",
                format!(
                    "{} ({} queries)",
                    lat(&self.search.latency),
                    self.search.queries
                ),
            ),
            row(
                "search (SQLite FTS5)",
                format!(
                    "{} · ours {:.0}× faster at p50",
                    lat(&self.fts5.latency),
                    self.fts5.ratio_p50
                ),
            ),
            row("search suggestions", lat(&self.search.suggest)),
        ];
        if let Some(pg) = &self.postgres_fts {
            rows.push(row(
                "search (PostgreSQL FTS)",
                format!(
                    "{} · ours {:.0}× faster at p50",
                    lat(&pg.latency),
                    pg.ratio_p50
                ),
            ));
        }
        rows
    }

    fn report_rows(&self) -> Vec<Row> {
        let (intake, spikes, cascade) =
            (&self.report_intake, &self.spike_evaluation, &self.cascade);
        vec![
            row(
                "freshness (write → searchable)",
                format!(
                    "{} ({} writes)",
                    lat(&self.freshness.latency),
                    self.freshness.writes
                ),
            ),
            row(
                "report intake, HTTP",
                format!(
                    "{:.0} req/s · {} ({} connections, {} rejected)",
                    intake.requests_per_sec,
                    lat(&intake.latency),
                    intake.connections,
                    intake.rejected
                ),
            ),
            row(
                "spike evaluation",
                format!(
                    "{:.3} s per minute of data for {} services",
                    spikes.seconds_per_minute, spikes.services
                ),
            ),
            row(
                "report streams and a cascade",
                format!(
                    "{:.0} reports/s replayed hourly ({} reports, {} days, {} services) · spikes found {}/{} injected, {} false · {} upstream links",
                    cascade.reports_per_sec,
                    cascade.reports,
                    cascade.days,
                    cascade.services,
                    cascade.detected_spikes,
                    cascade.injected_spikes,
                    cascade.false_spikes,
                    cascade.upstream_links
                ),
            ),
        ]
    }

    fn output_rows(&self) -> Vec<Row> {
        vec![
            row(
                "postmortem, 1,000 entries",
                format!(
                    "draft {:.2} ms · render {:.2} ms",
                    self.postmortems.draft_1000_entries_ms, self.postmortems.render_1000_entries_ms
                ),
            ),
            row(
                "postmortem export",
                format!(
                    "{:.0}/s ({} incidents)",
                    self.postmortems.export_per_sec, self.postmortems.exported
                ),
            ),
            row(
                "peak RSS",
                format!("{:.0} MiB", self.resources.peak_rss_mib),
            ),
            row(
                "disk per million entries",
                format!(
                    "database {:.0} MiB · index {:.0} MiB",
                    self.resources.database_mib_per_million_entries,
                    self.resources.index_mib_per_million_entries
                ),
            ),
        ]
    }
}

/// The peak resident set of this process, from /proc (Linux); 0 elsewhere.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn machine() -> Machine {
    let memory_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .unwrap_or(0.0);
    Machine {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: memory_kb / 1024.0 / 1024.0,
    }
}

/// Bytes under a path (files only, recursively).
pub fn disk_usage(path: &std::path::Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| disk_usage(&e.path())).sum())
            .unwrap_or(0),
        _ => 0,
    }
}
