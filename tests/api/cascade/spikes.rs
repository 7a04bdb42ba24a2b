//! Spikes: found at the injected onsets and never in daily-cycle noise, the same from a backfill
//! as from a live stream.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{fixture, load_scenario, post_bytes};
use crate::helpers::{TestApp, spawn_app};

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
