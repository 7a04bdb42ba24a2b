//! One leader runs the minute jobs: when it dies (SIGKILL) or stops (SIGTERM), the other
//! instance takes over well within two minutes and runs a spike evaluation pass.

use std::time::Duration;

use serde_json::Value;

use super::{Cluster, Instance, eventually};

/// Within two minutes, as the issue asks, with room for a slow machine.
const TAKEOVER: Duration = Duration::from_secs(150);

async fn leads(instance: &Instance) -> Option<bool> {
    let health: Value = instance
        .client
        .get(instance.url("/healthz"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    health["leader"].as_bool()
}

/// Evaluation passes this instance ran successfully, from `/metrics`.
async fn evaluations(instance: &Instance) -> Option<u64> {
    let text = instance
        .client
        .get(instance.url("/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("aftermath_spike_evaluations_total{outcome=\"ok\"} "))
        .map_or(Some(0), |n| n.trim().parse().ok())
}

/// Two instances, once exactly one of them leads: `(leader, follower)`.
async fn leader_and_follower(cluster: &mut Cluster) -> (Instance, Instance) {
    let a = cluster.serve(&["--no-poll"]);
    let b = cluster.serve(&["--no-poll"]);
    let a_leads = eventually(TAKEOVER, "one leader", || async {
        match (leads(&a).await?, leads(&b).await?) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ => None,
        }
    })
    .await;
    if a_leads { (a, b) } else { (b, a) }
}

/// Waits until `follower` leads and has run an evaluation pass as leader.
async fn takes_over(follower: &Instance) {
    let before = evaluations(follower).await.unwrap_or(0);
    eventually(TAKEOVER, "the other instance leads", || async {
        leads(follower).await?.then_some(())
    })
    .await;
    eventually(TAKEOVER, "the new leader evaluates", || async {
        (evaluations(follower).await? > before).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn when_the_leader_is_killed_the_other_instance_leads_and_evaluates() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let (mut leader, follower) = leader_and_follower(&mut cluster).await;
    assert_eq!(
        evaluations(&follower).await,
        Some(0),
        "a follower evaluates nothing"
    );
    leader.kill();
    takes_over(&follower).await;
}

#[actix_web::test]
async fn a_leader_stopped_with_sigterm_exits_cleanly_and_hands_over() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let (mut leader, follower) = leader_and_follower(&mut cluster).await;
    let status = leader.terminate(Duration::from_secs(60));
    assert!(
        status.is_some_and(|s| s.success()),
        "serve exits 0 on SIGTERM: {status:?}"
    );
    takes_over(&follower).await;
}
