//! `/api/v2/summary.json` and `/api/v2/incidents/unresolved.json` have Statuspage's shapes:
//! the page, the open incidents, the overall status and the components.

use serde_json::{Value, json};

use super::{assert_ms_z, keys, populated, set};

/// The open incidents the summary lists.
fn open_incidents(summary: &Value) -> &Vec<Value> {
    summary["incidents"].as_array().unwrap()
}

#[actix_web::test]
async fn the_summary_has_statuspage_s_top_level_keys_and_page() {
    let (app, _) = populated().await;
    let summary = app.get_json("/api/v2/summary.json").await;
    assert_eq!(
        keys(&summary),
        set(&[
            "page",
            "status",
            "components",
            "incidents",
            "scheduled_maintenances"
        ])
    );
    let page = &summary["page"];
    assert_eq!(
        keys(page),
        set(&["id", "name", "url", "time_zone", "updated_at"])
    );
    assert_eq!(page["name"], "Aftermath");
    assert_eq!(page["time_zone"], "Etc/UTC");
    assert_eq!(page["url"], app.address.as_str());
    assert_ms_z(&page["updated_at"], "page.updated_at");
    // The fixture's maintenance, listed apart from the incidents.
    let planned = summary["scheduled_maintenances"].as_array().unwrap();
    assert_eq!(planned.len(), 1, "{summary}");
    assert_eq!(planned[0]["name"], "Database failover drill");
}

#[actix_web::test]
async fn the_summary_lists_the_open_incidents_and_only_those() {
    let (app, hostile) = populated().await;
    let summary = app.get_json("/api/v2/summary.json").await;
    let open = open_incidents(&summary);
    assert!(open.iter().any(|i| i["id"] == hostile.as_str()));
    for i in open {
        assert!(
            ["investigating", "identified", "monitoring"].contains(&i["status"].as_str().unwrap()),
            "{i}"
        );
    }
}

#[actix_web::test]
async fn the_summary_status_is_the_worst_impact_among_the_open_incidents() {
    let (app, _) = populated().await;
    let summary = app.get_json("/api/v2/summary.json").await;
    let worst = open_incidents(&summary)
        .iter()
        .map(|i| i["impact"].as_str().unwrap())
        .max_by_key(|w| {
            ["none", "minor", "major", "critical"]
                .iter()
                .position(|x| x == w)
                .unwrap()
        });
    let expected = match worst.unwrap_or("none") {
        "none" => ("none", "All Systems Operational"),
        "minor" => ("minor", "Minor Service Outage"),
        "major" => ("major", "Partial System Outage"),
        _ => ("critical", "Major System Outage"),
    };
    assert_eq!(
        summary["status"],
        json!({"indicator": expected.0, "description": expected.1})
    );
}

#[actix_web::test]
async fn the_summary_components_have_every_statuspage_field_and_real_dates() {
    let (app, _) = populated().await;
    let summary = app.get_json("/api/v2/summary.json").await;
    let page = &summary["page"];
    let components = summary["components"].as_array().unwrap();
    assert!(
        !components.is_empty(),
        "the ingested page's components are listed"
    );
    let statuses = [
        "operational",
        "degraded_performance",
        "partial_outage",
        "major_outage",
        "under_maintenance",
    ];
    for c in components {
        // Statuspage clients parse these as dates; null breaks some of them.
        for key in ["created_at", "updated_at"] {
            let at = c[key].as_str().unwrap_or_else(|| panic!("{key} of {c}"));
            assert!(
                chrono::DateTime::parse_from_rfc3339(at).is_ok(),
                "{key}: {at}"
            );
        }
        let mut want = set(&[
            "id",
            "name",
            "status",
            "created_at",
            "updated_at",
            "position",
            "description",
            "showcase",
            "start_date",
            "group_id",
            "page_id",
            "group",
            "only_show_if_degraded",
        ]);
        if c["group"] == true {
            want.insert("components".into());
        }
        assert_eq!(keys(c), want, "{c}");
        assert!(statuses.contains(&c["status"].as_str().unwrap()), "{c}");
        assert_eq!(c["page_id"], page["id"]);
    }
}

#[actix_web::test]
async fn unresolved_json_lists_the_same_open_incidents_as_the_summary() {
    let (app, _) = populated().await;
    let summary = app.get_json("/api/v2/summary.json").await;
    let unresolved = app.get_json("/api/v2/incidents/unresolved.json").await;
    assert_eq!(
        unresolved["incidents"].as_array().unwrap().len(),
        open_incidents(&summary).len()
    );
}
