//! Embedded migrations, one set per backend with the same version names.
//!
//! SQLite: foreign keys off while migrating (table rebuilds need it), WAL on (stored in the file).
//! PostgreSQL: several instances may start together, so a process first checks for pending
//! migrations without a lock and only takes an advisory lock when something is pending.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::DatabaseUrl;
use super::error::DbError;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any constant will do, as long as every instance uses the same one.
const MIGRATION_LOCK_KEY: i64 = 0x6166_7465_726d_6174; // "aftermat"

/// The embedded migration names per backend, for the test that keeps the two sets in step.
pub fn migration_names() -> Result<(Vec<String>, Vec<String>), DbError> {
    let sqlite = MigrationSource::<Sqlite>::migrations(&SQLITE)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    let postgres = MigrationSource::<Pg>::migrations(&POSTGRES)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok((
        sqlite.iter().map(|m| m.name().to_string()).collect(),
        postgres.iter().map(|m| m.name().to_string()).collect(),
    ))
}

/// Applies pending migrations; returns how many were applied.
pub fn run_migrations(url: &DatabaseUrl) -> Result<usize, DbError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let super::DbConn::Sqlite(mut conn) = url.establish()? else {
                return Err(DbError::Url(format!("{} is not SQLite", path.display())));
            };
            migrate_sqlite(&mut conn)
        }
        DatabaseUrl::Postgres(raw) => {
            let mut conn = PgConnection::establish(raw)?;
            migrate_postgres(&mut conn)
        }
    }
}

/// Applies the pending migrations whose names sort before `before`, and no later one; returns
/// how many were applied. Tests use it to build a store as the release before a data-rewriting
/// migration wrote it (DESIGN.md: such a migration "is tested on a store written by the release
/// before it"); `run_migrations` then applies the rest.
pub fn migrate_until(url: &DatabaseUrl, before: &str) -> Result<usize, DbError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let super::DbConn::Sqlite(mut conn) = url.establish()? else {
                return Err(DbError::Url(format!("{} is not SQLite", path.display())));
            };
            conn.batch_execute("PRAGMA foreign_keys = OFF")?;
            let applied = apply_before(&mut conn, SQLITE, before)?;
            conn.batch_execute("PRAGMA foreign_keys = ON")?;
            Ok(applied)
        }
        DatabaseUrl::Postgres(raw) => {
            let mut conn = PgConnection::establish(raw)?;
            apply_before(&mut conn, POSTGRES, before)
        }
    }
}

fn apply_before<DB, C>(
    conn: &mut C,
    source: EmbeddedMigrations,
    before: &str,
) -> Result<usize, DbError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let boxed = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    let pending = conn.pending_migrations(source).map_err(boxed)?;
    let mut applied = 0;
    for migration in pending {
        if migration.name().to_string().as_str() >= before {
            break;
        }
        conn.run_migration(&migration).map_err(boxed)?;
        applied += 1;
    }
    Ok(applied)
}

fn migrate_sqlite(conn: &mut SqliteConnection) -> Result<usize, DbError> {
    conn.batch_execute("PRAGMA foreign_keys = OFF")?;
    conn.batch_execute("PRAGMA journal_mode = WAL")?;
    let applied = conn
        .run_pending_migrations(SQLITE)
        .map_err(|e| DbError::Migration(e.to_string()))?
        .len();
    conn.batch_execute("PRAGMA foreign_keys = ON")?;
    Ok(applied)
}

fn migrate_postgres(conn: &mut PgConnection) -> Result<usize, DbError> {
    let pending = |conn: &mut PgConnection| {
        conn.has_pending_migration(POSTGRES)
            .map_err(|e| DbError::Migration(e.to_string()))
    };
    if !pending(conn)? {
        return Ok(0);
    }
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).execute(conn)?;
    let result = conn
        .run_pending_migrations(POSTGRES)
        .map(|v| v.len())
        .map_err(|e| DbError::Migration(e.to_string()));
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(conn)?;
    result
}
