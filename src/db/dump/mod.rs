//! The whole store as JSON Lines, for moving it between SQLite and PostgreSQL losslessly.
//!
//! Format: a header line `{"aftermath_export": 1}`, then one line per row,
//! `{"table": NAME, "row": {...columns...}}`, tables in foreign-key order. Times keep their
//! microseconds; ids and hashes are copied as stored. The outbox is not exported (it is
//! derived): import announces every incident to the search index instead.
//!
//! Secrets: sessions and the cookie key never leave the store. The reporter salt and inbound
//! webhook secrets go out only with [`Secrets::Include`]; without them, the importing store
//! makes a new salt on first use and new webhook secrets at import, and says how many webhook
//! URLs changed. So a copy of an export lets nobody sign in, post to a webhook, or match a
//! reporter's hash. Notification subscriptions follow the same rule ([`notify`]): their
//! signing secrets and Slack URLs go out only with the secrets.
//!
//! Notifications: subscriptions, deliveries and their attempts are part of the store and move
//! with it. Pending deliveries have to (at least once: nothing else would send them), and the
//! id a delivery keeps is its receivers' idempotency key, so one sent by both stores around a
//! move is dropped as a duplicate. Leases (a running worker's claim) are cleared.
//!
//! Export is one snapshot (one read transaction), streamed row by row: see [`export`]. Rows
//! within a table come in no particular order.
//!
//! Import is all or nothing (one transaction) and only into an empty store, so nothing can be
//! merged half-way; a bad line is reported with its number.

use std::io::{BufRead, Write};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::convert::{EntryRow as TimelineEntriesRow, IncidentRow as IncidentsRow};
use super::{DbConn, DbError, outbox, schema};

mod notify;
mod rows;
pub use rows::*;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    aftermath_export: u32,
}

#[derive(Serialize)]
struct LineOut<'a, T> {
    table: &'static str,
    row: &'a T,
}

#[derive(Deserialize)]
struct LineIn {
    table: String,
    row: serde_json::Value,
}

/// Calls `$m!(table, RowType)` for every exported table, in foreign-key order.
macro_rules! for_each_table {
    ($m:ident) => {
        $m!(services, ServicesRow);
        $m!(sources, SourcesRow);
        $m!(incidents, IncidentsRow);
        $m!(incident_services, IncidentServicesRow);
        $m!(timeline_entries, TimelineEntriesRow);
        $m!(incident_links, IncidentLinksRow);
        $m!(api_tokens, ApiTokensRow);
        $m!(app_secrets, AppSecretsRow);
        $m!(observations, ObservationsRow);
        $m!(entry_versions, EntryVersionsRow);
        $m!(service_components, ServiceComponentsRow);
        $m!(postmortems, PostmortemsRow);
        $m!(reports, ReportsRow);
        $m!(report_dedup, ReportDedupRow);
        $m!(report_buckets, ReportBucketsRow);
        $m!(spike_state, SpikeStateRow);
        $m!(report_spikes, ReportSpikesRow);
        $m!(link_decisions, LinkDecisionsRow);
        $m!(audit_log, AuditLogRow);
        $m!(subscriptions, SubscriptionsRow);
        $m!(deliveries, DeliveriesRow);
        $m!(delivery_attempts, DeliveryAttemptsRow);
    };
}

/// Whether an export carries the secrets that let it stand in for the store it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Leave,
    Include,
}

impl Secrets {
    /// From `export --include-secrets`.
    pub fn from_flag(include: bool) -> Self {
        if include { Self::Include } else { Self::Leave }
    }
}

/// The row as it may leave the store, or `None` when it may not leave at all.
fn for_export(
    table: &str,
    mut row: serde_json::Value,
    secrets: Secrets,
) -> Option<serde_json::Value> {
    match table {
        "app_secrets" => {
            let name = row.get("name").and_then(|n| n.as_str()).unwrap_or_default();
            let portable = name == super::secrets::REPORTER_SALT && secrets == Secrets::Include;
            portable.then_some(row)
        }
        "sources" => {
            // A lease is a running poller's claim, meaningless in another store.
            let mut cleared = vec!["lease_owner", "lease_until"];
            if secrets == Secrets::Leave {
                cleared.push("secret");
            }
            for field in cleared {
                if let Some(value) = row.get_mut(field) {
                    *value = serde_json::Value::Null;
                }
            }
            Some(row)
        }
        "subscriptions" => Some(notify::subscription_for_export(row, secrets)),
        "deliveries" => Some(notify::delivery_for_export(row)),
        _ => Some(row),
    }
}

/// Writes the whole store as one snapshot, streaming; returns the number of rows written.
///
/// On PostgreSQL it reads in one `REPEATABLE READ READ ONLY` transaction, on SQLite in one
/// deferred read transaction (one WAL snapshot): rows committed meanwhile are either all in
/// the file or all out of it, so every reference in the file resolves and it always imports.
/// Rows go to `out` one by one as the database hands them over (PostgreSQL's single-row
/// mode, SQLite's stepping), so memory stays flat whatever the size of a table.
pub fn export(conn: &mut DbConn, out: &mut impl Write, secrets: Secrets) -> Result<usize, DbError> {
    write_line(
        out,
        &Header {
            aftermath_export: FORMAT_VERSION,
        },
    )?;
    match conn {
        DbConn::Postgres(c) => c
            .build_transaction()
            .repeatable_read()
            .read_only()
            .run(|c| stream_postgres(c, out, secrets)),
        DbConn::Sqlite(c) => c.transaction(|c| stream_sqlite(c, out, secrets)),
    }
}

fn stream_postgres(
    c: &mut diesel::PgConnection,
    out: &mut impl Write,
    secrets: Secrets,
) -> Result<usize, DbError> {
    use diesel::pg::PgRowByRowLoadingMode;
    let mut count = 0;
    macro_rules! dump {
        ($t:ident, $row:ident) => {
            let rows = schema::$t::table
                .select(schema::$t::all_columns)
                .load_iter::<$row, PgRowByRowLoadingMode>(c)?;
            for row in rows {
                count += write_row(stringify!($t), &row?, out, secrets)?;
            }
        };
    }
    for_each_table!(dump);
    Ok(count)
}

// The same as `stream_postgres` but for its loading mode: diesel names a backend's row-by-row
// mode by a type of that backend's connection, so the two cannot share one generic body.
fn stream_sqlite(
    c: &mut diesel::SqliteConnection,
    out: &mut impl Write,
    secrets: Secrets,
) -> Result<usize, DbError> {
    use diesel::connection::DefaultLoadingMode;
    let mut count = 0;
    macro_rules! dump {
        ($t:ident, $row:ident) => {
            let rows = schema::$t::table
                .select(schema::$t::all_columns)
                .load_iter::<$row, DefaultLoadingMode>(c)?;
            for row in rows {
                count += write_row(stringify!($t), &row?, out, secrets)?;
            }
        };
    }
    for_each_table!(dump);
    Ok(count)
}

/// Writes one row's line unless it may not leave the store; returns the lines written.
fn write_row<T: Serialize>(
    table: &'static str,
    row: &T,
    out: &mut impl Write,
    secrets: Secrets,
) -> Result<usize, DbError> {
    let value = serde_json::to_value(row).map_err(output_error)?;
    let Some(row) = for_export(table, value, secrets) else {
        return Ok(0);
    };
    write_line(out, &LineOut { table, row: &row })?;
    Ok(1)
}

fn write_line(out: &mut impl Write, line: &impl Serialize) -> Result<(), DbError> {
    serde_json::to_writer(&mut *out, line).map_err(output_error)?;
    out.write_all(b"\n").map_err(output_error)
}

fn output_error(e: impl std::fmt::Display) -> DbError {
    DbError::Invalid {
        field: "output",
        message: e.to_string(),
    }
}

/// Reads an export into an empty store, inside the caller's write transaction.
pub fn import(conn: &mut DbConn, input: impl BufRead) -> Result<Imported, DbError> {
    let existing: i64 = schema::incidents::table.count().get_result(conn)?;
    let services: i64 = schema::services::table.count().get_result(conn)?;
    if existing > 0 || services > 0 {
        return Err(DbError::Invalid {
            field: "import",
            message: "the target store is not empty; import only into a fresh database".into(),
        });
    }
    let bad = |line: usize, message: String| DbError::Invalid {
        field: "import",
        message: format!("line {line}: {message}"),
    };
    let mut lines = input.lines().enumerate();
    match lines.next() {
        Some((_, Ok(first))) => {
            let header: Header = serde_json::from_str(&first)
                .map_err(|e| bad(1, format!("not an Aftermath export header: {e}")))?;
            if header.aftermath_export != FORMAT_VERSION {
                return Err(bad(
                    1,
                    format!(
                        "export format {} is not supported (expected {FORMAT_VERSION})",
                        header.aftermath_export
                    ),
                ));
            }
        }
        Some((_, Err(e))) => return Err(bad(1, e.to_string())),
        None => return Err(bad(1, "the file is empty".into())),
    }
    let mut count = 0;
    for (i, line) in lines {
        let n = i + 1;
        let line = line.map_err(|e| bad(n, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let LineIn { table, row } =
            serde_json::from_str(&line).map_err(|e| bad(n, e.to_string()))?;
        macro_rules! load {
            ($t:ident, $row:ident) => {
                if table == stringify!($t) {
                    let row: $row = serde_json::from_value(row)
                        .map_err(|e| bad(n, format!("{}: {e}", stringify!($t))))?;
                    diesel::insert_into(schema::$t::table)
                        .values(&row)
                        .execute(conn)
                        .map_err(|e| bad(n, e.to_string()))?;
                    count += 1;
                    continue;
                }
            };
        }
        for_each_table!(load);
        return Err(bad(n, format!("unknown table {table:?}")));
    }
    let ids: Vec<String> = schema::incidents::table
        .select(schema::incidents::id)
        .load(conn)?;
    for id in ids {
        outbox::append_keeping_version(
            conn,
            outbox::Entity::Incident,
            &id,
            outbox::Operation::Upsert,
        )?;
    }
    let new_webhook_secrets = new_webhook_secrets(conn)?;
    let subscriptions = notify::after_import(conn)?;
    Ok(Imported {
        rows: count,
        new_webhook_secrets,
        new_subscription_secrets: subscriptions.new_secrets,
        slack_paused: subscriptions.slack_paused,
    })
}

/// What an import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub rows: usize,
    /// Webhook sources that came without their secret and got a new one: their URLs changed.
    pub new_webhook_secrets: usize,
    /// Webhook subscriptions that came without their signing secret and got a new one: their
    /// receivers need it (the owner rotates it to see it).
    pub new_subscription_secrets: usize,
    /// Slack subscriptions that came without their URL (it is a secret): paused until their
    /// owners subscribe again.
    pub slack_paused: usize,
}

/// A new secret for every webhook source that has none (an export without secrets).
fn new_webhook_secrets(conn: &mut DbConn) -> Result<usize, DbError> {
    use rand::RngCore;
    let ids: Vec<String> = schema::sources::table
        .filter(schema::sources::kind.eq("statuspage-webhook"))
        .filter(schema::sources::secret.is_null())
        .select(schema::sources::id)
        .load(conn)?;
    for id in &ids {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        diesel::update(schema::sources::table.find(id))
            .set(schema::sources::secret.eq(hex::encode(bytes)))
            .execute(conn)?;
    }
    Ok(ids.len())
}
