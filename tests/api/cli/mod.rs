//! The command line, run as a real process.

use std::process::Command;

mod ingest;
mod postmortems;
mod reports;
mod serve;
mod setup;

/// The built binary, with no database URL, private-source allowance or log level inherited
/// from the environment.
pub(crate) fn aftermath() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftermath"));
    cmd.env_remove("AFTERMATH_DATABASE_URL")
        .env_remove("AFTERMATH_ALLOW_PRIVATE_SOURCES")
        .env("RUST_LOG", "warn");
    cmd
}
