//! Settings, from flags or environment variables (the public names are fixed in DESIGN.md).

use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/aftermath.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub template_dir: Option<PathBuf>,
    /// Whether `serve` polls the configured sources (off in tests, which poll explicitly).
    pub poll: bool,
    /// Public reports each client address may file per minute (`AFTERMATH_REPORT_RATE`).
    pub report_rate_per_minute: u32,
}

/// Reports a minute per client address, unless configured otherwise.
pub const DEFAULT_REPORT_RATE: u32 = 20;

impl Config {
    /// Settings for a test or a tool: everything under one directory.
    pub fn for_dir(database_url: String, data_dir: PathBuf) -> Self {
        Self {
            database_url,
            data_dir,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            template_dir: None,
            poll: false,
            report_rate_per_minute: DEFAULT_REPORT_RATE,
        }
    }
}
