//! Aftermath: an incident timeline and postmortem store.
//!
//! Layers, and the direction of their dependencies (see docs/architecture.md): `domain` ← `db` ← `http`;
//! `startup` and `main` wire them together and hold no logic.

pub mod config;
pub mod correlate;
pub mod db;
pub mod demo;
pub mod domain;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod markdown;
pub mod postmortem;
pub mod search;
pub mod startup;
pub mod telemetry;
