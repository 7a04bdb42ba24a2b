//! `aftermath bench`: the figures that show Aftermath is fast, measured the same way every time,
//! next to what a user would pick instead (SQLite FTS5, PostgreSQL full-text search).
//!
//! Rules: it never touches the user's store. On SQLite it works in a temporary directory; with a
//! `postgres://` URL it works in a schema of its own and drops it at the end. The corpus comes
//! from a seeded generator, so a scale and seed always mean the same work. Timings live here
//! and in `benches/`, never in tests.

mod cascade;
pub mod corpus;
mod fixtures;
mod fts;
pub mod generator;
mod in_process;
mod measure;
mod notifications;
mod only;
mod queries;
mod relevance;
pub mod report;
mod reports;
mod run;
mod workspace;

use std::path::PathBuf;

pub use fixtures::big_incident;
pub use only::{Part, run_part};
pub use relevance::run as run_relevance;
pub use run::run;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Tiny,
    Small,
    Medium,
    Large,
}

impl Scale {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "tiny" => Some(Self::Tiny),
            "small" => Some(Self::Small),
            "medium" => Some(Self::Medium),
            "large" => Some(Self::Large),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }

    /// Timeline entries; incidents follow from the size distribution (about one per ten).
    pub fn entries(self) -> u64 {
        match self {
            Self::Tiny => 2_000,
            Self::Small => 10_000,
            Self::Medium => 1_000_000,
            Self::Large => 10_000_000,
        }
    }

    pub fn services(self) -> usize {
        match self {
            Self::Tiny => 20,
            Self::Small => 100,
            Self::Medium => 2_000,
            Self::Large => 10_000,
        }
    }

    pub fn queries(self) -> usize {
        match self {
            Self::Tiny => 100,
            Self::Small => 300,
            _ => 1_000,
        }
    }

    /// How long report intake is loaded.
    pub fn intake_seconds(self) -> u64 {
        match self {
            Self::Tiny => 2,
            Self::Small => 5,
            _ => 10,
        }
    }

    /// Services whose minute of reports is evaluated (10,000 is the target's size).
    pub fn spike_services(self) -> usize {
        match self {
            Self::Tiny => 200,
            Self::Small => 1_000,
            _ => 10_000,
        }
    }

    /// Dependent applications and days of report history in the cascade scenario.
    pub fn cascade(self) -> (usize, i64) {
        match self {
            Self::Tiny => (3, 1),
            Self::Small => (5, 2),
            _ => (20, 7),
        }
    }

    /// Notification subscriptions (`--only notifications`); 1,000 is the target's size.
    pub fn subscriptions(self) -> usize {
        match self {
            Self::Tiny => 100,
            _ => 1_000,
        }
    }

    /// Incidents of the notification stream; each makes three changes.
    pub fn notification_incidents(self) -> usize {
        match self {
            Self::Tiny => 10,
            Self::Small => 100,
            _ => 300,
        }
    }

    pub fn freshness_writes(self) -> usize {
        match self {
            Self::Tiny => 10,
            Self::Small => 50,
            _ => 200,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub scale: Scale,
    pub seed: u64,
    /// A `postgres://` URL to run on PostgreSQL (in a schema of its own); SQLite otherwise.
    pub postgres_url: Option<String>,
    /// Where the SQLite store, the index and the FTS5 copy go; a temporary directory by default.
    pub work_dir: Option<PathBuf>,
    /// Show progress bars (off for `--json` into a pipe).
    pub progress: bool,
    /// The real public corpus to ingest as well (`--corpus DIR`), into a store of its own.
    pub corpus: Option<PathBuf>,
}

impl Options {
    /// The backend the run measures, as the report names it.
    pub fn backend(&self) -> &'static str {
        match self.postgres_url {
            Some(_) => "postgres",
            None => "sqlite",
        }
    }
}
