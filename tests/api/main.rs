#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test
//! One integration-test binary (fast to link). Every test starts the real app on a random
//! loopback port with its own database: a temporary SQLite file, or a fresh PostgreSQL schema
//! when `AFTERMATH_TEST_DATABASE_URL` is set.

mod helpers;

mod admin;
mod admin_pages;
mod auth;
mod bad_input;
mod bench;
mod browser;
mod cli;
mod clients;
mod codes_in_words;
mod corpus;
mod demo;
mod docs;
mod export_snapshot;
mod forms;
mod house;
mod incidents;
mod ingest;
mod ingest_batch;
mod ingest_errors;
mod instances;
mod interchange;
mod maintenances;
mod migrations;
// Notifications out.
mod notifications;
mod ops;
mod outbox;
mod pages;
mod poller;
mod postmortem;
mod postmortem_edit;
mod search;
mod security;
mod services;
mod snapshot;
mod store_move;
mod versions;
// User reports, spikes and cascade links.
mod cascade;
mod report_pages;
mod reports;
mod spike_live;
mod spike_then_post;
