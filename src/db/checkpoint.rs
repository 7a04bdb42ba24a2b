//! Checkpoints of the SQLite write-ahead log on a thread of their own, for a long bulk write.
//!
//! SQLite checkpoints inside the commit that takes the log past `wal_autocheckpoint` pages:
//! the committing thread copies the log into the database file and waits for two fsyncs,
//! which on this kind of disk took 40–80 ms each time, a tenth of a corpus ingest during which
//! nothing was written. A bulk writer instead turns automatic checkpoints off on its own
//! connection and tells a [`Checkpointer`] after each commit. The checkpointer runs a
//! *passive* checkpoint on a connection of its own: passive checkpoints never wait for the
//! writer, and the writer goes on appending to the log while the database file is synced.
//!
//! Rules:
//! - Only SQLite has a log to checkpoint; on PostgreSQL no checkpointer starts.
//! - A failed checkpoint is logged and the next commit tries again; the writer never sees it.
//! - Dropping the checkpointer lets its last checkpoint finish, then ends its thread.

use std::sync::mpsc::{self, SyncSender};
use std::thread::JoinHandle;

use diesel::connection::SimpleConnection;

use super::{Db, DbConn, DbError};

pub struct Checkpointer {
    commits: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Hands `writer`'s checkpoints to a thread of their own. `None` on PostgreSQL.
    pub fn start(db: &Db, writer: &mut DbConn) -> Result<Option<Self>, DbError> {
        let DbConn::Sqlite(inner) = writer else {
            return Ok(None);
        };
        let mut conn = db.url.establish()?;
        // One pending signal is enough: commits made while a checkpoint runs are all caught
        // by the next one.
        let (commits, pending) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                while pending.recv().is_ok() {
                    if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                        tracing::warn!(error = %e, "log checkpoint failed; the next commit retries");
                    }
                }
            })
            .map_err(|e| DbError::Invalid {
                field: "checkpointer",
                message: e.to_string(),
            })?;
        let checkpointer = Self {
            commits: Some(commits),
            thread: Some(thread),
        };
        // Only once the thread runs: a writer that stopped checkpointing with no checkpointer
        // would grow its log for the rest of the run. On failure the thread ends on drop.
        inner.batch_execute("PRAGMA wal_autocheckpoint = 0")?;
        Ok(Some(checkpointer))
    }

    /// The writer committed: checkpoint what the log holds, unless a checkpoint is pending.
    pub fn committed(&self) {
        if let Some(commits) = &self.commits {
            let _ = commits.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.commits.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;
    use diesel::sql_types::BigInt;

    use super::*;

    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = BigInt)]
        wal_autocheckpoint: i64,
    }

    #[test]
    fn the_writer_stops_checkpointing_and_the_checkpointer_copies_its_commits_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.db");
        let db = Db::connect(&format!("sqlite://{}", file.display())).unwrap();
        let mut writer = db.dedicated_writer().unwrap();
        let before = std::fs::metadata(&file).unwrap().len();
        let checkpointer = Checkpointer::start(&db, &mut writer).unwrap().unwrap();
        let DbConn::Sqlite(inner) = &mut writer else {
            panic!("a sqlite:// URL opens SQLite")
        };
        let setting: Setting = diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result(inner)
            .unwrap();
        assert_eq!(
            setting.wal_autocheckpoint, 0,
            "the writer no longer checkpoints"
        );
        inner
            .batch_execute(
                "CREATE TABLE filler (body TEXT); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
                 INSERT INTO filler SELECT printf('%0500d', i) FROM n;",
            )
            .unwrap();
        checkpointer.committed();
        drop(checkpointer);
        let after = std::fs::metadata(&file).unwrap().len();
        assert!(
            after > before + 500 * 1000,
            "the rows reached the database file: {before} → {after} bytes"
        );
    }
}
