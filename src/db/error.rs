//! The storage layer's one error type. `http` maps it: `NotFound` → 404, `Conflict` → 409,
//! `Invalid` → 422, everything else → 500 with the cause only in the logs.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
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
