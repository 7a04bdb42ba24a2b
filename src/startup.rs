//! Builds the running app: database (migrated), HTTP server on a bound listener. Holds no logic.
//!
//! Shutdown: actix's own signal handling turns SIGINT and SIGTERM into a graceful stop — the
//! listener closes, in-flight requests get up to 10 seconds to finish — then the background
//! work stops in an order that hands over cleanly to other instances: the poller claims nothing
//! more, finishes the fetches it claimed (bounded) and releases its other leases; the minute job
//! finishes a pass under way (bounded); the leader lock is released; the indexer thread stops
//! and the pool is dropped.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing_actix_web::TracingLogger;

use crate::config::Config;
use crate::db::{Db, secrets};
use crate::http::api::reports::ReportsState;
use crate::http::metrics::Metrics;
use crate::http::pages::{Layout, error_page};
use crate::http::problem::{ApiError, problem_for_plain_errors};
use crate::http::{self, AppState};
use crate::jobs::leader::Leader;
use crate::jobs::poller::{self, PollerSettings};
use crate::jobs::{self, minute, notifications, outbox_pruner};
use crate::search::Search;

/// How long a stopping instance waits for a spike evaluation pass under way.
/// A background job: its name, how long it may take to stop, and its task.
type Job = (&'static str, Duration, JoinHandle<()>);

const MINUTE_JOB_DRAIN: Duration = Duration::from_secs(30);

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    search: Search,
    leader: Leader,
    /// Sending `true` (or dropping it) stops the background jobs.
    stop_jobs: watch::Sender<bool>,
    jobs: Vec<Job>,
}

/// The background jobs `serve` runs beside the server (see `jobs`), started in one place.
struct Background {
    db: Db,
    leader: Leader,
    /// `None` with `--no-poll`.
    poller: Option<PollerSettings>,
    retention: Duration,
    /// `None` unless notifications are on (`NotifyConfig::run`).
    notify: Option<Notify>,
}

/// What the notification jobs need.
struct Notify {
    sender: notifications::Sender,
    links: notifications::Links,
}

impl Notify {
    /// `None` when this process does not send notifications.
    fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        if !config.notifications.run {
            return Ok(None);
        }
        let settings = notifications::Settings::default();
        let sender =
            notifications::sender(&config.private_sources, &config.notifications, &settings)?;
        let links = notifications::Links::new(config.public_url.as_deref());
        Ok(Some(Self { sender, links }))
    }
}

impl Background {
    /// Starts them; returns the stop signal and the jobs to wait for on stop, each with how
    /// long it may take.
    fn spawn(self, housekeeping: impl Fn() + Send + 'static) -> (watch::Sender<bool>, Vec<Job>) {
        let Self {
            db,
            leader,
            poller: poller_settings,
            retention,
            notify,
        } = self;
        let (stop_jobs, stopped) = watch::channel(false);
        let mut jobs = Vec::new();
        if let Some(settings) = poller_settings {
            // The drain, then one statement to release the leases left.
            let drain = settings.drain + Duration::from_secs(5);
            let poller = poller::run(db.clone(), settings, stopped.clone());
            jobs.push(("poller", drain, actix_web::rt::spawn(poller)));
        }
        if let Some(Notify { sender, links }) = notify {
            let fan_out =
                notifications::run_fan_out(db.clone(), leader.clone(), links, stopped.clone());
            jobs.push((
                "notification fan-out",
                MINUTE_JOB_DRAIN,
                actix_web::rt::spawn(fan_out),
            ));
            let settings = notifications::Settings::default();
            let worker = notifications::run_worker(db.clone(), sender, settings, stopped.clone());
            jobs.push((
                "notification worker",
                MINUTE_JOB_DRAIN,
                actix_web::rt::spawn(worker),
            ));
        }
        // Live spike evaluation each minute on the leader, with the limiter's housekeeping on
        // the same beat on every instance.
        let minute = minute::run(db.clone(), leader.clone(), housekeeping, stopped);
        jobs.push(("minute job", MINUTE_JOB_DRAIN, actix_web::rt::spawn(minute)));
        // The outbox pruner, on the leader; it stops with the process.
        let is_leader = move || leader.is_leader();
        actix_web::rt::spawn(outbox_pruner::run(db, retention, is_leader));
        (stop_jobs, jobs)
    }
}

impl Application {
    /// Connects (and migrates) the database and binds the listener; `bind` port 0 picks a free port.
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let db = Db::connect(&config.database_url)
            .with_context(|| format!("cannot open the database at {}", config.database_url))?;
        Self::build_with_db(config, db)
    }

    pub fn build_with_db(config: Config, db: Db) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let port = listener.local_addr()?.port();
        // Shared by every instance on one database, so a session survives a restart or a load balancer.
        let key_bytes = db.run(|conn| secrets::get_or_create(conn, secrets::SESSION_KEY, 64))?;
        let key =
            Key::try_from(key_bytes.as_slice()).context("the stored session key is too short")?;
        let (metrics, prometheus) = Metrics::new().map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
        let poll = config.poll;
        let poller_settings =
            PollerSettings::default().with_private_sources(config.private_sources.clone());
        let retention = config.outbox_retention;
        let notify = Notify::from_config(&config)?;
        let heartbeat = crate::db::replicas::heartbeat_interval(retention);
        let search = Search::start(db.clone(), &config.data_dir, heartbeat)
            .context("cannot start the search indexer")?;
        // User reports: the group-commit writer and the per-address rate limiter.
        let reports = web::Data::new(ReportsState::start(&db, config.report_rate_per_minute)?);
        let reports_for_app = reports.clone();
        tracing::info!(instance = jobs::instance_id(), "starting");
        let leader = Leader::start(&db);
        let state = web::Data::new(AppState {
            db: db.clone(),
            config: Arc::new(config),
            metrics,
            search: search.clone(),
            leader: leader.clone(),
        });
        let secure_cookie = state.config.is_https();
        let server = HttpServer::new(move || {
            App::new()
                // Innermost, inside the session: every route's scope, before any handler runs.
                .wrap(from_fn(http::routes::guard))
                .wrap(from_fn(http::caching::conditional_get))
                .wrap(from_fn(http::head::head_as_get))
                .wrap(ErrorHandlers::new().default_handler(problem_for_plain_errors))
                .wrap(from_fn(http::headers::security_headers))
                .wrap(http::cors::PublicReads)
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                        .cookie_name("aftermath_session".into())
                        .cookie_content_security(CookieContentSecurity::Signed)
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        // Secure when people reach us over https (AFTERMATH_PUBLIC_URL); plain
                        // HTTP on loopback otherwise, where a Secure cookie would never come back.
                        .cookie_secure(secure_cookie)
                        .build(),
                )
                .wrap(prometheus.clone())
                .wrap(TracingLogger::<http::request_log::RequestLog>::new())
                .app_data(state.clone())
                .app_data(reports_for_app.clone())
                .configure(http::configure)
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        let reports_housekeeping = move || reports.forget_quiet_clients();
        let background = Background {
            db: db.clone(),
            leader: leader.clone(),
            poller: poll.then_some(poller_settings),
            retention,
            notify,
        };
        let (stop_jobs, jobs) = background.spawn(reports_housekeeping);
        Ok(Self {
            port,
            server,
            db,
            search,
            leader,
            stop_jobs,
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn search(&self) -> &Search {
        &self.search
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Whether this instance leads, and the handle jobs consult.
    pub fn leader(&self) -> &Leader {
        &self.leader
    }

    /// Serves until stopped (SIGINT, SIGTERM or the handle), then stops the background work in
    /// the order the module docs give.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            search,
            leader,
            stop_jobs,
            jobs,
            ..
        } = self;
        let result = server.await;
        stop_jobs.send_replace(true);
        for (name, bound, job) in jobs {
            if tokio::time::timeout(bound, job).await.is_err() {
                tracing::warn!(job = name, ?bound, "a job did not stop in time; leaving it");
            }
        }
        // After the jobs: a pass under way ends before another instance may start one.
        let _ = actix_web::rt::task::spawn_blocking(move || leader.stop()).await;
        // Joins the indexer so its writer lock is released before the process goes on.
        let _ = actix_web::rt::task::spawn_blocking(move || search.stop()).await;
        result
    }
}

/// Unknown routes: an HTML page for browsers, problem+json for everything else.
async fn not_found(req: HttpRequest) -> HttpResponse {
    let wants_html = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html && !req.path().starts_with("/api/") {
        return error_page(
            Layout::default(),
            actix_web::http::StatusCode::NOT_FOUND,
            "There is no page here.",
        );
    }
    actix_web::ResponseError::error_response(&ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}
