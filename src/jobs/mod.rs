//! Background work: every task a process runs besides answering requests.
//!
//! `startup` starts these for `serve`; the CLI runs the same code once where it needs it
//! (`aftermath poll --once`). Each task is a file of its own here:
//!
//! - [`poller`]: fetches every due polled source (conditional GET, bounded body and time,
//!   backoff on failure) and applies what it finds through `correlate`. Off with `--no-poll`.
//! - [`minute`]: once a minute, live spike evaluation of every active service, and the report
//!   limiter's housekeeping.
//! - [`outbox_pruner`]: on the leader, prunes the outbox behind the slowest live reader once
//!   rows are older than `AFTERMATH_OUTBOX_RETENTION`, and forgets readers silent for longer.
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

pub mod minute;
pub mod outbox_pruner;
pub mod poller;
pub mod report_writer;
