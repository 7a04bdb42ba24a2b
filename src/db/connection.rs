//! The connection enum and the r2d2 manager that builds the right variant from the URL scheme.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use super::error::DbError;

/// One connection to either backend. Most queries are written once against this enum; the few
/// that need backend SQL (upserts, locks) match on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed `AFTERMATH_DATABASE_URL`: `sqlite://PATH` or `postgres://…` (also `postgresql://…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DbError::Url(
                    "sqlite:// needs a file path, e.g. sqlite://data/aftermath.db".into(),
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        let scheme = url.split_once("://").map_or("(none)", |(s, _)| s);
        // A bare path is refused so that a typo cannot silently create an empty database somewhere.
        Err(DbError::Url(format!(
            "unsupported scheme {scheme:?}; use sqlite://PATH or postgres://USER@HOST/DB"
        )))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The same database, with TCP keepalives and a user timeout on PostgreSQL, so that a
    /// connection whose peer vanished (a partition, not a closed socket) fails within seconds
    /// instead of hanging: a session holding a lock must learn soon that it lost it.
    pub fn watched(&self) -> Self {
        match self {
            Self::Postgres(url) => {
                let sep = if url.contains('?') { '&' } else { '?' };
                Self::Postgres(format!(
                    "{url}{sep}keepalives=1&keepalives_idle=5&keepalives_interval=2\
                     &keepalives_count=3&tcp_user_timeout=10000"
                ))
            }
            Self::Sqlite(_) => self.clone(),
        }
    }

    /// Opens one connection with the per-connection settings applied.
    pub fn establish(&self) -> Result<DbConn, DbError> {
        match self {
            Self::Sqlite(path) => {
                create_parent_dir(path)?;
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // Each pragma is its own statement, busy_timeout first (diesel's own advice).
                // Writers queue for SQLite's one write lock; under a bulk ingest from several
                // clients on two cores a turn came after more than 5 s, so wait up to 30.
                for pragma in [
                    "PRAGMA busy_timeout = 30000",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA synchronous = NORMAL",
                ] {
                    conn.batch_execute(pragma)?;
                }
                Ok(DbConn::Sqlite(conn))
            }
            Self::Postgres(url) => Ok(DbConn::Postgres(PgConnection::establish(url)?)),
        }
    }
}

fn create_parent_dir(path: &Path) -> Result<(), DbError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|e| DbError::Url(format!("cannot create directory {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}

/// r2d2 manager: builds the variant the URL names, never guesses.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        self.url.establish()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/a.db").ok(),
            Some(DatabaseUrl::Sqlite("data/a.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db")
                .map(|u| u.backend())
                .ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db")
                .map(|u| u.backend())
                .ok(),
            Some(Backend::Postgres)
        );
    }

    #[test]
    fn unknown_schemes_and_bare_paths_are_refused() {
        for bad in ["mysql://x/y", "data/aftermath.db", "sqlite://", ""] {
            assert!(
                DatabaseUrl::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
