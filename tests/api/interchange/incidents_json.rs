//! `/api/v2/incidents.json` has Statuspage's shape: incidents newest first with every field,
//! their updates newest first, and text served exactly as stored.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{HOSTILE_BODY, HOSTILE_TITLE, assert_ms_z, keys, populated, set, time};
use crate::helpers::TestApp;

/// The incidents `/api/v2/incidents.json` lists, after checking the document's top-level keys.
async fn listed_incidents(app: &TestApp) -> Vec<Value> {
    let list = app.get_json("/api/v2/incidents.json").await;
    assert_eq!(keys(&list), set(&["page", "incidents"]));
    list["incidents"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn incidents_json_lists_the_fifty_newest_incidents_newest_first() {
    let (app, _) = populated().await;
    let incidents = listed_incidents(&app).await;
    let total = app.get_json("/api/v1/incidents?limit=200").await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(incidents.len(), total.min(50));
    let starts: Vec<DateTime<Utc>> = incidents.iter().map(|i| time(&i["started_at"])).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");
}

#[actix_web::test]
async fn each_listed_incident_has_every_statuspage_field_its_times_and_a_shortlink() {
    let (app, _) = populated().await;
    for i in &listed_incidents(&app).await {
        assert_eq!(
            keys(i),
            set(&[
                "id",
                "name",
                "status",
                "created_at",
                "updated_at",
                "monitoring_at",
                "resolved_at",
                "impact",
                "shortlink",
                "started_at",
                "page_id",
                "incident_updates",
                "components"
            ])
        );
        for f in ["created_at", "updated_at", "started_at"] {
            assert_ms_z(&i[f], f);
        }
        for f in ["monitoring_at", "resolved_at"] {
            assert!(
                i[f].is_null() || {
                    assert_ms_z(&i[f], f);
                    true
                }
            );
        }
        let id = i["id"].as_str().unwrap();
        assert_eq!(i["shortlink"], format!("{}/incidents/{id}", app.address));
    }
}

#[actix_web::test]
async fn each_incident_s_updates_come_newest_first_with_statuspage_fields_and_statuses() {
    let (app, _) = populated().await;
    for i in &listed_incidents(&app).await {
        let id = i["id"].as_str().unwrap();
        let updates = i["incident_updates"].as_array().unwrap();
        assert!(!updates.is_empty());
        let shown: Vec<DateTime<Utc>> = updates.iter().map(|u| time(&u["display_at"])).collect();
        assert!(
            shown.windows(2).all(|w| w[0] >= w[1]),
            "updates newest first"
        );
        for u in updates {
            assert_eq!(
                keys(u),
                set(&[
                    "id",
                    "status",
                    "body",
                    "incident_id",
                    "created_at",
                    "updated_at",
                    "display_at"
                ])
            );
            assert_eq!(u["incident_id"], id);
            assert!(
                [
                    "investigating",
                    "identified",
                    "monitoring",
                    "resolved",
                    "postmortem",
                    "update"
                ]
                .contains(&u["status"].as_str().unwrap()),
                "{u}"
            );
            for f in ["created_at", "updated_at", "display_at"] {
                assert_ms_z(&u[f], f);
            }
        }
    }
}

#[actix_web::test]
async fn a_hostile_incident_is_served_as_stored_and_a_note_takes_the_status_at_that_point() {
    let (app, hostile) = populated().await;
    let incidents = listed_incidents(&app).await;
    let h = incidents
        .iter()
        .find(|i| i["id"] == hostile.as_str())
        .unwrap();
    assert_eq!(h["name"], HOSTILE_TITLE);
    let ups = h["incident_updates"].as_array().unwrap();
    assert_eq!(ups.len(), 3);
    assert_eq!(ups[2]["body"], HOSTILE_BODY);
    assert_eq!(ups[2]["status"], "investigating");
    assert_eq!(ups[1]["status"], "identified");
    assert_eq!(
        ups[0]["status"], "identified",
        "a note takes the status at that point"
    );
}
