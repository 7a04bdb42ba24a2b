//! The report pages: the "is it down?" form, report charts, the incident page's cascade
//! sections and link decisions, and the current spikes on the start page.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;

use crate::cascade::load_scenario;
use crate::forms::{csrf_of, sign_in};
use crate::helpers::{TestApp, html, spawn_app};
use crate::reports::add_service;

fn stored(app: &TestApp) -> i64 {
    app.db.run(aftermath::db::reports::totals).unwrap().0
}

async fn post_form(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/report"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn the_report_form_files_a_report_and_answers_202() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let page = html(app.get("/report").await, StatusCode::OK).await;
    assert!(page.contains("Is it down?") && page.contains("value=\"snapgram\""));
    assert!(
        page.contains("name=\"website\""),
        "the honeypot field is there"
    );
    let csrf = csrf_of(&page);
    let res = post_form(
        &app,
        &[
            ("csrf_token", &csrf),
            ("service", "snapgram"),
            ("symptom", "login"),
            ("comment", "<b>down</b>"),
            ("country", "fr"),
            ("website", ""),
        ],
    )
    .await;
    let done = html(res, StatusCode::ACCEPTED).await;
    assert!(done.contains("Thank you"));
    assert_eq!(stored(&app), 1);
}

#[actix_web::test]
async fn the_report_form_refuses_forgeries_drops_bots_and_shows_field_errors() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let csrf = csrf_of(&html(app.get("/report").await, StatusCode::OK).await);
    let forged = post_form(&app, &[("csrf_token", "nope"), ("service", "snapgram")]).await;
    html(forged, StatusCode::FORBIDDEN).await;
    let bot = post_form(
        &app,
        &[
            ("csrf_token", &csrf),
            ("service", "snapgram"),
            ("website", "http://spam.example"),
        ],
    )
    .await;
    assert!(html(bot, StatusCode::ACCEPTED).await.contains("Thank you"));
    let long = "z".repeat(501);
    let bad = post_form(
        &app,
        &[
            ("csrf_token", &csrf),
            ("service", "snapgram"),
            ("comment", &long),
        ],
    )
    .await;
    let page = html(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("at most 500 characters"));
    assert_eq!(stored(&app), 0, "nothing was stored");
}

#[actix_web::test]
async fn service_pages_chart_reports_against_the_baseline_as_svg() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let page = html(app.get("/services/snapgram").await, StatusCode::OK).await;
    assert!(page.contains("/services/snapgram/reports.svg?range=24h"));
    assert!(page.contains("/services/snapgram/reports.svg?range=7d"));
    for range in ["24h", "7d"] {
        let res = app
            .get(&format!("/services/snapgram/reports.svg?range={range}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/svg+xml");
        let svg = res.text().await.unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<polyline"),
            "{svg:.200}"
        );
    }
    assert_eq!(
        app.get("/services/ghost/reports.svg").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn incident_id_of(app: &TestApp, service: &str) -> String {
    app.db
        .run(|conn| aftermath::db::spikes::spikes_of_service(conn, service))
        .unwrap()[0]
        .incident_id
        .clone()
        .unwrap()
}

#[actix_web::test]
async fn the_incident_page_shows_the_upstream_cause_the_downstream_impact_and_the_chart() {
    let app = spawn_app().await;
    load_scenario(&app, true).await;
    let nimbus = incident_id_of(&app, "nimbus-us-east").await;
    let snapgram = incident_id_of(&app, "snapgram").await;
    let page = html(
        app.get(&format!("/incidents/{snapgram}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(page.contains("Upstream cause"));
    assert!(page.contains("started 9 min after Nimbus Cloud us-east; Snapgram depends on it"));
    assert!(page.contains(&format!("/incidents/{snapgram}/reports.svg")));
    assert!(page.contains("What people reported"));
    let up = html(
        app.get(&format!("/incidents/{nimbus}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(up.contains("Downstream impact"));
    for service in ["snapgram", "robotrade", "coinpurse", "fortvale"] {
        assert!(
            up.contains(&format!("<td>{service}</td>")),
            "{service} missing"
        );
    }
    let chart = app.get(&format!("/incidents/{snapgram}/reports.svg")).await;
    assert_eq!(chart.status(), StatusCode::OK);
    assert!(chart.text().await.unwrap().starts_with("<svg"));

    // Signed in, a person removes the link from the page.
    sign_in(&app).await;
    let page = html(
        app.get(&format!("/incidents/{snapgram}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(page.contains(&format!("/incidents/{snapgram}/links/{nimbus}/remove")));
    let res = app
        .client
        .post(app.url(&format!("/incidents/{snapgram}/links/{nimbus}/remove")))
        .form(&[("csrf_token", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let json: Value = app.get_json(&format!("/api/v1/incidents/{snapgram}")).await;
    assert!(
        json["links"].as_array().unwrap().is_empty(),
        "{}",
        json["links"]
    );
}

#[actix_web::test]
async fn the_start_page_shows_current_spikes() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    let now = Utc::now();
    let mut lines = String::new();
    let mut n = 0;
    for minutes_ago in (1..=70).rev() {
        let per_minute = if minutes_ago <= 6 { 30 } else { 1 };
        for _ in 0..per_minute {
            n += 1;
            let at = now - Duration::minutes(minutes_ago);
            lines.push_str(&format!(
                "{{\"service\":\"snapgram\",\"reported_at\":\"{}\",\"reporter\":\"p{n}\"}}\n",
                at.to_rfc3339()
            ));
        }
    }
    let res = app
        .client
        .post(app.url("/api/v1/ingest/reports-jsonl"))
        .bearer_auth(&app.token)
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let home = html(app.get("/").await, StatusCode::OK).await;
    assert!(home.contains("User-report spikes now"));
    assert!(home.contains("href=\"/services/snapgram\""), "{home}");
}
