//! A report flood through two instances, one of them killed midway: every report answered 202
//! is in the database afterwards. A 202 is sent only after the report's batch committed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;

use super::{Cluster, Instance};

/// Eight streams of [`stream`] at once through one instance.
async fn flood(instance: &Instance, who: &'static str, stop: Arc<AtomicBool>) -> Vec<String> {
    let streams = (0..8).map(|k| stream(instance, format!("{who}{k}"), stop.clone()));
    futures_util::future::join_all(streams)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Files reports `flood-{who}-{n}` until `stop`, each from its own reporter address, and
/// returns the comments that were answered 202.
async fn stream(instance: &Instance, who: String, stop: Arc<AtomicBool>) -> Vec<String> {
    let mut accepted = Vec::new();
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) && n < 5_000 {
        n += 1;
        let comment = format!("flood-{who}-{n}");
        let sent = instance
            .client
            .post(instance.url("/api/v1/reports"))
            .header("x-forwarded-for", format!("10.{}.{}.1", n / 250, n % 250))
            .json(&json!({"service": "floodgate", "symptom": "login", "comment": comment}))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match sent {
            Ok(res) if res.status() == 202 => accepted.push(comment),
            Ok(res) => assert!(
                res.status().is_server_error() || res.status() == 503,
                "unexpected {}",
                res.status()
            ),
            // The killed instance: the connection drops, and the report may or may not have
            // been stored. It was never acknowledged, so it is not counted either way.
            Err(_) => break,
        }
    }
    accepted
}

fn stored_comments(cluster: &Cluster) -> BTreeSet<String> {
    use aftermath::db::schema::reports;
    cluster
        .db
        .run(|conn| {
            Ok(reports::table
                .select(reports::comment)
                .load::<Option<String>>(conn)?)
        })
        .unwrap()
        .into_iter()
        .flatten()
        .collect()
}

#[actix_web::test]
async fn every_acknowledged_report_survives_an_instance_killed_mid_flood() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let flags = [
        "--no-poll",
        "--trusted-proxies",
        "127.0.0.1/32",
        "--report-rate",
        "100000",
    ];
    let mut a = cluster.serve(&flags);
    let b = cluster.serve(&flags);
    let declared = a
        .client
        .put(a.url("/api/v1/services/floodgate"))
        .bearer_auth(&cluster.token)
        .json(&json!({"name": "Floodgate", "kind": "application", "depends_on": []}))
        .send()
        .await
        .unwrap();
    assert!(declared.status().is_success());

    let stop = Arc::new(AtomicBool::new(false));
    let a_pid = a.pid().to_string();
    let (from_a, from_b, ()) = futures_util::join!(
        flood(&a, "a", stop.clone()),
        flood(&b, "b", stop.clone()),
        async {
            actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &a_pid])
                .status();
            assert!(killed.unwrap().success());
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
            stop.store(true, Ordering::Relaxed);
        }
    );
    a.kill(); // reaps it
    assert!(
        !from_a.is_empty() && !from_b.is_empty(),
        "both took reports"
    );
    eprintln!(
        "acknowledged: {} through A, {} through B",
        from_a.len(),
        from_b.len()
    );
    let _restarted = cluster.serve(&["--no-poll"]);
    let stored = stored_comments(&cluster);
    let lost: Vec<_> = from_a
        .iter()
        .chain(&from_b)
        .filter(|c| !stored.contains(*c))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged reports lost: {:?}",
        lost.len(),
        from_a.len() + from_b.len(),
        &lost[..lost.len().min(5)]
    );
}
