//! `aftermath bench --only PART`: one part of the benchmark alone, on a store of its own, so
//! that one figure can be measured at the medium scale without the rest of a medium run (an
//! hour of ingest on two cores). Same workspace rules as a full run: a temporary directory, or
//! a PostgreSQL schema of its own, removed at the end.
//!
//! Rules: a part measures what the full run measures, with the same calls and sizes; it
//! reports under the full report's keys, and only the keys it measured. The parts that need a
//! populated store (`ingest`, `export`, `search`) generate and ingest the scale's corpus first,
//! as the full run does, and report that ingest too. `search` also measures freshness across
//! two instances on one store, a key only it has (`cross_instance_freshness`).

use serde::Serialize;

use super::Options;
use super::cascade::CascadeRun;
use super::notifications::Notifications;
use super::report::{Freshness, Ingest, Machine, Postmortems, SearchLatency, machine};
use super::reports::{ReportIntake, SPIKE_HISTORY_MINUTES, SpikeEvaluation};
use super::workspace::Workspace;
use aftermath::db::Db;

mod store;

/// A part that can run alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Live spike evaluation of one minute for `Scale::spike_services` services.
    Spikes,
    /// Report intake over HTTP, 64 connections, against the scale's first 50 services.
    Reports,
    /// The cascade scenario's report streams, replayed an hour at a time.
    Cascade,
    /// Ingest of the generated corpus: nine tenths in-process, the rest over HTTP.
    Ingest,
    /// [`Part::Ingest`], then the postmortem export of every incident.
    Export,
    /// [`Part::Ingest`], then the query mix on our index and freshness.
    Search,
    /// Notifications out: enqueue latency and delivery throughput (`super::notifications`).
    Notifications,
}

impl Part {
    /// The names `--only` takes.
    pub const NAMES: [&'static str; 7] = [
        "spikes",
        "reports",
        "cascade",
        "ingest",
        "export",
        "search",
        "notifications",
    ];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "spikes" => Some(Self::Spikes),
            "reports" => Some(Self::Reports),
            "cascade" => Some(Self::Cascade),
            "ingest" => Some(Self::Ingest),
            "export" => Some(Self::Export),
            "search" => Some(Self::Search),
            "notifications" => Some(Self::Notifications),
            _ => None,
        }
    }
}

/// What a run of one part reports: the same keys as the full report, for that part only.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PartReport {
    pub scale: String,
    pub backend: String,
    pub date: String,
    pub machine: Option<Machine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingest: Option<Ingest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchLatency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness: Option<Freshness>,
    /// A write through one instance until another instance's index finds it (`--only search`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_instance_freshness: Option<Freshness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_intake: Option<ReportIntake>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spike_evaluation: Option<SpikeEvaluation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cascade: Option<CascadeRun>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postmortems: Option<Postmortems>,
    /// `--only notifications`: a key only that part has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifications: Option<Notifications>,
}

impl PartReport {
    pub fn table(&self) -> String {
        let (cores, memory) = self
            .machine
            .as_ref()
            .map_or((0, 0.0), |m| (m.cores, m.memory_gib));
        let mut out = format!(
            "scale             {} on {} ({} cores, {:.0} GiB), {}\n",
            self.scale, self.backend, cores, memory, self.date
        );
        let mut lines = self.ingest_and_search_lines();
        lines.extend(self.intake_and_export_lines());
        for (name, value) in lines {
            out.push_str(&format!("{name:<18}{value}\n"));
        }
        out
    }

    /// The table's lines for ingest, search and freshness, the parts a reader waits on.
    fn ingest_and_search_lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        let mut line = |name: &'static str, value: String| lines.push((name, value));
        if let Some(i) = &self.ingest {
            let value = format!(
                "{:.0} entries/s ({} entries)",
                i.in_process_entries_per_sec, i.in_process_entries
            );
            line("ingest in-process", value);
            let value = format!(
                "{:.0} entries/s ({} entries, {} clients)",
                i.http_entries_per_sec, i.http_entries, i.http_concurrency
            );
            line("ingest over HTTP", value);
        }
        if let Some(s) = &self.search {
            let value = format!(
                "p50 {:.2} ms · p99 {:.2} ms ({} queries)",
                s.latency.p50_ms, s.latency.p99_ms, s.queries
            );
            line("search", value);
            let value = format!(
                "p50 {:.2} ms · p99 {:.2} ms",
                s.suggest.p50_ms, s.suggest.p99_ms
            );
            line("search suggestions", value);
        }
        if let Some(f) = &self.freshness {
            line(
                "freshness",
                format!(
                    "p50 {:.2} ms · p99 {:.2} ms",
                    f.latency.p50_ms, f.latency.p99_ms
                ),
            );
        }
        if let Some(f) = &self.cross_instance_freshness {
            let value = format!(
                "p50 {:.2} ms · p99 {:.2} ms",
                f.latency.p50_ms, f.latency.p99_ms
            );
            line("across instances", value);
        }
        lines
    }

    /// The table's lines for report intake, spikes, cascades, export and notifications.
    fn intake_and_export_lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        let mut line = |name: &'static str, value: String| lines.push((name, value));
        if let Some(r) = &self.report_intake {
            let value = format!(
                "{:.0} req/s · p50 {:.2} ms · p99 {:.2} ms ({} rejected)",
                r.requests_per_sec, r.latency.p50_ms, r.latency.p99_ms, r.rejected
            );
            line("report intake", value);
        }
        if let Some(s) = &self.spike_evaluation {
            let value = format!(
                "{:.3} s per minute of data for {} services",
                s.seconds_per_minute, s.services
            );
            line("spike evaluation", value);
        }
        if let Some(c) = &self.cascade {
            let value = format!(
                "{:.0} reports/s ({} reports); {} of {} spikes found, {} false",
                c.reports_per_sec, c.reports, c.detected_spikes, c.injected_spikes, c.false_spikes
            );
            line("cascade replay", value);
        }
        if let Some(p) = &self.postmortems {
            line(
                "postmortem export",
                format!("{:.0}/s ({} incidents)", p.export_per_sec, p.exported),
            );
        }
        if let Some(n) = &self.notifications {
            for (name, value) in n.lines() {
                line(name, value);
            }
        }
        lines
    }
}

pub fn run_part(opts: &Options, part: Part) -> anyhow::Result<PartReport> {
    let work = Workspace::new(opts)?;
    let result = actix_web::rt::System::new().block_on(measure(opts, &work, part));
    work.clean_up();
    result
}

async fn measure(opts: &Options, work: &Workspace, part: Part) -> anyhow::Result<PartReport> {
    let db = Db::connect(&work.url)?;
    let mut report = PartReport {
        scale: opts.scale.name().into(),
        backend: opts.backend().into(),
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        machine: Some(machine()),
        ..PartReport::default()
    };
    match part {
        // The same call, with the same history, as the full run's report phase.
        Part::Spikes => {
            let services = opts.scale.spike_services();
            report.spike_evaluation = Some(super::reports::measure_spike_evaluation(
                &db,
                services,
                SPIKE_HISTORY_MINUTES,
            )?);
        }
        Part::Reports => report.report_intake = Some(store::intake(opts, work, &db).await?),
        Part::Cascade => {
            let (apps, days) = opts.scale.cascade();
            report.cascade = Some(super::cascade::measure_cascades(
                &db, opts.seed, apps, days,
            )?);
        }
        Part::Notifications => {
            report.notifications = Some(super::notifications::measure(opts, &db).await?)
        }
        Part::Ingest | Part::Export | Part::Search => {
            store::populated(opts, work, &db, part, &mut report).await?
        }
    }
    Ok(report)
}
