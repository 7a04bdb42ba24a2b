//! One row type per exported table, as the export file spells its columns.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::super::schema;

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

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::subscriptions)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionsRow {
    pub id: String,
    pub owner_token_id: String,
    pub owner_name: String,
    pub kind: String,
    pub target: String,
    pub format: String,
    pub filter: String,
    pub events: String,
    pub secret: Option<String>,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub link_key: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub failing_since: Option<NaiveDateTime>,
    pub paused_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::deliveries)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesRow {
    pub seq: i64,
    pub id: String,
    pub subscription_id: String,
    pub event: String,
    pub incident_key: String,
    pub body: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = schema::delivery_attempts)]
#[serde(deny_unknown_fields)]
pub struct DeliveryAttemptsRow {
    pub id: i64,
    pub delivery_id: String,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
}
