//! Scheduled maintenances are records of their own kind: they carry their window and their own
//! status, and ordinary incidents say they are incidents.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, html, spawn_app};
use crate::ingest::{fixture, ingest_ok};

#[actix_web::test]
async fn a_statuspage_maintenance_is_a_maintenance_with_its_window() {
    let app = spawn_app().await;
    ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    let list = app
        .get_json("/api/v1/incidents?service=acme&kind=all")
        .await;
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

    // Lists of incidents mean outages unless asked otherwise.
    let kinds = |list: Value| -> Vec<Value> {
        let items = list["items"].as_array().unwrap().iter();
        items.map(|i| i["kind"].clone()).collect()
    };
    let default = app.get_json("/api/v1/incidents?service=acme").await;
    assert_eq!(kinds(default), ["incident"]);
    let planned = app
        .get_json("/api/v1/incidents?service=acme&kind=maintenance")
        .await;
    assert_eq!(kinds(planned), ["maintenance"]);
    let res = app.get("/api/v1/incidents?kind=outage").await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;

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

fn at(offset: chrono::Duration) -> String {
    (chrono::Utc::now() + offset).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A Statuspage maintenance, announced a day ago, whose window starts `from_now` and lasts two
/// hours.
fn planned(id: &str, name: &str, status: &str, from_now: chrono::Duration) -> Value {
    let created = at(chrono::Duration::days(-1));
    let window = chrono::Duration::hours(2);
    json!({
        "id": id, "name": name, "status": status, "impact": "maintenance",
        "created_at": created, "updated_at": created, "started_at": created,
        "monitoring_at": null,
        "resolved_at": (status == "completed").then(|| at(from_now + window)),
        "scheduled_for": at(from_now), "scheduled_until": at(from_now + window),
        "incident_updates": [{
            "id": format!("{id}-u"), "status": status, "body": format!("{name}: {status}"),
            "incident_id": id, "created_at": created, "updated_at": created, "display_at": created,
        }],
        "components": [],
    })
}

/// A page with one outage and three maintenances: upcoming, under way and done.
fn planned_page() -> Vec<u8> {
    let hours = chrono::Duration::hours;
    let outage = json!({
        "id": "outage000001", "name": "Login errors", "status": "investigating", "impact": "major",
        "created_at": at(hours(-1)), "updated_at": at(hours(-1)), "started_at": at(hours(-1)),
        "incident_updates": [{"id": "outage-u", "status": "investigating", "body": "Looking",
            "incident_id": "outage000001", "created_at": at(hours(-1)),
            "updated_at": at(hours(-1)), "display_at": at(hours(-1))}],
        "components": [],
    });
    let doc = json!({
        "page": {"id": "acmepage0001", "name": "Acme", "url": "https://status.acme.example",
            "time_zone": "Etc/UTC", "updated_at": at(hours(0))},
        "incidents": [outage],
        "scheduled_maintenances": [
            planned("upcoming0001", "Network upgrade", "scheduled", hours(48)),
            planned("underway0001", "Disk swap", "in_progress", hours(-1)),
            planned("finished0001", "Cache resize", "completed", hours(-30)),
        ],
    });
    serde_json::to_vec(&doc).unwrap()
}

/// The maintenances' (name, status) of a Statuspage document, sorted by name.
fn listed(doc: &Value) -> Vec<(String, String)> {
    let mut out: Vec<_> = doc["scheduled_maintenances"]
        .as_array()
        .unwrap_or_else(|| panic!("no scheduled_maintenances in {doc}"))
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().into(),
                m["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pair(name: &str, status: &str) -> (String, String) {
    (name.to_string(), status.to_string())
}

#[actix_web::test]
async fn the_scheduled_maintenance_reads_list_all_upcoming_and_active_as_statuspage_does() {
    let app = spawn_app().await;
    ingest_ok(&app, "statuspage", planned_page()).await;
    for scope in ["", "?service=acme"] {
        let all = app
            .get_json(&format!("/api/v2/scheduled-maintenances.json{scope}"))
            .await;
        let keys: Vec<_> = all.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["page", "scheduled_maintenances"]);
        let expected = vec![
            pair("Cache resize", "completed"),
            pair("Disk swap", "in_progress"),
            pair("Network upgrade", "scheduled"),
        ];
        assert_eq!(listed(&all), expected, "{all}");
        let upcoming = app
            .get_json(&format!(
                "/api/v2/scheduled-maintenances/upcoming.json{scope}"
            ))
            .await;
        assert_eq!(listed(&upcoming), [pair("Network upgrade", "scheduled")]);
        let m = &upcoming["scheduled_maintenances"][0];
        assert_eq!(m["impact"], "maintenance");
        assert!(m["scheduled_for"].as_str().unwrap().ends_with('Z'), "{m}");
        let active = app
            .get_json(&format!(
                "/api/v2/scheduled-maintenances/active.json{scope}"
            ))
            .await;
        assert_eq!(listed(&active), [pair("Disk swap", "in_progress")]);
        // The summary holds what is not completed; incidents.json holds outages only.
        let summary = app.get_json(&format!("/api/v2/summary.json{scope}")).await;
        assert_eq!(
            listed(&summary),
            [
                pair("Disk swap", "in_progress"),
                pair("Network upgrade", "scheduled")
            ]
        );
        let incidents = app
            .get_json(&format!("/api/v2/incidents.json{scope}"))
            .await;
        let names: Vec<_> = incidents["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| &i["name"])
            .collect();
        assert_eq!(names, ["Login errors"], "{incidents}");
    }
    let res = app
        .get("/api/v2/scheduled-maintenances/active.json?service=nope")
        .await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
    let res = app.get("/api/v2/scheduled-maintenances.json?bogus=1").await;
    assert_problem(res, StatusCode::BAD_REQUEST).await;
}

#[actix_web::test]
async fn scheduled_maintenances_json_reads_back_through_our_statuspage_parser_as_maintenances() {
    let app = spawn_app().await;
    ingest_ok(&app, "statuspage", planned_page()).await;
    let res = app.get("/api/v2/scheduled-maintenances.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let raw = res.bytes().await.unwrap();
    let ours: Value = serde_json::from_slice(&raw).unwrap();
    let doc = aftermath::ingest::parse(aftermath::ingest::Format::Statuspage, &raw).unwrap();
    assert_eq!(doc.incidents.len(), 3, "{ours}");
    for (parsed, listed) in doc
        .incidents
        .iter()
        .zip(ours["scheduled_maintenances"].as_array().unwrap())
    {
        assert!(parsed.is_maintenance, "{}", parsed.title);
        assert_eq!(parsed.title, listed["name"].as_str().unwrap());
        let window = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        };
        assert_eq!(
            window(parsed.scheduled_for).as_deref(),
            listed["scheduled_for"].as_str()
        );
        assert_eq!(
            window(parsed.scheduled_until).as_deref(),
            listed["scheduled_until"].as_str()
        );
    }
    // Ingested again as another page, nothing is read as an outage.
    assert!(doc.incidents.iter().all(|i| i.is_maintenance));
}

/// The part of `page` from the heading `from` to the next `<h2`.
fn section<'a>(page: &'a str, from: &str) -> &'a str {
    let start = page
        .find(&format!(">{from}</h"))
        .unwrap_or_else(|| panic!("no heading {from:?} in {page}"));
    let rest = &page[start..];
    let end = rest[4..].find("<h2").map_or(rest.len(), |e| e + 4);
    &rest[..end]
}

#[actix_web::test]
async fn the_start_page_and_service_pages_show_planned_work_apart_from_outages() {
    let app = spawn_app().await;
    ingest_ok(&app, "statuspage", planned_page()).await;
    for path in ["/", "/services/acme"] {
        let page = html(app.get(path).await, StatusCode::OK).await;
        let planned = section(&page, "Planned maintenance");
        let at = |name: &str| {
            planned
                .find(name)
                .unwrap_or_else(|| panic!("{path}: {name} in {planned}"))
        };
        assert!(at("Disk swap") < at("Network upgrade"), "under way first");
        assert!(
            planned.contains("in progress") && planned.contains("scheduled"),
            "{planned}"
        );
        assert!(
            !planned.contains("Cache resize"),
            "completed work is history"
        );
        assert!(!planned.contains("Login errors"), "{planned}");
    }
    let home = html(app.get("/").await, StatusCode::OK).await;
    let down = section(&home, "What is down right now");
    assert!(
        down.contains("Login errors") && !down.contains("Disk swap"),
        "{down}"
    );
    let recent = section(&home, "Recent outages");
    assert!(!recent.contains("Cache resize"), "{recent}");
    // The service's history keeps finished work, marked as maintenance.
    let service = html(app.get("/services/acme").await, StatusCode::OK).await;
    let history = section(&service, "Incident history");
    assert!(
        history.contains("Cache resize") && history.contains(">maintenance<"),
        "{history}"
    );
}

/// The incident list page means outages, as the API's list does, and a kind filter shows the
/// planned work (or both); its pager keeps the filter.
#[actix_web::test]
async fn the_incident_list_page_lists_outages_and_filters_by_kind() {
    let app = spawn_app().await;
    ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    let page = |query: &'static str| {
        let app = &app;
        async move { html(app.get(&format!("/incidents{query}")).await, StatusCode::OK).await }
    };
    let (outage, drill) = ("Delayed outbound email", "Database failover drill");
    let default = page("").await;
    assert!(
        default.contains(outage) && !default.contains(drill),
        "{default}"
    );
    let planned = page("?kind=maintenance").await;
    assert!(
        planned.contains(drill) && !planned.contains(outage),
        "{planned}"
    );
    assert!(
        planned.contains(r#"<option value="maintenance" selected>"#),
        "{planned}"
    );
    let both = page("?kind=all&service=acme").await;
    assert!(both.contains(drill) && both.contains(outage), "{both}");
    // An unknown kind is no filter of its own: outages, as with none.
    let unknown = page("?kind=outage%3Cscript%3E").await;
    assert!(unknown.contains(outage) && !unknown.contains(drill));
    assert!(!unknown.contains("<script>"), "{unknown}");
}
