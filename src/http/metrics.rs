//! `/metrics` in Prometheus text: request counts and latency by route pattern and status (from
//! actix-web-prom), the connection pool, the outbox and leadership read at scrape time, the store's
//! write counters and the spike evaluation passes.
//!
//! The outbox series: its size (`aftermath_outbox_rows`), this instance's index lag
//! (`aftermath_index_lag_seconds`, `aftermath_index_behind_rows`, as in `/healthz`), and the
//! readers the database knows (`aftermath_outbox_replicas{kind}`, and per reader the age of the
//! oldest row it has not passed and of its last heartbeat). Per-reader series are rebuilt at
//! each scrape, so a forgotten reader disappears.

use actix_web::{HttpResponse, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use chrono::{DateTime, Utc};
use prometheus::{Encoder, Gauge, GaugeVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

use super::AppState;
use super::problem::ApiError;
use crate::db::outbox::{self, Lag, Position};
use crate::db::replicas::{self, Replica};
use crate::db::{Db, DbConn, DbError};
use crate::jobs::leader::Leader;

pub struct Metrics {
    registry: Registry,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    outbox_rows: IntGauge,
    index_lag: Gauge,
    index_behind: IntGauge,
    replicas: IntGaugeVec,
    replica_position_age: GaugeVec,
    replica_heartbeat_age: GaugeVec,
    leader: IntGauge,
}

/// What the store says about the outbox at scrape time.
pub struct OutboxView {
    rows: i64,
    lag: Lag,
    readers: Vec<(Replica, Lag)>,
    now: DateTime<Utc>,
}

impl OutboxView {
    /// Reads it, with this instance's index at `position`.
    pub fn read(conn: &mut DbConn, position: Position) -> Result<Self, DbError> {
        let readers = replicas::list(conn)?
            .into_iter()
            .map(|r| {
                let lag = outbox::lag(conn, r.position)?;
                Ok((r, lag))
            })
            .collect::<Result<_, DbError>>()?;
        Ok(Self {
            rows: outbox::row_count(conn)?,
            lag: outbox::lag(conn, position)?,
            readers,
            now: Utc::now(),
        })
    }
}

fn gauge(registry: &Registry, name: &str, help: &str) -> Result<IntGauge, prometheus::Error> {
    let g = IntGauge::new(name, help)?;
    registry.register(Box::new(g.clone()))?;
    Ok(g)
}

fn float_gauge(registry: &Registry, name: &str, help: &str) -> Result<Gauge, prometheus::Error> {
    let g = Gauge::new(name, help)?;
    registry.register(Box::new(g.clone()))?;
    Ok(g)
}

fn reader_gauges(
    registry: &Registry,
    name: &str,
    help: &str,
) -> Result<GaugeVec, prometheus::Error> {
    let g = GaugeVec::new(Opts::new(name, help), &["replica", "kind", "host"])?;
    registry.register(Box::new(g.clone()))?;
    Ok(g)
}

type Built = (Metrics, PrometheusMetrics);

impl Metrics {
    /// A fresh registry for one app, and the middleware that records requests into it.
    pub fn new() -> Result<Built, Box<dyn std::error::Error + Send + Sync>> {
        let registry = Registry::new();
        if let Some(writes) = crate::telemetry::metrics::writes_counter() {
            registry.register(Box::new(writes))?;
        }
        let r = &registry;
        let replicas = IntGaugeVec::new(
            Opts::new(
                "aftermath_outbox_replicas",
                "Outbox readers the database knows, by kind",
            ),
            &["kind"],
        )?;
        registry.register(Box::new(replicas.clone()))?;
        if let Some(evaluations) = crate::telemetry::metrics::spike_evaluations_counter() {
            registry.register(Box::new(evaluations))?;
        }
        if let Some(deliveries) = crate::telemetry::metrics::deliveries_counter() {
            registry.register(Box::new(deliveries))?;
        }
        let metrics = Self {
            pool_connections: gauge(
                r,
                "aftermath_db_pool_connections",
                "Open database connections",
            )?,
            pool_idle: gauge(
                r,
                "aftermath_db_pool_idle_connections",
                "Idle database connections",
            )?,
            pool_max: gauge(
                r,
                "aftermath_db_pool_max_size",
                "Largest size the pool may reach",
            )?,
            outbox_rows: gauge(r, "aftermath_outbox_rows", "Rows in the outbox")?,
            index_lag: float_gauge(
                r,
                "aftermath_index_lag_seconds",
                "Age of the oldest outbox row this instance's index has not applied",
            )?,
            index_behind: gauge(
                r,
                "aftermath_index_behind_rows",
                "Outbox rows committed after this instance's index position",
            )?,
            replicas,
            replica_position_age: reader_gauges(
                r,
                "aftermath_outbox_replica_position_age_seconds",
                "Per outbox reader, age of the oldest row it has not passed (0 when caught up)",
            )?,
            replica_heartbeat_age: reader_gauges(
                r,
                "aftermath_outbox_replica_heartbeat_age_seconds",
                "Per outbox reader, time since its last heartbeat",
            )?,
            leader: gauge(
                r,
                "aftermath_leader",
                "1 while this instance is the leader that runs the minute jobs, else 0",
            )?,
            registry: registry.clone(),
        };
        // Unmatched paths share one label, so probing random URLs cannot blow up cardinality.
        let middleware = PrometheusMetricsBuilder::new("aftermath")
            .registry(registry)
            .mask_unmatched_patterns("UNMATCHED")
            .build()?;
        Ok((metrics, middleware))
    }

    pub fn render(
        &self,
        db: &Db,
        outbox: &OutboxView,
        leader: &Leader,
    ) -> Result<String, prometheus::Error> {
        self.leader.set(i64::from(leader.is_leader()));
        let pool = db.pool_state();
        self.pool_connections.set(i64::from(pool.connections));
        self.pool_idle.set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max_size));
        self.set_outbox(outbox);
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn set_outbox(&self, view: &OutboxView) {
        self.outbox_rows.set(view.rows);
        self.index_lag.set(view.lag.seconds(view.now));
        self.index_behind.set(view.lag.behind_rows);
        self.replicas.reset();
        self.replica_position_age.reset();
        self.replica_heartbeat_age.reset();
        // Always present, so a dashboard sees 0 rather than no series.
        self.replicas.with_label_values(&[replicas::INDEX]).set(0);
        for (r, lag) in &view.readers {
            self.replicas.with_label_values(&[r.kind.as_str()]).inc();
            let labels = [r.id.as_str(), r.kind.as_str(), r.host.as_str()];
            let heartbeat = (view.now - r.heartbeat_at).num_milliseconds().max(0) as f64 / 1000.0;
            self.replica_position_age
                .with_label_values(&labels)
                .set(lag.seconds(view.now));
            self.replica_heartbeat_age
                .with_label_values(&labels)
                .set(heartbeat);
        }
    }
}

pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let position = state.search.position().unwrap_or_default();
    let view = state
        .db_run(move |conn| OutboxView::read(conn, position))
        .await?;
    let text = state
        .metrics
        .render(&state.db, &view, &state.leader)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
