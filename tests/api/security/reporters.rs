//! One reporter is one address (issue 17, item 4). The attacks: a flood from one laptop with a
//! new User-Agent on every report, trying to open a `user_reports` incident; a forged
//! `X-Forwarded-For` trying to be many reporters; many addresses of one IPv6 /64.

use chrono::{Duration, DurationRound, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::reports::add_service;

/// Files a public report; `forwarded_for` is sent as `X-Forwarded-For` when given.
async fn file(app: &TestApp, user_agent: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/reports"))
        .header("user-agent", user_agent)
        .json(&json!({"service": "snapgram", "symptom": "outage"}));
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.unwrap()
}

/// Whether a public report was counted (it must have been accepted).
async fn counted(app: &TestApp, user_agent: &str, forwarded_for: Option<&str>) -> bool {
    let res = file(app, user_agent, forwarded_for).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "{forwarded_for:?}");
    let body: Value = res.json().await.unwrap();
    body["counted"].as_bool().unwrap()
}

/// (stored reports, counted reports).
fn totals(app: &TestApp) -> (i64, i64) {
    app.db.run(aftermath::db::reports::totals).unwrap()
}

/// Waits, when need be, until a minute has at least 10 seconds left, so a quick burst of
/// requests lands in one minute.
async fn early_in_a_minute() {
    let now = Utc::now();
    let into = now - now.duration_trunc(TimeDelta::minutes(1)).unwrap();
    if into > Duration::seconds(50) {
        let wait = Duration::seconds(61) - into;
        actix_web::rt::time::sleep(wait.to_std().unwrap()).await;
    }
}

#[actix_web::test]
async fn a_flood_from_one_address_with_rotating_user_agents_counts_once_and_opens_nothing() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    early_in_a_minute().await;
    let minute = Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap();
    // A quiet service (one report an hour and a half ago, so the baseline is the floor of one a
    // minute), then two minutes of a real crowd of 15 just before now: one more minute like
    // them sustains a spike, and the rule opens a `user_reports` incident.
    let mut crowd = format!(
        "{{\"service\":\"snapgram\",\"reported_at\":\"{}\",\"reporter\":\"long-ago\"}}\n",
        (minute - Duration::minutes(90)).to_rfc3339()
    );
    for (back, people) in [(2, "early"), (1, "late")] {
        for i in 0..15 {
            let at = minute - Duration::minutes(back) + Duration::seconds(i * 3);
            crowd.push_str(&format!(
                "{{\"service\":\"snapgram\",\"reported_at\":\"{}\",\"reporter\":\"{people}-{i}\"}}\n",
                at.to_rfc3339()
            ));
        }
    }
    let res = app
        .client
        .post(app.url("/api/v1/ingest/reports-jsonl"))
        .bearer_auth(&app.token)
        .body(crowd)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(totals(&app), (31, 31));

    // The third minute is one laptop pretending to be 15 browsers.
    let mut flags = Vec::new();
    for i in 0..15 {
        let agent = format!("Mozilla/5.0 (rotating {i}; {})", uuid::Uuid::new_v4());
        flags.push(counted(&app, &agent, None).await);
    }
    assert!(flags[0], "the first report counts");
    assert!(
        flags[1..].iter().all(|c| !c),
        "the same address under other user agents is the same reporter: {flags:?}"
    );
    assert_eq!(totals(&app), (46, 32), "every report stored, one counted");

    aftermath::correlate::spikes::evaluate_all(&app.db, minute + Duration::minutes(1)).unwrap();
    assert_eq!(
        app.snapshot().rows("incidents"),
        0,
        "one reporter does not make a spike"
    );
}

#[actix_web::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app().await;
    add_service(&app, "snapgram", "application", &[]).await;
    assert!(counted(&app, "a", Some("203.0.113.1")).await);
    assert!(
        !counted(&app, "b", Some("203.0.113.2")).await,
        "a header anyone can send does not make another reporter"
    );
    assert!(!counted(&app, "c", None).await);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_reporter() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    add_service(&app, "snapgram", "application", &[]).await;
    assert!(counted(&app, "ua", Some("6.6.6.6, 203.0.113.1")).await);
    assert!(
        !counted(&app, "ua", Some("7.7.7.7, 203.0.113.1")).await,
        "what the client wrote left of its own address is not believed"
    );
    assert!(
        !counted(&app, "ua", Some("203.0.113.1, 127.0.0.1")).await,
        "trusted hops are skipped"
    );
    assert!(
        counted(&app, "ua", Some("203.0.113.2")).await,
        "another address is another reporter"
    );
    assert!(
        counted(&app, "ua", None).await,
        "no header: the peer itself"
    );
    // One IPv6 /64 is one reporter, however many of its addresses it uses.
    assert!(counted(&app, "ua", Some("2001:db8:1:2::1")).await);
    assert!(!counted(&app, "ua", Some("2001:db8:1:2:ffff:ffff:ffff:ffff")).await);
    assert!(counted(&app, "ua", Some("2001:db8:1:3::1")).await);
    assert_eq!(totals(&app), (8, 5));
}

#[actix_web::test]
async fn the_rate_limit_is_per_reporter_too() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.report_rate_per_minute = 3;
    })
    .await;
    add_service(&app, "snapgram", "application", &[]).await;
    let statuses = async |xff: &str| {
        let mut out = Vec::new();
        for i in 0..4 {
            out.push(file(&app, &format!("ua-{i}"), Some(xff)).await.status());
        }
        out
    };
    let a = [StatusCode::ACCEPTED; 3];
    let flooder = statuses("2001:db8:9:9::1").await;
    assert_eq!(flooder[..3], a);
    assert_eq!(flooder[3], StatusCode::TOO_MANY_REQUESTS);
    let same_prefix = statuses("2001:db8:9:9::2").await;
    assert!(
        same_prefix
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "another address of the same /64 shares the limit: {same_prefix:?}"
    );
    let neighbour = statuses("203.0.113.7").await;
    assert_eq!(neighbour[..3], a, "another reporter has its own allowance");
}

#[test]
fn an_ipv6_slash_64_is_one_reporter_and_an_ipv4_address_is_itself() {
    use aftermath::http::client::reporter_key;
    let key = |s: &str| reporter_key(s.parse().unwrap());
    assert_eq!(
        key("2001:db8:aa:bb::1"),
        key("2001:db8:aa:bb:1234:5678:9abc:def0")
    );
    assert_ne!(key("2001:db8:aa:bb::1"), key("2001:db8:aa:bc::1"));
    assert_ne!(key("198.51.100.1"), key("198.51.100.2"));
    assert_eq!(key("::ffff:198.51.100.1"), key("198.51.100.1"));
}
