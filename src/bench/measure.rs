//! The measurements a benchmark run takes between its phases: HTTP ingest, query latency,
//! freshness, postmortems and the store's size. Each returns figures; `run` orders them.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::generator::Document;
use super::queries::BenchQuery;
use super::report::*;
use super::workspace::Bar;
use aftermath::db::{Db, outbox};
use aftermath::search::Search;

/// Concurrent requests of the HTTP ingest phase.
pub const HTTP_CONCURRENCY: usize = 4;

pub async fn post_documents(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    docs: &[Document],
    bar: &Bar,
) -> anyhow::Result<u64> {
    use futures_util::StreamExt;
    let url = format!("{address}/api/v1/ingest/statuspage");
    let mut done = 0u64;
    let mut responses = futures_util::stream::iter(docs.iter().map(|d| {
        let request = client
            .post(&url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(d.json.clone());
        async move { (request.send().await, d.entries) }
    }))
    .buffer_unordered(HTTP_CONCURRENCY);
    while let Some((res, entries)) = responses.next().await {
        let res = res?;
        anyhow::ensure!(
            res.status().is_success(),
            "ingest over HTTP answered {}",
            res.status()
        );
        done += entries;
        bar.inc(entries);
    }
    Ok(done)
}

pub async fn wait_consistent(search: &Search) -> anyhow::Result<()> {
    anyhow::ensure!(
        search
            .wait_until_consistent(Duration::from_secs(3600))
            .await?,
        "the index did not catch up"
    );
    Ok(())
}

/// The search box's suggestions as people type the mix's first words (two to four letters,
/// in turn), timed like the queries; counts what each suggested.
pub fn time_suggestions(search: &Search, mix: &[BenchQuery]) -> anyhow::Result<Latency> {
    let typed: Vec<String> = mix
        .iter()
        .enumerate()
        .filter_map(|(i, q)| {
            let word = q.terms.first()?.trim_matches('"');
            Some(word.chars().take(2 + i % 3).collect())
        })
        .collect();
    let each = |t: &String| -> anyhow::Result<usize> {
        let s = search.suggest(t)?;
        Ok(s.services.len() + s.components.len() + s.incidents.len())
    };
    for t in typed.iter().take(100) {
        each(t)?;
    }
    let mut samples = Vec::with_capacity(typed.len());
    for t in &typed {
        let started = Instant::now();
        std::hint::black_box(each(t)?);
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Latency::of(samples))
}

/// One warm-up pass over the first hundred queries, then every query once, timed.
pub fn time_queries(
    mix: &[BenchQuery],
    mut run: impl FnMut(&BenchQuery) -> anyhow::Result<usize>,
) -> anyhow::Result<Latency> {
    for q in mix.iter().take(100) {
        run(q)?;
    }
    let mut samples = Vec::with_capacity(mix.len());
    for q in mix {
        let started = Instant::now();
        std::hint::black_box(run(q)?);
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Latency::of(samples))
}

pub fn alternative(
    engine: &str,
    build_seconds: f64,
    latency: Latency,
    ours: &Latency,
) -> Alternative {
    Alternative {
        engine: engine.into(),
        build_seconds,
        latency,
        ratio_p50: latency.p50_ms / ours.p50_ms.max(1e-9),
    }
}

pub async fn measure_freshness(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    db: &Db,
    search: &Search,
    writes: usize,
) -> anyhow::Result<Freshness> {
    let created: serde_json::Value = client
        .post(format!("{address}/api/v1/incidents"))
        .bearer_auth(token)
        .json(&serde_json::json!({"title": "Freshness probe", "services": ["bench-probe"]}))
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"]
        .as_str()
        .context("no incident id")?
        .to_string();
    let mut samples = Vec::with_capacity(writes);
    for i in 0..writes {
        let res = client
            .post(format!("{address}/api/v1/incidents/{id}/updates"))
            .bearer_auth(token)
            .json(&serde_json::json!({"body": format!("Probe update {i}")}))
            .send()
            .await?;
        anyhow::ensure!(
            res.status().is_success(),
            "update answered {}",
            res.status()
        );
        let acknowledged = Instant::now();
        let db = db.clone();
        let mark = tokio::task::spawn_blocking(move || db.run(outbox::consistency_mark)).await??;
        anyhow::ensure!(
            search
                .wait_for_mark(mark, Duration::from_secs(30), false)
                .await,
            "write never became searchable"
        );
        samples.push(acknowledged.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Freshness {
        writes,
        latency: Latency::of(samples),
    })
}

pub fn measure_postmortems(db: &Db, dir: &Path, progress: bool) -> anyhow::Result<Postmortems> {
    let detail = super::big_incident(1_000);
    let rounds = 20;
    let started = Instant::now();
    let mut markdown = String::new();
    for _ in 0..rounds {
        markdown = std::hint::black_box(aftermath::postmortem::draft(&detail, None)).markdown;
    }
    let draft_ms = started.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(aftermath::markdown::render(&markdown));
    }
    let render_ms = started.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
    let bar = Bar::new(progress, 0, "postmortems exported");
    let started = Instant::now();
    let summary =
        aftermath::postmortem::export::export_all(db, &dir.join("export"), None, |done, total| {
            bar.set_len(total as u64);
            bar.set(done as u64);
        })?;
    let secs = started.elapsed().as_secs_f64();
    bar.finish();
    Ok(Postmortems {
        draft_1000_entries_ms: draft_ms,
        render_1000_entries_ms: render_ms,
        exported: summary.written,
        export_per_sec: summary.written as f64 / secs.max(1e-9),
    })
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

pub fn database_bytes(db: &Db, url: &str) -> anyhow::Result<u64> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        return Ok(["", "-wal", "-shm"]
            .iter()
            .map(|s| disk_usage(Path::new(&format!("{path}{s}"))))
            .sum());
    }
    let size: Size = db.run(|c| match c {
        aftermath::db::DbConn::Postgres(pg) => Ok(diesel::sql_query(
            "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> 'bench_fts'",
        )
        .get_result(pg)?),
        aftermath::db::DbConn::Sqlite(_) => Ok(Size { bytes: 0 }),
    })?;
    Ok(size.bytes.max(0) as u64)
}
