//! Interchange out: the Statuspage v2 reads and `/feed.atom`, checked field by field and by round
//! trip through our own parsers (and feed-rs), so clients written for Statuspage work unchanged.

use std::collections::{BTreeSet, HashMap};

use aftermath::demo;
use aftermath::ingest::{self, Format, html};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::ingest::{fixture, ingest_ok};

mod atom;
mod scope;

pub(super) const HOSTILE_TITLE: &str = "<script>alert(1)</script> & ]]> \"quoted\" 'single'";
pub(super) const HOSTILE_BODY: &str = "a <script>alert('x')</script> & b ]]> c &amp; d";

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

pub(super) fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// ISO 8601 with milliseconds and `Z`, e.g. `2025-10-20T07:11:00.000Z`.
fn assert_ms_z(v: &Value, what: &str) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"));
    assert!(
        s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.',
        "{what}: {s}"
    );
    DateTime::parse_from_rfc3339(s).unwrap();
}

pub(super) fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A store with the demo data, an ingested Statuspage page, and one hostile incident on `acme`.
pub(super) async fn populated() -> (TestApp, String) {
    let app = spawn_app().await;
    demo::load(&app.db).unwrap();
    ingest_ok(&app, "statuspage", fixture("statuspage/summary.json")).await;
    let created = app
        .create_incident(
            json!({"title": HOSTILE_TITLE, "services": ["acme"], "impact": "major",
            "body": HOSTILE_BODY, "started_at": "2025-10-20T07:11:00Z"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    for (status, body) in [
        (Some("identified"), "line one\nline <b>two</b> & three"),
        (None, "note ]]> only"),
    ] {
        let mut update = json!({"body": body, "occurred_at": "2025-10-20T08:00:30Z"});
        if let Some(s) = status {
            update["status"] = json!(s);
        }
        let res = app
            .post_json(&format!("/api/v1/incidents/{id}/updates"), &update)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    (app, id)
}

pub(super) async fn bytes(app: &TestApp, path: &str) -> (String, Vec<u8>) {
    let res = app.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    (kind, res.bytes().await.unwrap().to_vec())
}

/// Our own timeline (oldest first) of one incident, from the v1 API.
pub(super) async fn timeline(app: &TestApp, id: &str) -> Vec<Value> {
    let detail = app.get_json(&format!("/api/v1/incidents/{id}")).await;
    detail["timeline"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn statuspage_documents_have_statuspage_shapes() {
    let (app, hostile) = populated().await;
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
    assert_eq!(summary["scheduled_maintenances"], json!([]));

    let open = summary["incidents"].as_array().unwrap();
    assert!(open.iter().any(|i| i["id"] == hostile.as_str()));
    for i in open {
        assert!(
            ["investigating", "identified", "monitoring"].contains(&i["status"].as_str().unwrap()),
            "{i}"
        );
    }
    let worst = open
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

    let list = app.get_json("/api/v2/incidents.json").await;
    assert_eq!(keys(&list), set(&["page", "incidents"]));
    let incidents = list["incidents"].as_array().unwrap();
    let total = app.get_json("/api/v1/incidents?limit=200").await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(incidents.len(), total.min(50));
    let starts: Vec<DateTime<Utc>> = incidents.iter().map(|i| time(&i["started_at"])).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for i in incidents {
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
    // The hostile incident: title and body exactly as stored; the note carries "identified".
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

    let unresolved = app.get_json("/api/v2/incidents/unresolved.json").await;
    assert_eq!(
        unresolved["incidents"].as_array().unwrap().len(),
        open.len()
    );
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
    assert_eq!(
        doc.incidents.len(),
        summary["incidents"].as_array().unwrap().len()
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

#[actix_web::test]
async fn an_empty_store_serves_empty_documents() {
    let app = spawn_app().await;
    let summary = app.get_json("/api/v2/summary.json").await;
    assert_eq!(summary["status"]["indicator"], "none");
    assert_eq!(summary["status"]["description"], "All Systems Operational");
    assert_eq!(summary["incidents"], json!([]));
    let (_, raw) = bytes(&app, "/feed.atom").await;
    let feed = feed_rs::parser::parse(raw.as_slice()).unwrap();
    assert!(feed.entries.is_empty() && feed.updated.is_some());
}
