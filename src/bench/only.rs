//! `aftermath bench --only PART`: one part of the benchmark alone, on a store of its own, so
//! that one figure can be measured at the medium scale without the rest of a medium run (an
//! hour of ingest on two cores). Same workspace rules as a full run: a temporary directory, or
//! a PostgreSQL schema of its own, removed at the end.

use serde::Serialize;

use super::Options;
use super::report::{Machine, machine};
use super::reports::{SPIKE_HISTORY_MINUTES, SpikeEvaluation, measure_spike_evaluation};
use super::workspace::Workspace;
use aftermath::db::Db;

/// A part that can run alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Live spike evaluation of one minute for `Scale::spike_services` services.
    Spikes,
}

impl Part {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "spikes" => Some(Self::Spikes),
            _ => None,
        }
    }
}

/// What a run of one part reports: the same keys as the full report, for that part only.
#[derive(Debug, Clone, Serialize)]
pub struct PartReport {
    pub scale: String,
    pub backend: String,
    pub date: String,
    pub machine: Machine,
    pub spike_evaluation: SpikeEvaluation,
}

impl PartReport {
    pub fn table(&self) -> String {
        let s = &self.spike_evaluation;
        format!(
            "scale             {} on {} ({} cores, {:.0} GiB), {}\nspike evaluation  {:.3} s per minute of data for {} services\n",
            self.scale,
            self.backend,
            self.machine.cores,
            self.machine.memory_gib,
            self.date,
            s.seconds_per_minute,
            s.services
        )
    }
}

pub fn run_part(opts: &Options, part: Part) -> anyhow::Result<PartReport> {
    let work = Workspace::new(opts)?;
    let result = measure(opts, &work, part);
    work.clean_up();
    result
}

fn measure(opts: &Options, work: &Workspace, part: Part) -> anyhow::Result<PartReport> {
    let db = Db::connect(&work.url)?;
    let spike_evaluation = match part {
        // The same call, with the same history, as the full run's report phase.
        Part::Spikes => {
            measure_spike_evaluation(&db, opts.scale.spike_services(), SPIKE_HISTORY_MINUTES)?
        }
    };
    Ok(PartReport {
        scale: opts.scale.name().into(),
        backend: opts.backend().into(),
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        machine: machine(),
        spike_evaluation,
    })
}
