//! The storage layer's one error type. `http` maps it: `NotFound` → 404, `Conflict` → 409,
//! `Stale` → 412, `Invalid` → 422, everything else → 500 with the cause only in the logs.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A write expected another version of the incident (`domain::Precondition`); it changed
    /// nothing.
    #[error("the incident changed meanwhile; it is now at version {current}")]
    Stale { current: i64 },
    /// Data that breaks a rule only the store can check, such as an unknown reference.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("bad database URL: {0}")]
    Url(String),
    #[error("database pool: {0}")]
    Pool(#[source] r2d2::Error),
    #[error("database connection: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database query: {0}")]
    Query(#[source] DieselError),
    #[error("migrations: {0}")]
    Migration(String),
    /// A stored value that no longer parses: a bug or a hand-edited row.
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        table: &'static str,
        message: String,
    },
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => DbError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Conflict(info.message().to_string())
            }
            other => DbError::Query(other),
        }
    }
}

impl DbError {
    /// PostgreSQL ended the transaction to break a deadlock (two writers each holding a row the
    /// other wanted) or a serialization conflict: nothing of it was committed, and running it
    /// again may well succeed. Diesel names no kind for a deadlock, so its message tells.
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                _,
            )) => true,
            DbError::Query(DieselError::DatabaseError(_, info)) => {
                info.message().starts_with("deadlock detected")
            }
            _ => false,
        }
    }
}
