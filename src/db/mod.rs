//! Storage on SQLite or PostgreSQL, chosen at run time from the database URL.
//!
//! Rules:
//! - This module owns both backends and the outbox; it never calls `search` or `http`.
//! - Every write goes through [`Db::write`], one transaction: `BEGIN IMMEDIATE` on SQLite (a
//!   deferred transaction that reads then writes fails with SQLITE_BUSY in WAL mode whatever the
//!   busy timeout), an ordinary transaction on PostgreSQL.
//! - A write that reads an incident to change it locks the row first and reads it under the lock
//!   (`versions::lock`): on PostgreSQL several processes write at once, and a row read before the
//!   lock and written back would undo what another committed meanwhile. On SQLite the
//!   `BEGIN IMMEDIATE` write lock already serialises writers.
//! - Every change the search index must see appends an outbox row inside that same transaction.
//! - Rows are converted to domain types here, at the boundary; nothing above sees a diesel row.

/// Runs `$body` with `$c` bound to the backend's own connection, the same code for each
/// backend. Diesel finds a prepared statement by the query's type on a backend's connection;
/// through [`DbConn`] it writes every statement out as SQL first, which a statement run for
/// every row of a bulk ingest cannot afford.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

pub mod audit;
pub mod changes;
pub mod checkpoint;
pub mod components;
mod connection;
mod convert;
pub(crate) mod deferred;
pub mod deliveries;
pub mod details;
pub mod dump;
mod error;
pub mod incidents;
pub mod known;
pub mod leadership;
mod migrate;
pub mod observed;
pub mod outbox;
pub mod poll_state;
pub mod postmortems;
pub(crate) mod prefetch;
pub mod provenance;
pub mod replicas;
mod rewrites;
mod sqlite_statements;
mod sqlite_time;
mod workers;
// User reports, spikes and links people decided on.
pub mod links;
pub mod reports;
pub mod schema;
pub mod search_docs;
pub mod secrets;
pub mod services;
pub mod sessions;
pub mod sources;
pub mod spike_batch;
pub mod spike_opened;
pub mod spike_state;
pub mod spike_undo;
pub mod spikes;
// Notifications out.
pub mod subscriptions;
// Several writers of derived state on one store.
pub mod evaluation_lock;
pub mod timeline;
pub mod tokens;
pub mod versions;

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::Pool;

pub use connection::{Backend, DatabaseUrl, DbConn, Manager};
pub use error::DbError;
pub use migrate::{migrate_until, migration_names, run_migrations};

/// A pool of connections to one database, cheap to clone. When the last clone goes, no thread
/// is left opening a connection ([`workers`]'s rules).
#[derive(Clone)]
pub struct Db {
    // Fields drop in this order: each handle lets go of the pool before the workers, so the
    // last handle's `ConnectWorkers::drop` waits with no `Db` holding the pool any more.
    pool: Pool<Manager>,
    url: Arc<DatabaseUrl>,
    _workers: Arc<workers::ConnectWorkers>,
}

/// What the pool looks like right now, for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub connections: u32,
    pub idle: u32,
    pub max_size: u32,
}

impl Db {
    /// Migrates the database, opens the pool, then finishes the data rewrites migrations left
    /// (`rewrites`). Several processes may do this at once.
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let url = DatabaseUrl::parse(url)?;
        run_migrations(&url)?;
        let max_size = match url.backend() {
            // One writer at a time anyway; a few readers share WAL snapshots.
            Backend::Sqlite => 8,
            Backend::Postgres => 10,
        };
        let workers = Arc::new(workers::ConnectWorkers::new());
        let pool = Pool::builder()
            .max_size(max_size)
            // No connections opened ahead of need: a command that needs one does not wait for
            // more to be opened when it ends (see `workers`).
            .min_idle(Some(0))
            .thread_pool(workers.thread_pool())
            .connection_timeout(Duration::from_secs(10))
            .build(Manager::new(url.clone()))
            .map_err(DbError::Pool)?;
        let db = Self {
            pool,
            url: Arc::new(url),
            _workers: workers,
        };
        rewrites::run(&db)?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
        }
    }

    /// A connection of its own, outside the pool, for a long-lived single writer (report
    /// intake, bulk file ingest). On SQLite it gets a larger page cache, memory-mapped reads and
    /// less frequent checkpoints (every 32 MiB of log: a page rewritten by many batches is
    /// copied back once; on the real corpus 14 checkpoint syncs instead of 29): the writer then
    /// spends its time writing rows, not re-reading index pages. Its savepoint journals stay in
    /// memory: a journal in a temporary file cost a write system call for every page it touched.
    pub fn dedicated_writer(&self) -> Result<DbConn, DbError> {
        use diesel::connection::SimpleConnection;
        let mut conn = self.url.establish()?;
        if let DbConn::Sqlite(inner) = &mut conn {
            for pragma in [
                "PRAGMA cache_size = -65536",
                "PRAGMA mmap_size = 268435456",
                "PRAGMA wal_autocheckpoint = 8192",
                "PRAGMA temp_store = MEMORY",
            ] {
                inner.batch_execute(pragma)?;
            }
        }
        Ok(conn)
    }

    /// [`Db::dedicated_writer`] whose commits survive power loss, not only a crash: on SQLite
    /// the log is synced at every commit (`synchronous = FULL`; the pool runs NORMAL, which
    /// can lose the last commits if the machine loses power). For a writer that promises
    /// durability to its callers, and commits in groups so it pays one sync per group.
    pub fn durable_writer(&self) -> Result<DbConn, DbError> {
        use diesel::connection::SimpleConnection;
        let mut conn = self.dedicated_writer()?;
        if let DbConn::Sqlite(inner) = &mut conn {
            inner.batch_execute("PRAGMA synchronous = FULL")?;
        }
        Ok(conn)
    }

    /// A session of its own, outside the pool, for state that lives as long as the session (the
    /// leader's advisory lock). On PostgreSQL it is [watched](DatabaseUrl::watched) for a
    /// vanished peer; a libpq too old for those parameters gets a plain connection.
    pub fn session(&self) -> Result<DbConn, DbError> {
        self.url
            .watched()
            .establish()
            .or_else(|_| self.url.establish())
    }

    /// Runs read-only work on a pooled connection. Blocking: call it from a blocking thread.
    pub fn run<T>(&self, f: impl FnOnce(&mut DbConn) -> Result<T, DbError>) -> Result<T, DbError> {
        let mut conn = self.pool.get().map_err(DbError::Pool)?;
        f(&mut conn)
    }

    /// Runs `f` in one write transaction; an error rolls everything back.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut conn = self.pool.get().map_err(DbError::Pool)?;
        write_transaction(&mut conn, f)
    }

    /// [`Db::write`], run again (up to three more times) when PostgreSQL ended the transaction
    /// to break a deadlock ([`DbError::is_transient`]): nothing of that try was committed. For
    /// the writes people wait on; a writer that locks several incidents can meet another that
    /// locks them in another order.
    pub fn write_retrying<T>(
        &self,
        mut f: impl FnMut(&mut DbConn) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut tries = 1;
        loop {
            match self.write(&mut f) {
                Err(e) if e.is_transient() && tries < 4 => {
                    tracing::info!(error = %e, tries, "write ended by the database; trying again");
                    tries += 1;
                }
                done => return done,
            }
        }
    }
}

/// One write transaction on a connection; see the module rules.
pub fn write_transaction<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, DbError>,
) -> Result<T, DbError> {
    match conn {
        DbConn::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConn::Postgres(inner) => AnsiTransactionManager::begin_transaction(inner)?,
    }
    let result = f(conn);
    let finish = match (&result, &mut *conn) {
        (Ok(_), DbConn::Sqlite(inner)) => AnsiTransactionManager::commit_transaction(inner),
        (Ok(_), DbConn::Postgres(inner)) => AnsiTransactionManager::commit_transaction(inner),
        (Err(_), DbConn::Sqlite(inner)) => AnsiTransactionManager::rollback_transaction(inner),
        (Err(_), DbConn::Postgres(inner)) => AnsiTransactionManager::rollback_transaction(inner),
    };
    match (result, finish) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(e.into()),
        // The caller's error says what went wrong; a failed rollback is only logged.
        (Err(e), Err(rollback)) => {
            tracing::error!(error = %rollback, "rollback failed");
            Err(e)
        }
        (Err(e), Ok(())) => Err(e),
    }
}
