//! `/metrics` in Prometheus text: request counts and latency by route pattern and status (from
//! actix-web-prom), the connection pool and leadership read at scrape time, the store's write
//! counters and the spike evaluation passes.

use actix_web::{HttpResponse, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{Encoder, IntGauge, Registry, TextEncoder};

use super::AppState;
use super::problem::ApiError;
use crate::db::Db;
use crate::jobs::leader::Leader;

pub struct Metrics {
    registry: Registry,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    leader: IntGauge,
}

fn gauge(registry: &Registry, name: &str, help: &str) -> Result<IntGauge, prometheus::Error> {
    let g = IntGauge::new(name, help)?;
    registry.register(Box::new(g.clone()))?;
    Ok(g)
}

impl Metrics {
    /// A fresh registry for one app, and the middleware that records requests into it.
    pub fn new() -> Result<(Self, PrometheusMetrics), Box<dyn std::error::Error + Send + Sync>> {
        let registry = Registry::new();
        if let Some(writes) = crate::telemetry::metrics::writes_counter() {
            registry.register(Box::new(writes))?;
        }
        if let Some(evaluations) = crate::telemetry::metrics::spike_evaluations_counter() {
            registry.register(Box::new(evaluations))?;
        }
        let metrics = Self {
            pool_connections: gauge(
                &registry,
                "aftermath_db_pool_connections",
                "Open database connections",
            )?,
            pool_idle: gauge(
                &registry,
                "aftermath_db_pool_idle_connections",
                "Idle database connections",
            )?,
            pool_max: gauge(
                &registry,
                "aftermath_db_pool_max_size",
                "Largest size the pool may reach",
            )?,
            leader: gauge(
                &registry,
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

    pub fn render(&self, db: &Db, leader: &Leader) -> Result<String, prometheus::Error> {
        self.leader.set(i64::from(leader.is_leader()));
        let pool = db.pool_state();
        self.pool_connections.set(i64::from(pool.connections));
        self.pool_idle.set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max_size));
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let text = state
        .metrics
        .render(&state.db, &state.leader)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
