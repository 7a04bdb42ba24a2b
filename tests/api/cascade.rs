//! The synthetic cascade scenario in `fixtures/cascade/`: spikes found at the injected onsets,
//! none in daily-cycle noise, links with and without declared dependencies, people's decisions,
//! and the same signals from a backfill as from a live stream.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cascade");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

async fn post_bytes(app: &TestApp, path: &str, body: Vec<u8>) -> Value {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "POST {path}");
    res.json().await.unwrap()
}

/// Catalog, status posts, then the reports: the order a team would load history in.
pub async fn load_scenario(app: &TestApp, with_catalog: bool) {
    if with_catalog {
        post_catalog(app).await;
    } else {
        // The same services, no dependencies declared.
        for (slug, kind) in [
            ("nimbus-us-east", "infrastructure"),
            ("snapgram", "application"),
            ("robotrade", "application"),
            ("coinpurse", "application"),
            ("fortvale", "application"),
            ("quietnotes", "application"),
        ] {
            crate::reports::add_service(app, slug, kind, &[]).await;
        }
    }
    post_status_posts(app).await;
    post_reports(app).await;
}

/// The providers' posts: Nimbus, Snapgram and Robotrade acknowledge the outage 25 to 29 minutes
/// after their users' reports spiked.
pub async fn post_status_posts(app: &TestApp) -> Vec<Value> {
    let mut answers = Vec::new();
    for doc in [
        "status-nimbus.json",
        "status-snapgram.json",
        "status-robotrade.json",
    ] {
        answers.push(post_bytes(app, "/api/v1/ingest/statuspage", fixture(doc)).await);
    }
    answers
}

/// A week of user reports with the injected cascade (a backfill: spikes are evaluated at once).
pub async fn post_reports(app: &TestApp) {
    post_bytes(
        app,
        "/api/v1/ingest/reports-jsonl",
        fixture("reports.jsonl"),
    )
    .await;
}

pub async fn post_catalog(app: &TestApp) {
    post_bytes(app, "/api/v1/ingest/services", fixture("catalog.toml")).await;
}

fn utc(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
}

/// Every spike episode per service: (onset, peak at, peak count, returned at, ended at).
type Episodes = BTreeMap<String, Vec<(DateTime<Utc>, String, i64, Option<String>, Option<String>)>>;

fn episodes(app: &TestApp) -> Episodes {
    let services = [
        "nimbus-us-east",
        "snapgram",
        "robotrade",
        "coinpurse",
        "fortvale",
        "quietnotes",
    ];
    let mut out = BTreeMap::new();
    for s in services {
        let rows = app
            .db
            .run(|conn| aftermath::db::spikes::spikes_of_service(conn, s))
            .unwrap();
        out.insert(
            s.to_string(),
            rows.iter()
                .map(|r| {
                    (
                        r.onset(),
                        r.peak_at.to_string(),
                        r.peak_count,
                        r.returned_at.map(|t| t.to_string()),
                        r.ended_at.map(|t| t.to_string()),
                    )
                })
                .collect(),
        );
    }
    out
}

/// The incident a service's first spike belongs to.
pub async fn incident_of(app: &TestApp, service: &str) -> Value {
    let id = app
        .db
        .run(|conn| aftermath::db::spikes::spikes_of_service(conn, service))
        .unwrap()
        .first()
        .and_then(|s| s.incident_id.clone())
        .unwrap_or_else(|| panic!("{service} has no spike incident"));
    app.get_json(&format!("/api/v1/incidents/{id}")).await
}

#[actix_web::test]
async fn spikes_are_found_at_the_injected_onsets_and_never_in_daily_cycle_noise() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let found = episodes(&app);
    let injected = [
        ("nimbus-us-east", utc(7, 0)),
        ("snapgram", utc(7, 9)),
        ("robotrade", utc(7, 12)),
        ("coinpurse", utc(7, 15)),
        ("fortvale", utc(7, 21)),
    ];
    for (service, onset) in injected {
        let spikes = &found[service];
        assert_eq!(spikes.len(), 1, "{service}: {spikes:?}");
        let lag = spikes[0].0 - onset;
        assert!(
            lag >= Duration::zero() && lag <= Duration::minutes(3),
            "{service}: detected {} for an onset at {onset}",
            spikes[0].0
        );
        assert!(spikes[0].4.is_some(), "{service}: the spike ended");
    }
    assert!(
        found["quietnotes"].is_empty(),
        "noise: {:?}",
        found["quietnotes"]
    );
}

#[actix_web::test]
async fn spikes_join_the_providers_incidents_or_open_their_own_with_comments_attached() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let snapgram = incident_of(&app, "snapgram").await;
    assert_eq!(
        snapgram["origin"], "status_page",
        "joined the provider's incident"
    );
    assert!(
        snapgram["report_count"].as_i64().unwrap() > 1000,
        "{}",
        snapgram["report_count"]
    );
    let kinds: Vec<&str> = snapgram["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "report_spike")
        .map(|e| e["body"].as_str().unwrap())
        .collect();
    assert!(
        kinds.iter().any(|b| b.starts_with("User reports spiked")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|b| b.starts_with("Peak of user reports")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|b| b.starts_with("User reports back at baseline")),
        "{kinds:?}"
    );

    let fortvale = incident_of(&app, "fortvale").await;
    assert_eq!(fortvale["origin"], "user_reports");
    assert_eq!(
        fortvale["status"], "resolved",
        "30 quiet minutes resolve it"
    );
    assert_eq!(fortvale["started_at"], "2026-11-23T07:21:00Z");
    assert!(fortvale["mitigated_at"].is_string() && fortvale["resolved_at"].is_string());

    let id: aftermath::domain::IncidentId = snapgram["id"].as_str().unwrap().parse().unwrap();
    let comments = app
        .db
        .run(|conn| aftermath::db::reports::comments_for_incident(conn, &id))
        .unwrap();
    assert!(!comments.is_empty());
    let page = app
        .get(&format!("/incidents/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<script>alert"),
        "a comment's HTML is escaped"
    );
    assert!(
        !page.contains("href=\"javascript:"),
        "a comment's Markdown is not rendered"
    );
    assert!(page.contains("What people reported"));
    if comments.iter().any(|c| c.contains("<script>")) {
        assert!(
            page.contains("&#60;script&#62;"),
            "the comment is shown, escaped"
        );
    }
}

fn upstream_links(incident: &Value) -> Vec<Value> {
    incident["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "upstream")
        .cloned()
        .collect()
}

#[actix_web::test]
async fn declared_dependencies_link_each_app_to_the_infrastructure_outage() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let nimbus = incident_of(&app, "nimbus-us-east").await;
    for app_service in ["snapgram", "robotrade", "coinpurse", "fortvale"] {
        let incident = incident_of(&app, app_service).await;
        let links = upstream_links(&incident);
        assert_eq!(links.len(), 1, "{app_service}: {links:?}");
        assert_eq!(links[0]["incident_id"], nimbus["id"]);
        assert_eq!(links[0]["set_by"], "auto");
        assert_eq!(links[0]["confidence"], 0.9);
    }
    let snapgram = incident_of(&app, "snapgram").await;
    assert_eq!(
        upstream_links(&snapgram)[0]["reason"],
        "started 9 min after Nimbus Cloud us-east; Snapgram depends on it"
    );
    let downstream = nimbus["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "downstream")
        .count();
    assert_eq!(downstream, 4);
}

#[actix_web::test]
async fn without_declared_dependencies_the_apps_get_lower_confidence_suggestions() {
    let app = spawn_app().await;
    load_scenario(&app, false).await;
    let nimbus = incident_of(&app, "nimbus-us-east").await;
    for app_service in ["snapgram", "robotrade", "coinpurse", "fortvale"] {
        let links = upstream_links(&incident_of(&app, app_service).await);
        assert_eq!(links.len(), 1, "{app_service}: {links:?}");
        assert_eq!(links[0]["incident_id"], nimbus["id"]);
        assert_eq!(links[0]["confidence"], 0.4);
        assert!(
            links[0]["reason"]
                .as_str()
                .unwrap()
                .contains("no dependency declared"),
            "{}",
            links[0]["reason"]
        );
    }
}

#[actix_web::test]
async fn people_confirm_or_remove_links_and_recomputation_keeps_their_decision() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let nimbus = incident_of(&app, "nimbus-us-east").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let snapgram = incident_of(&app, "snapgram").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let robotrade = incident_of(&app, "robotrade").await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let removed = app
        .client
        .delete(app.url(&format!("/api/v1/incidents/{snapgram}/links/{nimbus}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::OK);
    let confirmed = app
        .post_json(
            &format!("/api/v1/incidents/{robotrade}/links/{nimbus}/confirm"),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let confirmed: Value = confirmed.json().await.unwrap();
    assert_eq!(upstream_links(&confirmed)[0]["set_by"], "person");
    assert_eq!(upstream_links(&confirmed)[0]["confidence"], 1.0);

    // Late data and edits recompute the links; the decisions stand.
    app.patch_json(
        &format!("/api/v1/incidents/{snapgram}"),
        &json!({"impact": "critical"}),
    )
    .await;
    post_bytes(
        &app,
        "/api/v1/ingest/statuspage",
        fixture("status-nimbus.json"),
    )
    .await;
    let snap = app.get_json(&format!("/api/v1/incidents/{snapgram}")).await;
    assert!(upstream_links(&snap).is_empty(), "{}", snap["links"]);
    let robo = app
        .get_json(&format!("/api/v1/incidents/{robotrade}"))
        .await;
    assert_eq!(upstream_links(&robo)[0]["set_by"], "person");

    let again = app
        .client
        .delete(app.url(&format!("/api/v1/incidents/{snapgram}/links/{nimbus}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::NOT_FOUND).await;
    let anonymous = app
        .client
        .post(app.url(&format!(
            "/api/v1/incidents/{robotrade}/links/{nimbus}/confirm"
        )))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED).await;
}

#[actix_web::test]
async fn a_backfill_and_a_live_stream_give_the_same_signals() {
    let whole = spawn_app().await;
    load_scenario(&whole, true).await;

    let live = spawn_app().await;
    post_bytes(&live, "/api/v1/ingest/services", fixture("catalog.toml")).await;
    for doc in [
        "status-nimbus.json",
        "status-snapgram.json",
        "status-robotrade.json",
    ] {
        post_bytes(&live, "/api/v1/ingest/statuspage", fixture(doc)).await;
    }
    // The same reports arriving in time order, evaluated as each stretch of time closes.
    let salt = live
        .db
        .run(aftermath::correlate::reports::reporter_salt)
        .unwrap();
    let reports =
        aftermath::ingest::reports::parse_jsonl(&fixture("reports.jsonl"), &salt, Utc::now())
            .unwrap();
    let mut chunk_end = Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap();
    let mut rest = reports.as_slice();
    while !rest.is_empty() {
        let n = rest
            .iter()
            .take_while(|r| r.reported_at < chunk_end)
            .count();
        let (chunk, tail) = rest.split_at(n);
        live.db
            .write(|conn| aftermath::correlate::reports::store_and_evaluate(conn, chunk, chunk_end))
            .unwrap();
        rest = tail;
        chunk_end += Duration::hours(1);
    }
    live.db
        .write(|conn| aftermath::correlate::reports::store_and_evaluate(conn, &[], Utc::now()))
        .unwrap();
    aftermath::correlate::spikes::evaluate_all(&live.db, Utc::now()).unwrap();
    assert_eq!(episodes(&whole), episodes(&live));
    let onsets = episodes(&live).values().map(Vec::len).sum::<usize>();
    assert_eq!(onsets, 5);
}

#[actix_web::test]
async fn the_postmortem_draft_tells_detection_impact_and_the_cascade() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let snapgram = incident_of(&app, "snapgram").await;
    let draft = app
        .get_json(&format!(
            "/api/v1/incidents/{}/postmortem",
            snapgram["id"].as_str().unwrap()
        ))
        .await;
    let markdown = draft["markdown"].as_str().unwrap();
    assert!(
        markdown.contains("the official post came 25m after the first spike"),
        "{markdown}"
    );
    insta::with_settings!({filters => vec![(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC from", "[generated] from")]}, {
        insta::assert_snapshot!("cascade_snapgram_draft", markdown);
    });
}
