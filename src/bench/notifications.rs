//! `aftermath bench --only notifications` (issue 21): how fast changes become deliveries, and
//! how fast deliveries go out.
//!
//! The scenario: [`Scale::subscriptions`](super::Scale::subscriptions) webhook subscriptions
//! (a tenth of them saved searches, the rest on one service each), and a stream of incident
//! changes, one every [`CHANGE_EVERY`]: each incident is created, updated and resolved. Two
//! figures, measured apart:
//! - **enqueue latency**: from a change's commit until the fan-out (the leader's loop, as
//!   `serve` runs it, waiting [`notifications::POLL`] after a pass that found nothing) has
//!   committed its deliveries. The delivery worker is off meanwhile, so the figure is the
//!   fan-out's alone.
//! - **delivery throughput**: then one delivery worker (as one `serve` runs it, default
//!   settings) sends the whole backlog to a local receiver that answers 200; deliveries per
//!   second from its first claim to the last delivery recorded.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::Utc;
use serde::Serialize;

use super::Options;
use super::report::Latency;
use aftermath::config::{NotifyConfig, PrivateSources};
use aftermath::db::subscriptions::{self, NewSubscription};
use aftermath::db::{Db, deliveries, incidents, timeline};
use aftermath::domain::subscription::{EventKind, Filter, Format, Kind};
use aftermath::domain::{
    Body, Impact, IncidentStatus, NewIncident, NewUpdate, Origin, Precondition, ServiceSlug, Title,
};
use aftermath::jobs::notifications::{self, Links, Settings};

/// The pause between two changes of the stream.
pub const CHANGE_EVERY: Duration = Duration::from_millis(20);
/// Subscriptions per service filter (the rest of a tenth are saved searches).
const SUBSCRIPTIONS_PER_SERVICE: usize = 18;
/// Words of incident titles, and of saved-search queries.
const WORDS: [&str; 20] = [
    "database",
    "latency",
    "dns",
    "payments",
    "login",
    "storage",
    "queue",
    "network",
    "email",
    "checkout",
    "api",
    "search",
    "billing",
    "webhooks",
    "deploys",
    "cdn",
    "auth",
    "mobile",
    "exports",
    "dashboard",
];
/// How long a phase may take before the run is declared stuck.
const PHASE_LIMIT: Duration = Duration::from_secs(600);

/// The figures, as `--json` reports them under `notifications`.
#[derive(Debug, Clone, Serialize)]
pub struct Notifications {
    pub subscriptions: usize,
    pub saved_searches: usize,
    pub changes: usize,
    pub deliveries: usize,
    pub enqueue_p50_ms: f64,
    pub enqueue_p99_ms: f64,
    pub enqueue_max_ms: f64,
    pub delivered: usize,
    pub failed_attempts: usize,
    pub delivery_seconds: f64,
    pub deliveries_per_sec: f64,
}

impl Notifications {
    /// The table's lines: enqueue latency, then delivery throughput.
    pub fn lines(&self) -> [(&'static str, String); 2] {
        [
            (
                "notify enqueue",
                format!(
                    "p50 {:.2} ms · p99 {:.2} ms ({} changes, {} subscriptions)",
                    self.enqueue_p50_ms, self.enqueue_p99_ms, self.changes, self.subscriptions
                ),
            ),
            (
                "notify delivery",
                format!(
                    "{:.0} deliveries/s ({} delivered, {} failed attempts)",
                    self.deliveries_per_sec, self.delivered, self.failed_attempts
                ),
            ),
        ]
    }
}

/// One change of the stream: its incident and the event it is announced as.
type Change = (String, &'static str);

pub async fn measure(opts: &Options, db: &Db) -> anyhow::Result<Notifications> {
    let subs = opts.scale.subscriptions();
    let services = (subs / SUBSCRIPTIONS_PER_SERVICE).max(1);
    let receiver = Receiver::start()?;
    let links = Links::default();
    // Registers the fan-out at the outbox's end, as a first start of `serve` does.
    notifications::fan_out_once(db, &links, "bench", Utc::now())?;
    db.write(|conn| subscribe(conn, subs, services, &receiver.url()))?;
    let incidents = opts.scale.notification_incidents();
    let failed = AtomicBool::new(false);
    let (committed, enqueued) = std::thread::scope(|s| {
        let fan_out = s.spawn(|| follow_fan_out(db, &links, incidents * 3, &failed));
        let made = stream(db, opts.seed, incidents, services);
        failed.store(made.is_err(), Ordering::SeqCst);
        let seen = fan_out
            .join()
            .map_err(|_| anyhow::anyhow!("the fan-out thread panicked"))?;
        anyhow::Ok((made?, seen?))
    })?;
    let latency = Latency::of(
        committed
            .iter()
            .filter_map(|(change, at)| Some(enqueued.get(change)?.duration_since(*at)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect(),
    );
    let made = db.run(deliveries::pending_count)? as usize;
    let sent = deliver_all(db, &receiver).await?;
    receiver.stop().await;
    Ok(Notifications {
        subscriptions: subs,
        saved_searches: subs.div_ceil(10),
        changes: committed.len(),
        deliveries: made,
        enqueue_p50_ms: latency.p50_ms,
        enqueue_p99_ms: latency.p99_ms,
        enqueue_max_ms: latency.max_ms,
        delivered: sent.delivered,
        failed_attempts: sent.failed,
        delivery_seconds: sent.seconds,
        deliveries_per_sec: sent.delivered as f64 / sent.seconds.max(1e-9),
    })
}

fn service(i: usize) -> String {
    format!("svc-{i}")
}

/// `count` webhook subscriptions to the receiver: every tenth a saved search (one word, or
/// two), the others on one service each, every event.
fn subscribe(
    conn: &mut aftermath::db::DbConn,
    count: usize,
    services: usize,
    url: &str,
) -> Result<(), aftermath::db::DbError> {
    for i in 0..count {
        let filter = if i % 10 == 0 {
            let n = i / 10;
            let word = WORDS[n % WORDS.len()];
            let query = match n % 3 {
                2 => format!("{word} {}", WORDS[(n + 1) % WORDS.len()]),
                _ => word.to_string(),
            };
            Filter {
                query: Some(query),
                ..Filter::default()
            }
        } else {
            Filter {
                services: vec![service(i % services)],
                ..Filter::default()
            }
        };
        subscriptions::create(
            conn,
            &NewSubscription {
                owner_token_id: "bench".into(),
                owner_name: "bench".into(),
                kind: Kind::Webhook,
                target: format!("{url}/hook/{i}"),
                format: Format::Statuspage,
                filter,
                events: EventKind::ALL.to_vec(),
            },
        )?;
    }
    Ok(())
}

/// Notes a change as committed now, and waits for the next.
fn tick(made: &mut Vec<(Change, Instant)>, change: Change) {
    made.push((change, Instant::now()));
    std::thread::sleep(CHANGE_EVERY);
}

/// The stream: each incident created, then (a round later) updated, then resolved, one change
/// every [`CHANGE_EVERY`]. Returns each change with the moment it committed.
fn stream(
    db: &Db,
    seed: u64,
    incidents: usize,
    services: usize,
) -> anyhow::Result<Vec<(Change, Instant)>> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut made = Vec::with_capacity(incidents * 3);
    let mut ids = Vec::with_capacity(incidents);
    for i in 0..incidents {
        let title = format!(
            "Elevated {} and {} errors",
            WORDS[rng.random_range(0..WORDS.len())],
            WORDS[rng.random_range(0..WORDS.len())]
        );
        let new = new_incident(&title, &service(i % services))?;
        let id = db.write(|conn| incidents::create(conn, &new))?;
        ids.push(id);
        tick(&mut made, (id.to_string(), "incident.created"));
    }
    for (status, event, body) in [
        (
            IncidentStatus::Identified,
            "incident.updated",
            "We found the cause.",
        ),
        (IncidentStatus::Resolved, "incident.resolved", "Fixed."),
    ] {
        for id in &ids {
            let update = NewUpdate {
                body: Body::parse("body", body)?,
                status: Some(status),
                impact: None,
                occurred_at: Utc::now(),
                author: None,
                source: "bench".into(),
            };
            db.write(|conn| timeline::add_update(conn, *id, &update, &Precondition::Any))?;
            tick(&mut made, (id.to_string(), event));
        }
    }
    Ok(made)
}

fn new_incident(title: &str, service: &str) -> anyhow::Result<NewIncident> {
    Ok(NewIncident {
        title: Title::parse("title", title)?,
        services: vec![ServiceSlug::parse("service", service)?],
        status: IncidentStatus::Investigating,
        impact: Impact::Major,
        origin: Origin::Manual,
        started_at: Utc::now(),
        body: None,
        author: None,
        source: "bench".into(),
    })
}

/// The leader's fan-out loop, noting when each change's deliveries were committed, until all
/// `expected` changes have some (every change matches a service's subscriptions), or the
/// stream `failed`.
fn follow_fan_out(
    db: &Db,
    links: &Links,
    expected: usize,
    failed: &AtomicBool,
) -> anyhow::Result<HashMap<Change, Instant>> {
    let mut seen: HashMap<Change, Instant> = HashMap::new();
    let mut last_seq = 0;
    let started = Instant::now();
    while seen.len() < expected {
        let pass = notifications::fan_out_once(db, links, "bench", Utc::now())?;
        let at = Instant::now();
        if pass.deliveries > 0 {
            let new = db.run(|conn| deliveries::made_after(conn, last_seq))?;
            for (seq, incident, event) in new {
                last_seq = last_seq.max(seq);
                if let Some(event) = EventKind::ALL.iter().find(|e| e.as_str() == event) {
                    seen.entry((incident, event.as_str())).or_insert(at);
                }
            }
        }
        if failed.load(Ordering::SeqCst) {
            anyhow::bail!("the stream of changes failed");
        }
        if started.elapsed() > PHASE_LIMIT {
            anyhow::bail!(
                "the fan-out made deliveries for {} of {expected} changes in {PHASE_LIMIT:?}",
                seen.len()
            );
        }
        if pass.rows == 0 {
            // As `serve` does when there was nothing to read.
            std::thread::sleep(notifications::POLL);
        }
    }
    Ok(seen)
}

/// What the delivery phase did.
struct Sent {
    delivered: usize,
    failed: usize,
    seconds: f64,
}

/// One delivery worker, as `serve` runs it, until nothing is pending.
async fn deliver_all(db: &Db, receiver: &Receiver) -> anyhow::Result<Sent> {
    let settings = Settings::default();
    let private = PrivateSources::Only(vec![receiver.host_port()]);
    let config = NotifyConfig {
        run: true,
        smtp_url: None,
        smtp_from: None,
    };
    let sender = notifications::sender(&private, &config, &settings)?;
    let started = Instant::now();
    let (mut delivered, mut failed) = (0, 0);
    loop {
        let pass = notifications::deliver_due(db, &sender, &settings, "bench", Utc::now()).await?;
        delivered += pass.delivered;
        failed += pass.failed + pass.dead;
        if pass.attempts() == 0 {
            if db.run(deliveries::pending_count)? == 0 {
                break;
            }
            // Only retries are left, waiting out their backoff.
            actix_web::rt::time::sleep(notifications::POLL).await;
        }
        if started.elapsed() > PHASE_LIMIT {
            anyhow::bail!("{delivered} delivered in {PHASE_LIMIT:?}, and some still pending");
        }
    }
    Ok(Sent {
        delivered,
        failed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A local webhook receiver that answers 200 to everything.
struct Receiver {
    port: u16,
    handle: actix_web::dev::ServerHandle,
    received: Arc<AtomicUsize>,
}

impl Receiver {
    fn start() -> anyhow::Result<Self> {
        let received = Arc::new(AtomicUsize::new(0));
        let count = received.clone();
        let server = HttpServer::new(move || {
            let count = count.clone();
            App::new().default_service(web::to(move |_body: web::Bytes| {
                count.fetch_add(1, Ordering::Relaxed);
                async { HttpResponse::Ok().finish() }
            }))
        })
        .workers(2)
        .bind(("127.0.0.1", 0))?;
        let port = server.addrs()[0].port();
        let running = server.run();
        let handle = running.handle();
        actix_web::rt::spawn(running);
        Ok(Self {
            port,
            handle,
            received,
        })
    }

    fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn url(&self) -> String {
        format!("http://{}", self.host_port())
    }

    async fn stop(self) {
        tracing::debug!(
            received = self.received.load(Ordering::Relaxed),
            "receiver stops"
        );
        self.handle.stop(true).await;
    }
}
