//! The user-report side of the benchmark: intake over HTTP with 64 concurrent connections, and
//! live spike evaluation of one minute for 10,000 services.

use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Serialize;

use super::report::Latency;
use aftermath::correlate::{reports as intake, spikes};
use aftermath::db::{self, Db};
use aftermath::domain::ServiceSlug;
use aftermath::domain::report::NewReport;

pub const CONNECTIONS: usize = 64;
/// Minutes of reports each service has before the measured minute.
pub const SPIKE_HISTORY_MINUTES: i64 = 10;

#[derive(Debug, Clone, Serialize)]
pub struct ReportIntake {
    pub connections: usize,
    pub seconds: f64,
    pub requests: u64,
    pub requests_per_sec: f64,
    pub rejected: u64,
    #[serde(flatten)]
    pub latency: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpikeEvaluation {
    pub services: usize,
    pub history_minutes: i64,
    /// Evaluating one new minute of counts for every service, as `serve` does each minute.
    pub seconds_per_minute: f64,
}

/// Every report from a new reporter (a distinct IPv6 /64 in `X-Forwarded-For`, which the bench
/// server believes from loopback), so each is counted and stored.
pub async fn measure_intake(
    address: &str,
    services: &[String],
    run_for: Duration,
) -> anyhow::Result<ReportIntake> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let url = format!("{address}/api/v1/reports");
    let started = Instant::now();
    let deadline = started + run_for;
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|w| {
            let client = client.clone();
            let url = url.clone();
            let services = services.to_vec();
            actix_web::rt::spawn(async move {
                let (mut samples, mut rejected, mut n) = (Vec::new(), 0u64, 0usize);
                while Instant::now() < deadline {
                    n += 1;
                    let body = format!(
                        r#"{{"service":"{}","symptom":"login"}}"#,
                        services[(w + n) % services.len()]
                    );
                    let sent = Instant::now();
                    let res = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-forwarded-for", reporter_address(w, n))
                        .body(body)
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status().as_u16() == 202 => {
                            samples.push(sent.elapsed().as_secs_f64() * 1000.0)
                        }
                        _ => rejected += 1,
                    }
                }
                (samples, rejected)
            })
        })
        .collect();
    let (mut samples, mut rejected) = (Vec::new(), 0);
    for w in workers {
        let (s, r) = w.await?;
        samples.extend(s);
        rejected += r;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(ReportIntake {
        connections: CONNECTIONS,
        seconds,
        requests: samples.len() as u64,
        requests_per_sec: samples.len() as f64 / seconds.max(1e-9),
        rejected,
        latency: Latency::of(samples),
    })
}

/// The `n`th reporter of worker `w`: a /64 of its own (`2001:W:N::1`).
fn reporter_address(w: usize, n: usize) -> String {
    let prefix =
        (0x2001_u128 << 112) | ((w as u128 & 0xffff) << 96) | ((n as u128 & 0xffff_ffff) << 64);
    std::net::Ipv6Addr::from(prefix | 1).to_string()
}

fn report(service: &ServiceSlug, at: DateTime<Utc>, who: usize) -> NewReport {
    NewReport {
        service: service.clone(),
        reported_at: at,
        symptom: None,
        comment: None,
        country: None,
        reporter_hash: format!("{who:064x}"),
        via: "backfill",
    }
}

/// `services` services with `history` minutes of one report a minute, evaluated; then one more
/// minute of reports, and the time to evaluate that minute for all of them.
pub fn measure_spike_evaluation(
    db: &Db,
    services: usize,
    history: i64,
) -> anyhow::Result<SpikeEvaluation> {
    let slugs: Vec<ServiceSlug> = (0..services)
        .filter_map(|i| ServiceSlug::parse("service", &format!("spike-bench-{i:05}")).ok())
        .collect();
    db.write(|conn| db::services::ensure_exist(conn, &slugs))?;
    let now = Utc::now().duration_trunc(TimeDelta::minutes(1))?;
    let t0 = now - chrono::Duration::minutes(history + 2);
    for m in 0..history {
        let at = t0 + chrono::Duration::minutes(m);
        let batch: Vec<NewReport> = slugs
            .iter()
            .enumerate()
            .map(|(i, s)| report(s, at, i))
            .collect();
        db.write(|conn| {
            intake::store_and_evaluate(conn, &batch, at + chrono::Duration::minutes(1)).map(|_| ())
        })?;
    }
    let last = t0 + chrono::Duration::minutes(history);
    let batch: Vec<NewReport> = slugs
        .iter()
        .enumerate()
        .map(|(i, s)| report(s, last, i + services))
        .collect();
    db.write(|conn| db::reports::insert_batch(conn, &batch).map(|_| ()))?;
    let started = Instant::now();
    spikes::evaluate_all(db, last + chrono::Duration::minutes(1))?;
    Ok(SpikeEvaluation {
        services: slugs.len(),
        history_minutes: history,
        seconds_per_minute: started.elapsed().as_secs_f64(),
    })
}
