//! Scheduled maintenances are records of their own kind: they carry their window and their own
//! status, and ordinary incidents say they are incidents.

use serde_json::Value;

use crate::helpers::spawn_app;
use crate::ingest::{fixture, ingest_ok};

#[actix_web::test]
async fn a_statuspage_maintenance_is_a_maintenance_with_its_window() {
    let app = spawn_app().await;
    ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    let list = app.get_json("/api/v1/incidents?service=acme").await;
    let items = list["items"].as_array().unwrap();
    let of_kind =
        |kind: &str| -> Vec<&Value> { items.iter().filter(|i| i["kind"] == kind).collect() };
    let maintenances = of_kind("maintenance");
    assert_eq!(maintenances.len(), 1, "{list}");
    let drill = maintenances[0];
    assert_eq!(drill["title"], "Database failover drill");
    assert_eq!(drill["scheduled_for"], "2026-02-14T03:00:00Z");
    assert_eq!(drill["scheduled_until"], "2026-02-14T04:00:00Z");
    assert!(
        ["scheduled", "in_progress", "verifying", "completed"]
            .contains(&drill["maintenance_status"].as_str().unwrap()),
        "{drill}"
    );
    let incidents = of_kind("incident");
    assert_eq!(incidents.len(), 1, "{list}");
    assert!(incidents[0].get("scheduled_for").is_none());
    assert!(incidents[0].get("maintenance_status").is_none());

    // Read again, nothing changes.
    let report = ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    assert_eq!(report["updated"], 0, "{report}");
}

#[actix_web::test]
async fn summary_json_lists_maintenances_apart_and_they_round_trip_as_maintenances() {
    let app = spawn_app().await;
    ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    let raw = app
        .client
        .get(app.url("/api/v2/summary.json?service=acme"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let summary: Value = serde_json::from_slice(&raw).unwrap();
    let planned = summary["scheduled_maintenances"].as_array().unwrap();
    assert_eq!(planned.len(), 1, "{summary}");
    assert_eq!(planned[0]["name"], "Database failover drill");
    assert_eq!(planned[0]["impact"], "maintenance");
    assert_eq!(planned[0]["scheduled_for"], "2026-02-14T03:00:00.000Z");
    assert!(
        summary["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["name"] != "Database failover drill"),
        "{summary}"
    );

    let doc = aftermath::ingest::parse(aftermath::ingest::Format::Statuspage, &raw).unwrap();
    let drill = doc
        .incidents
        .iter()
        .find(|i| i.title == "Database failover drill")
        .unwrap();
    assert!(drill.is_maintenance);
    assert_eq!(
        drill.scheduled_for.map(|t| t.to_rfc3339()),
        Some("2026-02-14T03:00:00+00:00".to_string())
    );
    assert!(doc.incidents.iter().filter(|i| !i.is_maintenance).count() >= 1);
}
