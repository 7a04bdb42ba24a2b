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
//! reporter's hash.
//!
//! Import is all or nothing (one transaction) and only into an empty store, so nothing can be
//! merged half-way; a bad line is reported with its number.

use std::io::{BufRead, Write};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::convert::{EntryRow as TimelineEntriesRow, IncidentRow as IncidentsRow};
use super::{DbConn, DbError, outbox, schema};

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::services)]
#[serde(deny_unknown_fields)]
pub struct ServicesRow {
    pub slug: String,
    pub name: String,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub kind: String,
    pub depends_on: String,
    pub status_page_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::sources)]
#[serde(deny_unknown_fields)]
pub struct SourcesRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub url: Option<String>,
    pub service_slug: Option<String>,
    pub poll_interval_secs: Option<i32>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub secret: Option<String>,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub last_error_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub format: Option<String>,
    pub failures: i32,
    pub next_poll_at: Option<NaiveDateTime>,
    /// Absent from exports made before sources could be removed.
    #[serde(default)]
    pub removed_at: Option<NaiveDateTime>,
    /// A poller's lease (`db::poll_state`); absent from exports made before leases.
    #[serde(default)]
    pub lease_owner: Option<String>,
    #[serde(default)]
    pub lease_until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::incident_services)]
#[serde(deny_unknown_fields)]
pub struct IncidentServicesRow {
    pub incident_id: String,
    pub service_slug: String,
    pub component: String,
    pub impact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::incident_links)]
#[serde(deny_unknown_fields)]
pub struct IncidentLinksRow {
    pub id: String,
    pub from_incident: String,
    pub to_incident: String,
    pub kind: String,
    pub confidence: f64,
    pub reason: String,
    pub set_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::api_tokens)]
#[serde(deny_unknown_fields)]
pub struct ApiTokensRow {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub scope: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::app_secrets)]
#[serde(deny_unknown_fields)]
pub struct AppSecretsRow {
    pub name: String,
    pub value: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::observations)]
#[serde(deny_unknown_fields)]
pub struct ObservationsRow {
    pub id: String,
    pub source_id: String,
    pub incident_id: Option<String>,
    pub format: String,
    pub origin: String,
    pub fetched_at: NaiveDateTime,
    pub content_hash: String,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::entry_versions)]
#[serde(deny_unknown_fields)]
pub struct EntryVersionsRow {
    pub id: String,
    pub entry_id: String,
    pub body: String,
    pub replaced_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::service_components)]
#[serde(deny_unknown_fields)]
pub struct ServiceComponentsRow {
    pub service_slug: String,
    pub external_id: String,
    pub name: String,
    pub status: String,
    pub updated_at: NaiveDateTime,
    /// Absent from exports made before it existed.
    #[serde(default)]
    pub created_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::postmortems)]
#[serde(deny_unknown_fields)]
pub struct PostmortemsRow {
    pub id: String,
    pub incident_id: String,
    pub revision: i32,
    pub markdown: String,
    pub author: String,
    pub status: String,
    pub generated: i32,
    pub created_at: NaiveDateTime,
}

pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    aftermath_export: u32,
}

// User reports: reports, their dedup keys and counts, spikes, evaluation state and
// people's decisions on links. The reporter salt travels in `app_secrets`, so hashes still match.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::reports)]
#[serde(deny_unknown_fields)]
pub struct ReportsRow {
    pub id: String,
    pub service_slug: String,
    pub reported_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub symptom: Option<String>,
    pub comment: Option<String>,
    pub country: Option<String>,
    pub reporter_hash: String,
    pub counted: i32,
    pub via: String,
    pub incident_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::report_dedup)]
#[serde(deny_unknown_fields)]
pub struct ReportDedupRow {
    pub window_start: NaiveDateTime,
    pub service_slug: String,
    pub reporter_hash: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::report_buckets)]
#[serde(deny_unknown_fields)]
pub struct ReportBucketsRow {
    pub service_slug: String,
    pub minute: NaiveDateTime,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::spike_state)]
#[serde(deny_unknown_fields)]
pub struct SpikeStateRow {
    pub service_slug: String,
    pub evaluated_until: NaiveDateTime,
    pub open_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::report_spikes)]
#[serde(deny_unknown_fields)]
pub struct ReportSpikesRow {
    pub id: String,
    pub service_slug: String,
    pub onset: NaiveDateTime,
    pub onset_count: i64,
    pub baseline: f64,
    pub peak_at: NaiveDateTime,
    pub peak_count: i64,
    pub returned_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub incident_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::link_decisions)]
#[serde(deny_unknown_fields)]
pub struct LinkDecisionsRow {
    pub incident_a: String,
    pub incident_b: String,
    pub decision: String,
    pub decided_by: String,
    pub decided_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::audit_log)]
#[serde(deny_unknown_fields)]
pub struct AuditLogRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub subject: String,
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
    };
}

/// Whether an export carries the secrets that let it stand in for the store it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Leave,
    Include,
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
        _ => Some(row),
    }
}

/// Writes the whole store; returns the number of rows written.
pub fn export(conn: &mut DbConn, out: &mut impl Write, secrets: Secrets) -> Result<usize, DbError> {
    let io = |e: std::io::Error| DbError::Invalid {
        field: "output",
        message: e.to_string(),
    };
    let json = |e: serde_json::Error| DbError::Invalid {
        field: "output",
        message: e.to_string(),
    };
    serde_json::to_writer(
        &mut *out,
        &Header {
            aftermath_export: FORMAT_VERSION,
        },
    )
    .map_err(json)?;
    out.write_all(b"\n").map_err(io)?;
    let mut count = 0;
    macro_rules! dump {
        ($t:ident, $row:ident) => {
            let rows: Vec<$row> = schema::$t::table
                .select(schema::$t::all_columns)
                .load(conn)?;
            for row in &rows {
                let value = serde_json::to_value(row).map_err(json)?;
                let Some(row) = for_export(stringify!($t), value, secrets) else {
                    continue;
                };
                serde_json::to_writer(
                    &mut *out,
                    &LineOut {
                        table: stringify!($t),
                        row: &row,
                    },
                )
                .map_err(json)?;
                out.write_all(b"\n").map_err(io)?;
                count += 1;
            }
        };
    }
    for_each_table!(dump);
    Ok(count)
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
    Ok(Imported {
        rows: count,
        new_webhook_secrets,
    })
}

/// What an import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub rows: usize,
    /// Webhook sources that came without their secret and got a new one: their URLs changed.
    pub new_webhook_secrets: usize,
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
