//! The threads on which the pool opens its connections, and the wait for them when the last
//! [`Db`](super::Db) handle goes.
//!
//! r2d2 opens every connection on a worker of its thread pool, never on the thread that asks:
//! `Pool::get` finding no idle connection queues a connect and waits for the first connection
//! to come back. Under concurrent `get`s more connects are queued than are needed, so a short
//! command can finish its work while a worker is still inside libpq's connect. When `main` then
//! returned, libc's exit handlers ran OpenSSL's `OPENSSL_cleanup` while that worker was in the
//! TLS handshake to PostgreSQL, and the worker died with SIGSEGV on a freed OpenSSL lock
//! (`poll --once`, 3 runs in 900 under load; docs/operations.md, "Stopping").
//!
//! Rules:
//! - The pool runs on [`ConnectWorkers`], a thread pool this module owns, not r2d2's own.
//! - Dropping [`ConnectWorkers`] (the last `Db` handle, after its pool handle) returns only once
//!   every worker has finished the job it was running: a connect under way completes, and the
//!   pool, if that job held it last, closes its connections there. Connects not yet started find
//!   the pool gone and do nothing. So when the last `Db` is gone no thread is inside libpq.
//! - The wait is bounded ([`RETIRE_TIMEOUT`]): a connect hanging on a dead network must not hang
//!   the process; that is logged.
//! - Workers never exit: once drained, each is parked for the rest of the process. A worker
//!   that ran libpq's TLS code frees its OpenSSL thread state when it exits, and a worker
//!   exiting while `main` ran the exit handlers double-freed that state (`OPENSSL_cleanup`
//!   frees it too): SIGABRT, 2 runs in 1,101 when the workers were let go. r2d2's own workers
//!   never exit either (its reaper job keeps them), so a process that opens many `Db`s (the
//!   tests) keeps as many threads as before.

use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use scheduled_thread_pool::ScheduledThreadPool;

/// As many as r2d2's own default pool: connects to a fresh PostgreSQL pool overlap.
const THREADS: usize = 3;
/// Longer than the pool's checkout timeout: a connect takes milliseconds unless the network
/// is gone.
const RETIRE_TIMEOUT: Duration = Duration::from_secs(15);

/// The thread pool a [`Db`](super::Db)'s connections are opened on; see the module rules.
pub(super) struct ConnectWorkers {
    threads: Arc<ScheduledThreadPool>,
    /// Retired workers are parked for good: a second retire could only time out.
    retired: bool,
}

impl ConnectWorkers {
    pub(super) fn new() -> Self {
        let threads = ScheduledThreadPool::builder()
            .num_threads(THREADS)
            .thread_name_pattern("db-connect-{}")
            .build();
        Self {
            threads: Arc::new(threads),
            retired: false,
        }
    }

    /// For `r2d2::Builder::thread_pool`.
    pub(super) fn thread_pool(&self) -> Arc<ScheduledThreadPool> {
        self.threads.clone()
    }

    /// Waits until every worker has finished the job it was running, for at most `timeout`,
    /// then leaves every worker parked for good (see the module rules). Each worker is given a
    /// job that waits for all the others' at a barrier: the barrier opens only when every
    /// worker is free of earlier jobs. The pool has no join, hence this.
    fn retire(&mut self, timeout: Duration) -> bool {
        self.retired = true;
        let barrier = Arc::new(Barrier::new(THREADS));
        let (done, arrived) = mpsc::channel();
        for _ in 0..THREADS {
            let (barrier, done) = (barrier.clone(), done.clone());
            self.threads.execute(move || {
                barrier.wait();
                let _ = done.send(());
                loop {
                    std::thread::park();
                }
            });
        }
        let deadline = Instant::now() + timeout;
        (0..THREADS).all(|_| {
            arrived
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .is_ok()
        })
    }
}

impl Drop for ConnectWorkers {
    fn drop(&mut self) {
        if !self.retired && !self.retire(RETIRE_TIMEOUT) {
            tracing::warn!(
                timeout = ?RETIRE_TIMEOUT,
                "a database connection was still being opened when the pool closed"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn dropping_the_workers_waits_for_the_job_a_worker_is_running() {
        let workers = ConnectWorkers::new();
        let finished = Arc::new(AtomicBool::new(false));
        let (started, running) = mpsc::channel();
        let flag = finished.clone();
        workers.thread_pool().execute(move || {
            let _ = started.send(());
            std::thread::sleep(Duration::from_millis(300));
            flag.store(true, Ordering::SeqCst);
        });
        running.recv().unwrap();
        drop(workers);
        assert!(
            finished.load(Ordering::SeqCst),
            "the job ran to its end first"
        );
    }

    #[test]
    fn idle_workers_retire() {
        let mut workers = ConnectWorkers::new();
        assert!(workers.retire(Duration::from_secs(5)));
    }

    #[test]
    fn a_job_that_outlasts_the_timeout_is_reported_not_waited_for() {
        let mut workers = ConnectWorkers::new();
        let (release, wait) = mpsc::channel::<()>();
        let (started, running) = mpsc::channel();
        workers.thread_pool().execute(move || {
            let _ = started.send(());
            let _ = wait.recv();
        });
        running.recv().unwrap();
        assert!(!workers.retire(Duration::from_millis(100)));
        release.send(()).unwrap();
    }
}
