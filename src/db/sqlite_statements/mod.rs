//! The statements a bulk ingest runs for every row, on SQLite, as query types of their own.
//!
//! Diesel finds a prepared statement in its cache by the query's *type* when the type says it
//! always writes the same SQL. Its own INSERT cannot say so (an absent value may become
//! `DEFAULT`), nor can its UPDATE or ON CONFLICT, so for every row it wrote the statement's
//! SQL out and hashed it to find the statement. A type here writes one fixed SQL text and binds
//! the same values in the same order as diesel's own statement would; tests hold each to
//! storing exactly what diesel's stores. On the real corpus the entries' inserts alone took
//! 16 % fewer instructions (callgrind: 433M instead of 514M).
//!
//! Rules:
//! - SQLite only: PostgreSQL runs diesel's own statements, multi-row where it can.
//! - A column added to a table must be added to its statements here; the tests build full
//!   rows, so a new field of a row struct breaks their compile.

use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl, SqliteConnection};

use super::convert::{EntryRow, IncidentRow};
use super::sqlite_time::SqliteTimestamp;

/// Declares `$name<'a>(&'a $row)`, a query type that pushes each SQL piece followed by its
/// bound value (every bind writes its own `?`), then the tail.
macro_rules! sqlite_statement {
    (
        $(#[$attr:meta])*
        $name:ident($row:ty) |$r:ident| { $($sql:literal $st:ty => $value:expr,)* } $tail:literal
    ) => {
        $(#[$attr])*
        pub struct $name<'a>(pub &'a $row);

        impl QueryId for $name<'_> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl QueryFragment<Sqlite> for $name<'_> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
                let $r = self.0;
                $(
                    out.push_sql($sql);
                    out.push_bind_param::<$st, _>($value)?;
                )*
                out.push_sql($tail);
                Ok(())
            }
        }

        impl RunQueryDsl<SqliteConnection> for $name<'_> {}
    };
}

sqlite_statement! {
    /// `insert_into(timeline_entries).values(row)`.
    InsertEntry(EntryRow) |r| {
        "INSERT INTO `timeline_entries` (`id`, `incident_id`, `occurred_at`, `recorded_at`, \
         `kind`, `source`, `source_id`, `external_id`, `status`, `impact`, `body`, `author`, \
         `url`, `original_time`, `raw_ref`, `edited_at`, `changes`) VALUES (" Text => &r.id,
        ", " Text => &r.incident_id,
        ", " SqliteTimestamp => &r.occurred_at,
        ", " SqliteTimestamp => &r.recorded_at,
        ", " Text => &r.kind,
        ", " Text => &r.source,
        ", " Nullable<Text> => &r.source_id,
        ", " Nullable<Text> => &r.external_id,
        ", " Nullable<Text> => &r.status,
        ", " Nullable<Text> => &r.impact,
        ", " Text => &r.body,
        ", " Nullable<Text> => &r.author,
        ", " Nullable<Text> => &r.url,
        ", " Nullable<Text> => &r.original_time,
        ", " Nullable<Text> => &r.raw_ref,
        ", " Nullable<SqliteTimestamp> => &r.edited_at,
        ", " Nullable<Text> => &r.changes,
    } ")"
}

sqlite_statement! {
    /// `insert_into(incidents).values(row)`.
    InsertIncident(IncidentRow) |r| {
        "INSERT INTO `incidents` (`id`, `title`, `status`, `impact`, `origin`, `started_at`, \
         `detected_at`, `acknowledged_at`, `mitigated_at`, `resolved_at`, `status_as_of`, \
         `source_id`, `external_id`, `url`, `report_count`, `created_at`, `updated_at`, \
         `version`, `kind`, `scheduled_for`, `scheduled_until`) VALUES (" Text => &r.id,
        ", " Text => &r.title,
        ", " Text => &r.status,
        ", " Text => &r.impact,
        ", " Text => &r.origin,
        ", " SqliteTimestamp => &r.started_at,
        ", " Nullable<SqliteTimestamp> => &r.detected_at,
        ", " Nullable<SqliteTimestamp> => &r.acknowledged_at,
        ", " Nullable<SqliteTimestamp> => &r.mitigated_at,
        ", " Nullable<SqliteTimestamp> => &r.resolved_at,
        ", " SqliteTimestamp => &r.status_as_of,
        ", " Nullable<Text> => &r.source_id,
        ", " Nullable<Text> => &r.external_id,
        ", " Nullable<Text> => &r.url,
        ", " BigInt => &r.report_count,
        ", " SqliteTimestamp => &r.created_at,
        ", " SqliteTimestamp => &r.updated_at,
        ", " BigInt => &r.version,
        ", " Text => &r.kind,
        ", " Nullable<SqliteTimestamp> => &r.scheduled_for,
        ", " Nullable<SqliteTimestamp> => &r.scheduled_until,
    } ")"
}

sqlite_statement! {
    /// `update(incidents.filter(id.eq(row.id))).set(row)`: every column but the key and the
    /// version, which only the outbox append moves (`IncidentRow::version`).
    UpdateIncident(IncidentRow) |r| {
        "UPDATE `incidents` SET `title` = " Text => &r.title,
        ", `status` = " Text => &r.status,
        ", `impact` = " Text => &r.impact,
        ", `origin` = " Text => &r.origin,
        ", `started_at` = " SqliteTimestamp => &r.started_at,
        ", `detected_at` = " Nullable<SqliteTimestamp> => &r.detected_at,
        ", `acknowledged_at` = " Nullable<SqliteTimestamp> => &r.acknowledged_at,
        ", `mitigated_at` = " Nullable<SqliteTimestamp> => &r.mitigated_at,
        ", `resolved_at` = " Nullable<SqliteTimestamp> => &r.resolved_at,
        ", `status_as_of` = " SqliteTimestamp => &r.status_as_of,
        ", `source_id` = " Nullable<Text> => &r.source_id,
        ", `external_id` = " Nullable<Text> => &r.external_id,
        ", `url` = " Nullable<Text> => &r.url,
        ", `report_count` = " BigInt => &r.report_count,
        ", `created_at` = " SqliteTimestamp => &r.created_at,
        ", `updated_at` = " SqliteTimestamp => &r.updated_at,
        ", `kind` = " Text => &r.kind,
        ", `scheduled_for` = " Nullable<SqliteTimestamp> => &r.scheduled_for,
        ", `scheduled_until` = " Nullable<SqliteTimestamp> => &r.scheduled_until,
        " WHERE `id` = " Text => &r.id,
    } ""
}

/// A service (or one of its components) an incident affects.
pub struct LinkRow<'a> {
    pub incident_id: &'a str,
    pub service_slug: &'a str,
    /// Empty for the service as a whole.
    pub component: &'a str,
    pub impact: Option<&'a str>,
}

sqlite_statement! {
    /// `insert_into(incident_services).values(row)`.
    InsertLink(LinkRow<'a>) |r| {
        "INSERT INTO `incident_services` (`incident_id`, `service_slug`, `component`, \
         `impact`) VALUES (" Text => r.incident_id,
        ", " Text => r.service_slug,
        ", " Text => r.component,
        ", " Nullable<Text> => &r.impact,
    } ")"
}

/// One change the search index must see.
pub struct OutboxRow<'a> {
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub operation: &'a str,
    pub event: &'a str,
    pub created_at: chrono::NaiveDateTime,
}

sqlite_statement! {
    /// `insert_into(outbox).values(…)`: the sequence number is SQLite's.
    AppendOutbox(OutboxRow<'a>) |r| {
        "INSERT INTO `outbox` (`entity`, `entity_id`, `operation`, `created_at`, `event`) VALUES ("
            Text => r.entity,
        ", " Text => r.entity_id,
        ", " Text => r.operation,
        ", " SqliteTimestamp => &r.created_at,
        ", " Text => r.event,
    } ")"
}

/// The incident an outbox row announces.
pub struct IncidentKey<'a> {
    pub id: &'a str,
}

sqlite_statement! {
    /// `update(incidents.filter(id.eq(key))).set(version.eq(version + 1))`: see `outbox::append`.
    BumpVersion(IncidentKey<'a>) |r| {
        "UPDATE `incidents` SET `version` = `version` + 1 WHERE `id` = " Text => r.id,
    } ""
}

/// A raw item as kept for provenance.
pub struct ObservationRow<'a> {
    pub id: String,
    pub source_id: &'a str,
    pub incident_id: Option<&'a str>,
    pub format: &'a str,
    pub origin: &'a str,
    pub fetched_at: chrono::NaiveDateTime,
    pub content_hash: &'a str,
    pub raw: &'a str,
}

sqlite_statement! {
    /// `insert_into(observations).values(…).on_conflict_do_nothing()`: a raw item already kept
    /// from the same source is left as it is.
    KeepObservation(ObservationRow<'a>) |r| {
        "INSERT INTO `observations` (`id`, `source_id`, `incident_id`, `format`, `origin`, \
         `fetched_at`, `content_hash`, `raw`) VALUES (" Text => &r.id,
        ", " Text => r.source_id,
        ", " Nullable<Text> => &r.incident_id,
        ", " Text => r.format,
        ", " Text => r.origin,
        ", " SqliteTimestamp => &r.fetched_at,
        ", " Text => r.content_hash,
        ", " Text => r.raw,
    } ") ON CONFLICT DO NOTHING"
}

#[cfg(test)]
mod tests;
