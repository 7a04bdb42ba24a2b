//! Each statement stores exactly what diesel's own statement stores, timestamp text included.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::*;
use crate::db::schema::{incident_services, incidents, observations, outbox, timeline_entries};
use crate::db::{Db, DbConn};

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

/// A fresh store whose foreign keys are off: column order is under test, not what rows refer to.
fn store() -> (tempfile::TempDir, DbConn) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut conn = Db::connect(&url).unwrap().dedicated_writer().unwrap();
    sqlite(&mut conn)
        .batch_execute("PRAGMA foreign_keys = OFF")
        .unwrap();
    (dir, conn)
}

fn sqlite(conn: &mut DbConn) -> &mut SqliteConnection {
    match conn {
        DbConn::Sqlite(c) => c,
        DbConn::Postgres(_) => panic!("a sqlite:// URL opens SQLite"),
    }
}

#[derive(QueryableByName)]
struct Texts {
    #[diesel(sql_type = Text)]
    t: String,
}

/// The stored text of `columns` (an SQL expression) for every row of `table`, in key order.
fn texts(c: &mut SqliteConnection, table: &str, columns: &str, key: &str) -> Vec<String> {
    diesel::sql_query(format!("SELECT {columns} AS t FROM {table} ORDER BY {key}"))
        .load::<Texts>(c)
        .unwrap()
        .into_iter()
        .map(|r| r.t)
        .collect()
}

fn json<T: serde::Serialize>(rows: &[T]) -> serde_json::Value {
    serde_json::to_value(rows).unwrap()
}

#[test]
fn an_entry_is_stored_as_diesels_own_insert_stores_it() {
    let (_dir, mut conn) = store();
    let c = sqlite(&mut conn);
    let full = EntryRow {
        id: "a".into(),
        incident_id: "incident".into(),
        occurred_at: at("2026-01-02 03:04:05.123456"),
        recorded_at: at("2026-01-02 03:04:06"),
        kind: "status_update".into(),
        source: "statuspage".into(),
        source_id: Some("source".into()),
        external_id: Some("update".into()),
        status: Some("resolved".into()),
        impact: Some("major".into()),
        body: "All good".into(),
        author: Some("Ops".into()),
        url: Some("https://example.com/u".into()),
        original_time: Some("Jan 2, 03:04 UTC".into()),
        raw_ref: Some("raw".into()),
        edited_at: Some(at("2026-01-03 00:00:00")),
        changes: Some("[]".into()),
    };
    let empty = EntryRow {
        id: "b".into(),
        source_id: None,
        external_id: None,
        status: None,
        impact: None,
        author: None,
        url: None,
        original_time: None,
        raw_ref: None,
        edited_at: None,
        changes: None,
        ..full.clone()
    };
    let mut expected = Vec::new();
    for ours in [full, empty] {
        InsertEntry(&ours).execute(c).unwrap();
        let theirs = EntryRow {
            id: format!("{}-diesel", ours.id),
            external_id: ours.external_id.as_ref().map(|e| format!("{e}-diesel")),
            ..ours.clone()
        };
        diesel::insert_into(timeline_entries::table)
            .values(&theirs)
            .execute(c)
            .unwrap();
        expected.extend([ours, theirs]);
    }
    let stored: Vec<EntryRow> = timeline_entries::table
        .order(timeline_entries::id)
        .select(EntryRow::as_select())
        .load(c)
        .unwrap();
    assert_eq!(json(&stored), json(&expected));
    let times = texts(
        c,
        "timeline_entries",
        "occurred_at || '|' || recorded_at || '|' || coalesce(edited_at, '')",
        "id",
    );
    assert_eq!(
        times[0], times[1],
        "the same timestamp text as diesel writes"
    );
    assert_eq!(times[2], times[3]);
}

fn incident(id: &str) -> IncidentRow {
    IncidentRow {
        id: id.into(),
        title: "Elevated errors".into(),
        status: "monitoring".into(),
        impact: "major".into(),
        origin: "status_page".into(),
        started_at: at("2026-01-02 03:04:05.123456"),
        detected_at: Some(at("2026-01-02 03:05:00")),
        acknowledged_at: Some(at("2026-01-02 03:06:00")),
        mitigated_at: Some(at("2026-01-02 03:07:00")),
        resolved_at: Some(at("2026-01-02 03:08:00")),
        status_as_of: at("2026-01-02 03:09:00"),
        source_id: Some("source".into()),
        external_id: Some(format!("ext-{id}")),
        url: Some("https://example.com/i".into()),
        report_count: 7,
        created_at: at("2026-01-02 04:00:00"),
        updated_at: at("2026-01-02 04:00:01.5"),
        version: 3,
        kind: "incident".into(),
        scheduled_for: None,
        scheduled_until: None,
    }
}

fn stored_incidents(c: &mut SqliteConnection) -> Vec<IncidentRow> {
    incidents::table
        .order(incidents::id)
        .select(IncidentRow::as_select())
        .load(c)
        .unwrap()
}

const INCIDENT_TIMES: &str = "started_at || '|' || coalesce(detected_at, '') || '|' || \
    coalesce(resolved_at, '') || '|' || status_as_of || '|' || updated_at";

#[test]
fn an_incident_is_inserted_and_updated_as_diesel_would() {
    let (_dir, mut conn) = store();
    let c = sqlite(&mut conn);
    let ours = incident("a");
    let theirs = incident("b");
    InsertIncident(&ours).execute(c).unwrap();
    diesel::insert_into(incidents::table)
        .values(&theirs)
        .execute(c)
        .unwrap();
    assert_eq!(json(&stored_incidents(c)), json(&[&ours, &theirs]));

    // Every column but the key changes, some to NULL.
    let changed = |id: &str| IncidentRow {
        title: "Resolved: elevated errors".into(),
        status: "resolved".into(),
        impact: "minor".into(),
        origin: "report_spike".into(),
        started_at: at("2026-01-01 00:00:00"),
        detected_at: None,
        acknowledged_at: None,
        mitigated_at: None,
        resolved_at: Some(at("2026-01-03 00:00:00.25")),
        status_as_of: at("2026-01-03 00:00:01"),
        source_id: None,
        external_id: None,
        url: None,
        report_count: 9,
        created_at: at("2026-01-01 00:00:02"),
        updated_at: at("2026-01-03 00:00:03"),
        ..incident(id)
    };
    let (ours, theirs) = (changed("a"), changed("b"));
    assert_eq!(UpdateIncident(&ours).execute(c).unwrap(), 1);
    diesel::update(incidents::table.filter(incidents::id.eq(&theirs.id)))
        .set(&theirs)
        .execute(c)
        .unwrap();
    assert_eq!(json(&stored_incidents(c)), json(&[&ours, &theirs]));
    let times = texts(c, "incidents", INCIDENT_TIMES, "id");
    assert_eq!(
        times[0], times[1],
        "the same timestamp text as diesel writes"
    );
}

#[test]
fn a_service_link_is_stored_as_diesel_stores_it() {
    let (_dir, mut conn) = store();
    let c = sqlite(&mut conn);
    for (incident, impact) in [("a", Some("major")), ("b", None)] {
        let link = LinkRow {
            incident_id: incident,
            service_slug: "github",
            component: "Actions",
            impact,
        };
        InsertLink(&link).execute(c).unwrap();
        diesel::insert_into(incident_services::table)
            .values((
                incident_services::incident_id.eq(format!("{incident}-diesel")),
                incident_services::service_slug.eq("github"),
                incident_services::component.eq("Actions"),
                incident_services::impact.eq(impact),
            ))
            .execute(c)
            .unwrap();
    }
    let rows = texts(
        c,
        "incident_services",
        "service_slug || '|' || component || '|' || coalesce(impact, 'NULL')",
        "incident_id",
    );
    assert_eq!(rows[0], rows[1]);
    assert_eq!(rows[2], rows[3]);
    assert_eq!(rows[0], "github|Actions|major");
    assert_eq!(rows[2], "github|Actions|NULL");
}

#[test]
fn an_outbox_row_is_appended_as_diesel_appends_it() {
    let (_dir, mut conn) = store();
    let c = sqlite(&mut conn);
    let created_at = at("2026-01-02 03:04:05.5");
    AppendOutbox(&OutboxRow {
        entity: "incident",
        entity_id: "a",
        operation: "upsert",
        event: "updated",
        created_at,
    })
    .execute(c)
    .unwrap();
    diesel::insert_into(outbox::table)
        .values((
            outbox::entity.eq("incident"),
            outbox::entity_id.eq("a"),
            outbox::operation.eq("upsert"),
            outbox::created_at.eq(created_at),
        ))
        .execute(c)
        .unwrap();
    let rows = texts(
        c,
        "outbox",
        "seq || '|' || entity || '|' || entity_id || '|' || operation || '|' || created_at",
        "seq",
    );
    let without_seq: Vec<&str> = rows.iter().map(|r| r.split_once('|').unwrap().1).collect();
    assert_eq!(without_seq[0], without_seq[1]);
    assert!(rows[0].starts_with("1|") && rows[1].starts_with("2|"));
}

#[test]
fn an_observation_is_kept_once_as_diesel_keeps_it() {
    let (_dir, mut conn) = store();
    let c = sqlite(&mut conn);
    let fetched_at = at("2026-01-02 03:04:05.5");
    let row = |id: &str, source_id: &'static str, incident_id| ObservationRow {
        id: id.to_string(),
        source_id,
        incident_id,
        format: "statuspage",
        origin: "file:x.json",
        fetched_at,
        content_hash: "abc",
        raw: "{\"id\":1}",
    };
    assert_eq!(
        KeepObservation(&row("a", "s1", Some("i")))
            .execute(c)
            .unwrap(),
        1
    );
    assert_eq!(
        KeepObservation(&row("b", "s1", None)).execute(c).unwrap(),
        0,
        "the same raw item from the same source is kept once"
    );
    let theirs = row("c", "s2", Some("i"));
    diesel::insert_into(observations::table)
        .values((
            observations::id.eq(&theirs.id),
            observations::source_id.eq(theirs.source_id),
            observations::incident_id.eq(theirs.incident_id),
            observations::format.eq(theirs.format),
            observations::origin.eq(theirs.origin),
            observations::fetched_at.eq(theirs.fetched_at),
            observations::content_hash.eq(theirs.content_hash),
            observations::raw.eq(theirs.raw),
        ))
        .execute(c)
        .unwrap();
    let rows = texts(
        c,
        "observations",
        "coalesce(incident_id, 'NULL') || '|' || format || '|' || origin || '|' || \
         fetched_at || '|' || content_hash || '|' || raw",
        "id",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], rows[1]);
}
