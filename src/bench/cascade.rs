//! Report streams with a daily cycle, and a cascade: an infrastructure outage whose dependent
//! applications spike a few minutes later, beside a noisy service that never should. Replayed an
//! hour at a time, as the live stream would arrive; the run reports the rate and whether the
//! injected spikes and links were found.

use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use diesel::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use aftermath::correlate::reports::{apply_catalog, store_and_evaluate};
use aftermath::db::Db;
use aftermath::db::schema::{incident_links, report_spikes};
use aftermath::domain::report::NewReport;
use aftermath::domain::{Service, ServiceKind, ServiceSlug};

#[derive(Debug, Clone, Serialize)]
pub struct CascadeRun {
    pub services: usize,
    pub days: i64,
    pub reports: usize,
    pub seconds: f64,
    pub reports_per_sec: f64,
    pub injected_spikes: usize,
    /// Injected spikes found with an onset within 3 minutes of the injected one.
    pub detected_spikes: usize,
    /// Spikes found where none was injected (the noisy service, the daily cycle).
    pub false_spikes: usize,
    pub upstream_links: i64,
}

fn slug(s: &str) -> anyhow::Result<ServiceSlug> {
    ServiceSlug::parse("service", s).map_err(|e| anyhow::anyhow!("{}", e.message))
}

/// Knuth's method; the rates here are small.
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    let limit = (-lambda).exp();
    let (mut k, mut p) = (0u32, 1.0f64);
    loop {
        p *= rng.random_range(0.0f64..1.0);
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// The services of the scenario: one region, the apps on it, and a noisy bystander.
struct Scenario {
    infra: ServiceSlug,
    noise: ServiceSlug,
    apps: Vec<ServiceSlug>,
}

impl Scenario {
    fn new(apps: usize) -> anyhow::Result<Self> {
        Ok(Self {
            infra: slug("bench-nimbus-us-east-1")?,
            noise: slug("bench-noisy-app")?,
            apps: (0..apps)
                .map(|i| slug(&format!("bench-app-{i:03}")))
                .collect::<anyhow::Result<_>>()?,
        })
    }

    fn catalog(&self) -> Vec<Service> {
        let mut catalog = vec![Service {
            kind: ServiceKind::Infrastructure,
            provider: Some("nimbus".into()),
            region: Some("us-east-1".into()),
            name: "Nimbus us-east-1".into(),
            ..Service::unnamed(self.infra.clone())
        }];
        catalog.extend(self.apps.iter().map(|s| Service {
            depends_on: vec![self.infra.clone()],
            ..Service::unnamed(s.clone())
        }));
        catalog.push(Service::unnamed(self.noise.clone()));
        catalog
    }

    fn contains(&self, s: &str) -> bool {
        s == self.noise.as_str()
            || s == self.infra.as_str()
            || self.apps.iter().any(|a| a.as_str() == s)
    }
}

pub fn measure_cascades(db: &Db, seed: u64, apps: usize, days: i64) -> anyhow::Result<CascadeRun> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xca5c);
    let scenario = Scenario::new(apps)?;
    let catalog = scenario.catalog();
    db.write(|conn| apply_catalog(conn, &catalog))?;

    let end = Utc::now().duration_trunc(TimeDelta::minutes(1))? - Duration::minutes(30);
    let start = end - Duration::days(days);
    let outage = end - Duration::hours(6);
    // The region first, then each app a few minutes after it.
    let mut injected: Vec<(ServiceSlug, DateTime<Utc>)> = vec![(scenario.infra.clone(), outage)];
    for s in &scenario.apps {
        injected.push((
            s.clone(),
            outage + Duration::minutes(rng.random_range(3..20)),
        ));
    }
    let reports = generate(&mut rng, start, end, &injected, &scenario.noise);
    let seconds = replay_hourly(db, &reports)?;
    let (detected, false_spikes) = score_spikes(db, &scenario, &injected)?;
    let upstream_links: i64 = db.run(|conn| {
        Ok(incident_links::table
            .filter(incident_links::kind.eq("upstream"))
            .count()
            .get_result(conn)?)
    })?;
    Ok(CascadeRun {
        services: catalog.len(),
        days,
        reports: reports.len(),
        seconds,
        reports_per_sec: reports.len() as f64 / seconds.max(1e-9),
        injected_spikes: injected.len(),
        detected_spikes: detected,
        false_spikes,
        upstream_links,
    })
}

/// Every minute from `start` to `end`: a daily cycle for each service, an hour-long burst from
/// each injected onset, and the noisy service. Sorted by time.
fn generate(
    rng: &mut ChaCha8Rng,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    injected: &[(ServiceSlug, DateTime<Utc>)],
    noise: &ServiceSlug,
) -> Vec<NewReport> {
    let mut reports = Vec::new();
    let mut serial = 0u64;
    let minutes = (end - start).num_minutes();
    for m in 0..minutes {
        let at = start + Duration::minutes(m);
        let day =
            (2.0 * std::f64::consts::PI * ((at.timestamp() / 60) % 1440) as f64 / 1440.0).sin();
        let mut add = |rng: &mut ChaCha8Rng, service: &ServiceSlug, lambda: f64| {
            for _ in 0..poisson(rng, lambda) {
                serial += 1;
                reports.push(NewReport {
                    service: service.clone(),
                    reported_at: at + Duration::seconds(rng.random_range(0..60)),
                    symptom: None,
                    comment: None,
                    country: None,
                    reporter_hash: format!("{serial:064x}"),
                    via: "backfill",
                });
            }
        };
        for (service, onset) in injected {
            let burst = at >= *onset && at < *onset + Duration::minutes(60);
            add(
                rng,
                service,
                if burst { 30.0 } else { 0.4 * (1.0 + 0.6 * day) },
            );
        }
        // Noise: a busier service whose counts wander but never triple their usual level.
        add(rng, noise, 2.0 * (1.0 + 0.6 * day));
    }
    reports.sort_by_key(|r| r.reported_at);
    reports
}

/// Stores and evaluates an hour at a time, as the live stream would arrive; the seconds taken.
fn replay_hourly(db: &Db, reports: &[NewReport]) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut from = 0;
    while from < reports.len() {
        let hour_end = reports[from]
            .reported_at
            .duration_trunc(TimeDelta::hours(1))?
            + Duration::hours(1);
        let to = from + reports[from..].partition_point(|r| r.reported_at < hour_end);
        db.write(|conn| store_and_evaluate(conn, &reports[from..to], hour_end).map(|_| ()))?;
        from = to;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Injected spikes found within 3 minutes of their onset, and spikes of the scenario's
/// services found where none was injected.
fn score_spikes(
    db: &Db,
    scenario: &Scenario,
    injected: &[(ServiceSlug, DateTime<Utc>)],
) -> anyhow::Result<(usize, usize)> {
    let found: Vec<(String, chrono::NaiveDateTime)> = db.run(|conn| {
        Ok(report_spikes::table
            .select((report_spikes::service_slug, report_spikes::onset))
            .load(conn)?)
    })?;
    let near =
        |s: &str, at: &chrono::NaiveDateTime, service: &ServiceSlug, onset: &DateTime<Utc>| {
            s == service.as_str() && (at.and_utc() - *onset).num_minutes().abs() <= 3
        };
    let detected = injected
        .iter()
        .filter(|(service, onset)| found.iter().any(|(s, at)| near(s, at, service, onset)))
        .count();
    let false_spikes = found
        .iter()
        .filter(|(s, at)| {
            scenario.contains(s)
                && !injected
                    .iter()
                    .any(|(service, onset)| near(s, at, service, onset))
        })
        .count();
    Ok((detected, false_spikes))
}
