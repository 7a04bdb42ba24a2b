//! Public report intake with group commit: request handlers hand validated reports to one
//! writer thread, which stores whatever has queued up in one transaction and only then answers
//! each request. One commit per batch instead of one per report is what lets a small machine
//! take thousands of reports a second; an answer still means the report is durable.
//!
//! Durability: the writer's own connection syncs the log at every commit (`synchronous =
//! FULL` on SQLite), so an answer survives power loss, not only a crash; one commit per batch
//! keeps that to one sync per batch.
//!
//! Rules: the queue is bounded (handlers wait when it is full, which slows clients down instead
//! of growing memory); a batch that fails answers each of its requests with the failure; the
//! thread ends when the last handle is dropped.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::db::{Db, DbConn, DbError};
use crate::domain::report::NewReport;

const QUEUE: usize = 16_384;
const MAX_BATCH: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the report writer has stopped")]
    Stopped,
    #[error("storing the reports failed: {0}")]
    Store(Arc<DbError>),
}

struct Job {
    report: NewReport,
    done: oneshot::Sender<Result<bool, Arc<DbError>>>,
}

/// A handle on the writer thread; cheap to clone.
#[derive(Clone)]
pub struct ReportIntake {
    tx: mpsc::Sender<Job>,
}

impl ReportIntake {
    /// Starts the writer thread.
    pub fn start(db: Db) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("report-writer".into())
            .spawn(move || write_batches(&db, rx))?;
        Ok(Self { tx })
    }

    /// Queues a report and waits until it is committed. Returns whether it counted (false for
    /// a duplicate of the same reporter, service and 15-minute window).
    pub async fn submit(&self, report: NewReport) -> Result<bool, IntakeError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job { report, done })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        wait.await
            .map_err(|_| IntakeError::Stopped)?
            .map_err(IntakeError::Store)
    }
}

/// One batch, one transaction: the unit of work whose span the batch's log lines share.
#[tracing::instrument(name = "report_batch", skip_all, fields(reports = reports.len()))]
fn store_batch(
    db: &Db,
    own: &mut Option<DbConn>,
    reports: &[NewReport],
) -> Result<crate::db::reports::Stored, DbError> {
    let mut write = || match own.as_mut() {
        Some(conn) => {
            crate::db::write_transaction(conn, |c| crate::db::reports::insert_batch(c, reports))
        }
        None => db.write(|c| crate::db::reports::insert_batch(c, reports)),
    };
    match write() {
        // Keys and counts are written with ON CONFLICT (`db::reports`), so writers on other
        // instances do not collide; a unique violation left is tried once more.
        Err(DbError::Conflict(_)) => write(),
        other => other,
    }
}

fn write_batches(db: &Db, mut rx: mpsc::Receiver<Job>) {
    // Its own connection, tuned for writing; the pool's when that cannot be had.
    let mut own = match db.durable_writer() {
        Ok(conn) => Some(conn),
        Err(e) => {
            tracing::warn!(error = %e, "report writer uses pooled connections");
            None
        }
    };
    let mut reports = Vec::with_capacity(MAX_BATCH);
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        reports.push(first.report);
        waiting.push(first.done);
        while reports.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => {
                    reports.push(job.report);
                    waiting.push(job.done);
                }
                Err(_) => break,
            }
        }
        let result = store_batch(db, &mut own, &reports);
        if result.is_err() {
            // The connection may be what broke: start the next batch on a fresh one.
            own = db.durable_writer().ok();
        }
        match result {
            Ok(stored) => {
                for (done, counted) in waiting.drain(..).zip(stored.counted) {
                    // A request that gave up waiting is not an error here.
                    let _ = done.send(Ok(counted));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, reports = reports.len(), "storing a batch of reports failed");
                let e = Arc::new(e);
                for done in waiting.drain(..) {
                    let _ = done.send(Err(e.clone()));
                }
            }
        }
        reports.clear();
    }
}
