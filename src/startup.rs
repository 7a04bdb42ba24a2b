//! Builds the running app: database (migrated), HTTP server on a bound listener. Holds no logic.
//!
//! Shutdown: actix's own signal handling turns SIGINT and SIGTERM into a graceful stop — the
//! listener closes, in-flight requests get up to 10 seconds to finish, then the poller and the
//! indexer thread stop and the pool is dropped.

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Config;
use crate::db::{Db, secrets};
use crate::http::api::reports::ReportsState;
use crate::http::metrics::Metrics;
use crate::http::pages::{Layout, error_page};
use crate::http::problem::{ApiError, problem_for_plain_errors};
use crate::http::{self, AppState};
use crate::jobs::poller::{self, PollerSettings};
use crate::jobs::{minute, outbox_pruner};
use crate::search::Search;

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    search: Search,
    /// Dropping it stops the poller.
    _stop_poller: Option<tokio::sync::watch::Sender<bool>>,
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
        let heartbeat = crate::db::replicas::heartbeat_interval(retention);
        let search = Search::start(db.clone(), &config.data_dir, heartbeat)
            .context("cannot start the search indexer")?;
        // User reports: the group-commit writer and the per-address rate limiter.
        let reports = web::Data::new(ReportsState::start(&db, config.report_rate_per_minute)?);
        let reports_for_app = reports.clone();
        let state = web::Data::new(AppState {
            db: db.clone(),
            config: Arc::new(config),
            metrics,
            search: search.clone(),
        });
        let secure_cookie = state.config.is_https();
        let server = HttpServer::new(move || {
            App::new()
                // Innermost, inside the session: every route's scope, before any handler runs.
                .wrap(actix_web::middleware::from_fn(http::routes::guard))
                .wrap(ErrorHandlers::new().default_handler(problem_for_plain_errors))
                .wrap(actix_web::middleware::from_fn(
                    http::headers::security_headers,
                ))
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
        // Live spike evaluation each minute, with the limiter's housekeeping on the same beat.
        actix_web::rt::spawn(minute::run(db.clone(), move || {
            reports.forget_quiet_clients()
        }));
        // leader: wired when jobs::leader lands
        actix_web::rt::spawn(outbox_pruner::run(db.clone(), retention, || true));
        let stop_poller = poll.then(|| {
            let (tx, rx) = tokio::sync::watch::channel(false);
            actix_web::rt::spawn(poller::run(db.clone(), poller_settings, rx));
            tx
        });
        Ok(Self {
            port,
            server,
            db,
            search,
            _stop_poller: stop_poller,
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

    /// Serves until stopped (SIGINT, SIGTERM or the handle), then stops the poller.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            search,
            _stop_poller,
            ..
        } = self;
        let result = server.await;
        drop(_stop_poller);
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
