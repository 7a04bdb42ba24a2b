//! The demo's user reports: three quiet days, then on the day of the region outage a spike of
//! reports on the region and on each app built on it, minutes before each one's first status
//! post (users notice before providers say so).
//!
//! Rules:
//! - Generated, not stored as a fixture: a fixed seed, and times fixed relative to the outage
//!   ([`OUTAGE`]), make every load the same reports. ChaCha8 because `rand_chacha` promises the
//!   same stream for a seed across releases; the reporters (`demo-N`) are hashed with the
//!   store's salt like any others.
//! - Stored and evaluated by the code the report intake and backfills run
//!   (`correlate::reports::store_and_evaluate`): the spikes join the posts' incidents, and the
//!   cascade links are recomputed from the spikes' onsets.
//! - Evaluated up to a fixed end ([`window`]), not up to now: what the demo derives does not
//!   depend on when it is loaded.
//! - Loaded once: a store that already holds a report of a demo service in the window keeps
//!   what it has, so loading again changes nothing.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::db::{self, DbConn, DbError};
use crate::domain::ServiceSlug;
use crate::domain::report::{NewReport, reporter_hash};

const SEED: u64 = 20251020;
/// Quiet days of reports before the outage day: enough for the rule's daily baseline.
const QUIET_DAYS: i64 = 3;

/// One service's reports: its quiet rate, and its spike.
struct Profile {
    service: &'static str,
    /// Mean reports a minute at the daily peak (14:00 UTC); the trough is a tenth of it.
    quiet_peak: f64,
    /// Minutes after [`OUTAGE`] its users start reporting.
    onset: i64,
    /// Minutes the reports stay high.
    minutes: i64,
    /// Mean reports a minute at the spike's start; it fades to half by its end.
    rate: f64,
}

/// The region first, then its apps in the order users noticed. Each onset is well before the
/// app's first post (parley-chat 07:14, tickertape 07:19, hollowmere-online 07:26, payvine
/// 07:34, panier-malin 07:49; the region 07:11).
const PROFILES: &[Profile] = &[
    profile("nimbus-us-east-1", 0.3, 0, 120, 18.0),
    profile("parley-chat", 0.5, 5, 100, 26.0),
    profile("tickertape", 0.4, 8, 90, 22.0),
    profile("hollowmere-online", 0.5, 12, 100, 24.0),
    profile("payvine", 0.3, 15, 80, 16.0),
    profile("panier-malin", 0.3, 21, 60, 15.0),
];

const fn profile(
    service: &'static str,
    quiet: f64,
    onset: i64,
    minutes: i64,
    rate: f64,
) -> Profile {
    Profile {
        service,
        quiet_peak: quiet,
        onset,
        minutes,
        rate,
    }
}

/// What people wrote, now and then, during a spike (plain text, never rendered as HTML).
const COMMENTS: &[(&str, &str)] = &[
    ("US", "App stuck on the loading screen since this morning"),
    ("US", "Cannot log in, says try again later"),
    ("DE", "Seit 9 Uhr keine Verbindung"),
    ("FR", "Impossible de me connecter depuis ce matin"),
    ("BR", "Não consigo acessar"),
    ("GB", "Payments stuck at 'processing'"),
];
const SYMPTOMS: &[&str] = &["login", "app", "website", "outage", "server_connection"];

/// When the region's users started reporting: 2025-10-20 06:50 UTC, 21 minutes before its
/// first post.
fn outage() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 20, 6, 50, 0)
        .single()
        .unwrap_or_default()
}

/// The reports' span: from midnight [`QUIET_DAYS`] before the outage day to the midnight after it.
pub fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    let day = outage().date_naive().and_time(NaiveTime::MIN).and_utc();
    (day - Duration::days(QUIET_DAYS), day + Duration::days(1))
}

/// Stores and evaluates the demo's reports unless the store holds some already; how many it
/// stored. Call inside a write transaction.
pub fn load(conn: &mut DbConn) -> Result<usize, DbError> {
    let (from, until) = window();
    for p in PROFILES {
        if db::reports::count_between(conn, p.service, from, until)? > 0 {
            return Ok(0);
        }
    }
    let salt = crate::correlate::reports::reporter_salt(conn)?;
    let reports = generate(&salt)?;
    crate::correlate::reports::store_and_evaluate(conn, &reports, until)?;
    Ok(reports.len())
}

/// Every report of the window, in time order.
fn generate(salt: &[u8]) -> Result<Vec<NewReport>, DbError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let (from, until) = window();
    let slugs = PROFILES
        .iter()
        .map(|p| {
            ServiceSlug::parse("service", p.service).map_err(|e| DbError::Invalid {
                field: "demo",
                message: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    let mut minute = from;
    while minute < until {
        for (p, slug) in PROFILES.iter().zip(&slugs) {
            let (mean, spiking) = rate(p, minute);
            for _ in 0..poisson(&mut rng, mean) {
                let n = out.len();
                let at = minute + Duration::seconds(rng.random_range(0..60));
                out.push(report(&mut rng, salt, slug, at, n, spiking));
            }
        }
        minute += Duration::minutes(1);
    }
    out.sort_by_key(|r| r.reported_at);
    Ok(out)
}

/// The mean reports of `p` in the minute from `t`, and whether it is spiking then.
fn rate(p: &Profile, t: DateTime<Utc>) -> (f64, bool) {
    let since = (t - outage()).num_minutes() - p.onset;
    if (0..p.minutes).contains(&since) {
        // `minutes` is small and positive: the conversion is exact.
        let faded = since as f64 / p.minutes as f64;
        return (p.rate * (1.0 - faded / 2.0), true);
    }
    let of_day = f64::from(t.time().num_seconds_from_midnight() / 60);
    let phase = (std::f64::consts::TAU * (of_day - 14.0 * 60.0) / 1440.0).cos();
    (p.quiet_peak * (0.55 + 0.45 * phase), false)
}

fn report(
    rng: &mut ChaCha8Rng,
    salt: &[u8],
    service: &ServiceSlug,
    at: DateTime<Utc>,
    n: usize,
    spiking: bool,
) -> NewReport {
    let symptom = rng
        .random_bool(0.4)
        .then(|| SYMPTOMS[rng.random_range(0..SYMPTOMS.len())].to_string());
    let said =
        (spiking && rng.random_bool(0.01)).then(|| COMMENTS[rng.random_range(0..COMMENTS.len())]);
    NewReport {
        service: service.clone(),
        reported_at: at,
        symptom,
        comment: said.map(|(_, c)| c.to_string()),
        country: said.map(|(country, _)| country.to_string()),
        reporter_hash: reporter_hash(salt, &["demo", &n.to_string()]),
        via: "backfill",
    }
}

/// A Poisson draw by Knuth's method: exact, and quick for the small means used here (a
/// distributions crate for one function is not worth its weight).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}
