//! Background work: every task a process runs besides answering requests.
//!
//! `startup` starts these for `serve`; the CLI runs the same code once where it needs it
//! (`aftermath poll --once`). Each task is a file of its own here:
//!
//! - [`poller`]: fetches every due polled source (conditional GET, bounded body and time,
//!   backoff on failure) and applies what it finds through `correlate`. Off with `--no-poll`.
//! - [`minute`]: once a minute, live spike evaluation of every active service (on the leader
//!   only), and the report limiter's housekeeping (on every instance).
//! - [`leader`]: the election of the one instance that runs the minute jobs: a PostgreSQL
//!   advisory lock held on a connection of its own; on SQLite the process leads alone.
//! - [`outbox_pruner`]: on the leader, prunes the outbox behind the slowest live reader once
//!   rows are older than `AFTERMATH_OUTBOX_RETENTION`, and forgets readers silent for longer.
//! - [`notifications`]: notifications out; the fan-out (outbox rows to deliveries) on the
//!   leader, and the delivery worker (signed webhooks, Slack, email) on every instance.
//! - [`report_writer`]: the group-commit writer thread behind `POST /api/v1/reports`; one
//!   transaction per batch of queued reports, each request answered only after its commit.
//!
//! Two more belong to the rooms that own their state, and are listed here so that this list is
//! whole:
//! - the indexer thread (`search::runner`, started by `search::Search::start`): the only owner of
//!   the tantivy `IndexWriter`, it tails the outbox and commits the index;
//! - the checkpointer thread (`db::checkpoint`): during a bulk ingest on SQLite, it checkpoints
//!   the write-ahead log so that the log does not grow without bound.
//!
//! Rules: a job's unit of work (one poll of one source, one evaluation pass, one batch) is a
//! tracing span; blocking work runs on the blocking pool or the job's own thread, never on the
//! event loop; a job that fails logs and tries again at its next beat, and never stops the
//! process.

pub mod leader;
pub mod minute;
pub mod notifications;
pub mod outbox_pruner;
pub mod poller;
pub mod report_writer;

use std::sync::LazyLock;

/// This process's id among the instances sharing a database: a random UUID, new at each start,
/// that names what the process holds there (a poll lease's `lease_owner`).
static INSTANCE_ID: LazyLock<String> = LazyLock::new(|| uuid::Uuid::new_v4().to_string());

/// See [`INSTANCE_ID`].
pub fn instance_id() -> &'static str {
    &INSTANCE_ID
}
