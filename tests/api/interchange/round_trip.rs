//! What we serve as Statuspage JSON reads back through our own Statuspage parser unchanged.

use std::collections::HashMap;

use aftermath::ingest::{self, Format, html};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{bytes, populated, time, timeline};

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

#[actix_web::test]
async fn statuspage_json_round_trips_through_our_parser() {
    let (app, _) = populated().await;
    let (kind, raw) = bytes(&app, "/api/v2/incidents.json").await;
    assert!(kind.starts_with("application/json"), "{kind}");
    let ours: Value = serde_json::from_slice(&raw).unwrap();
    let doc = ingest::parse(Format::Statuspage, &raw).unwrap();
    let listed = ours["incidents"].as_array().unwrap();
    assert_eq!(doc.incidents.len(), listed.len());
    assert_eq!(doc.page.as_ref().unwrap().name, "Aftermath");
    for (obs, json) in doc.incidents.iter().zip(listed) {
        let id = json["id"].as_str().unwrap();
        assert_eq!(obs.external_id, id);
        assert_eq!(obs.title, json["name"].as_str().unwrap());
        assert_eq!(obs.status_raw, json["status"].as_str().unwrap());
        assert_eq!(obs.impact_raw.as_deref(), json["impact"].as_str());
        assert_eq!(obs.started_at.map(ms), Some(ms(time(&json["started_at"]))));
        assert_eq!(
            obs.url.as_deref(),
            Some(format!("{}/incidents/{id}", app.address).as_str())
        );
        let stored = timeline(&app, id).await;
        assert_eq!(obs.updates.len(), stored.len(), "every update of {id}");
        let by_id: HashMap<&str, &Value> = stored
            .iter()
            .map(|e| (e["id"].as_str().unwrap(), e))
            .collect();
        for u in &obs.updates {
            let e = by_id[u.external_id.as_str()];
            assert_eq!(
                ms(u.occurred_at),
                ms(time(&e["occurred_at"])),
                "time of {}",
                u.external_id
            );
            // Statuspage bodies may hold HTML, and our parser renders such bodies to text.
            assert_eq!(
                u.body,
                html::body_text(e["body"].as_str().unwrap()),
                "body of {}",
                u.external_id
            );
            let word = json["incident_updates"]
                .as_array()
                .unwrap()
                .iter()
                .find(|j| j["id"] == u.external_id.as_str())
                .unwrap()["status"]
                .clone();
            assert_eq!(u.status_raw.as_deref(), word.as_str());
        }
    }

    let (_, raw) = bytes(&app, "/api/v2/summary.json").await;
    let summary: Value = serde_json::from_slice(&raw).unwrap();
    let doc = ingest::parse(Format::Statuspage, &raw).unwrap();
    // Maintenances come back too, marked as maintenances.
    assert_eq!(
        doc.incidents.iter().filter(|i| !i.is_maintenance).count(),
        summary["incidents"].as_array().unwrap().len()
    );
    assert_eq!(
        doc.incidents.iter().filter(|i| i.is_maintenance).count(),
        summary["scheduled_maintenances"].as_array().unwrap().len()
    );
    assert_eq!(
        doc.component_changes.len(),
        summary["components"].as_array().unwrap().len()
    );
    for (c, j) in doc
        .component_changes
        .iter()
        .zip(summary["components"].as_array().unwrap())
    {
        assert_eq!(
            (c.name.as_str(), c.status_raw.as_str()),
            (j["name"].as_str().unwrap(), j["status"].as_str().unwrap())
        );
    }
}
