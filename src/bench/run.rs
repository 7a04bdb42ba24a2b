//! The phases of a benchmark run, in order: generate and ingest (in-process, then over HTTP),
//! reindex, search beside FTS5 (and PostgreSQL), freshness, postmortems, resources.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::generator::{Document, Generator};
use super::in_process::{BATCH_DOCS, apply};
use super::queries::{self, BenchQuery};
use super::report::*;
use super::workspace::{Bar, Workspace};
use super::{Options, fts};
use aftermath::config::Config;
use aftermath::db::{Db, outbox, tokens};
use aftermath::search::Search;
use aftermath::startup::Application;

/// Documents generated ahead of each timed in-process ingest: enough that the pipeline's fill
/// and drain are a small part of it, few enough to keep memory bounded.
const CHUNK_DOCS: usize = 10 * BATCH_DOCS;
const HTTP_CONCURRENCY: usize = 4;

pub async fn run(opts: Options) -> anyhow::Result<Report> {
    let work = Workspace::new(&opts)?;
    let result = run_in(&opts, &work).await;
    work.clean_up();
    result
}

async fn run_in(opts: &Options, work: &Workspace) -> anyhow::Result<Report> {
    let scale = opts.scale;
    let db = Db::connect(&work.url).context("cannot open the benchmark store")?;
    let mut generator = Generator::new(opts.seed, scale.services(), scale.entries());
    let service_names: Vec<String> = generator
        .services()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    // 0. The real corpus, when given, into a fresh store of its own.
    let corpus_ingest = match &opts.corpus {
        Some(dir) => Some(super::corpus::measure(dir, &work.corpus_url()?)?),
        None => None,
    };
    let bar = Bar::new(opts.progress, scale.entries(), "entries ingested");

    // 1. In-process ingest of nine tenths, in batches, timing only parse and apply.
    let http_share = scale.entries() / 10;
    let (mut in_entries, mut incidents, mut spent) = (0u64, 0u64, Duration::ZERO);
    let mut batch: Vec<Document> = Vec::with_capacity(CHUNK_DOCS);
    let mut for_http: Vec<Document> = Vec::new();
    while let Some(doc) = generator.next_document() {
        incidents += doc.incidents;
        if in_entries + batch.iter().map(|d| d.entries).sum::<u64>() >= scale.entries() - http_share
        {
            for_http.push(doc);
            continue;
        }
        batch.push(doc);
        if batch.len() == CHUNK_DOCS {
            spent += apply(&db, &batch)?;
            in_entries += batch.iter().map(|d| d.entries).sum::<u64>();
            bar.set(in_entries);
            batch.clear();
        }
    }
    spent += apply(&db, &batch)?;
    in_entries += batch.iter().map(|d| d.entries).sum::<u64>();
    bar.set(in_entries);

    // 2. A server on the store: its indexer builds the index, then HTTP ingest of the rest.
    let mut config = Config::for_dir(work.url.clone(), work.data_dir.clone());
    // The intake phase is one client address; the per-address limit would measure itself.
    config.report_rate_per_minute = u32::MAX;
    let app = Application::build(config)?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let search = app.search().clone();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let (_, token) = db.write(|c| tokens::create(c, "bench", tokens::Scope::Write))?;
    wait_consistent(&search).await?;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let http_entries = post_documents(&client, &address, &token, &for_http, &bar).await?;
    let http_secs = started.elapsed().as_secs_f64();
    bar.finish();
    wait_consistent(&search).await?;

    // 3. A full reindex into a new directory; the running server switches to it.
    let bar = Bar::new(opts.progress, incidents, "incidents reindexed");
    let started = Instant::now();
    let entries = Search::rebuild(&work.data_dir, &db, &|done, total| {
        bar.set_len(total);
        bar.set(done);
    })?;
    let reindex_secs = started.elapsed().as_secs_f64();
    bar.finish();
    wait_consistent(&search).await?;

    // 4. The query mix on tantivy, then on the alternatives.
    let mix = queries::mix(opts.seed, scale.queries(), &service_names);
    let ours = time_queries(&mix, |q| Ok(search.query(&q.request())?.total))?;
    let mut fts5 = fts::build_fts5(&db, &work.dir)?;
    let theirs = time_queries(&mix, |q| fts::query_fts5(&mut fts5.conn, q))?;
    let fts5 = alternative("sqlite-fts5", fts5.seconds, theirs, &ours);
    let postgres_fts = match &opts.postgres_url {
        Some(_) => {
            let mut pg = fts::build_postgres(&db, &work.url)?;
            let theirs = time_queries(&mix, |q| fts::query_postgres(&mut pg.conn, q))?;
            Some(alternative("postgres-fts", pg.seconds, theirs, &ours))
        }
        None => None,
    };

    // 5. Freshness: acknowledged write → searchable, without waking the indexer.
    let freshness = measure_freshness(
        &client,
        &address,
        &token,
        &db,
        &search,
        scale.freshness_writes(),
    )
    .await?;

    // 6. User reports: intake over HTTP, then live spike evaluation.
    let slugs: Vec<String> = service_names
        .iter()
        .take(50)
        .filter_map(|n| aftermath::domain::ServiceSlug::slugify(n).map(|s| s.to_string()))
        .collect();
    let report_intake = super::reports::measure_intake(
        &address,
        &slugs,
        Duration::from_secs(scale.intake_seconds()),
    )
    .await?;
    let spike_evaluation =
        super::reports::measure_spike_evaluation(&db, scale.spike_services(), 10)?;
    let (apps, days) = scale.cascade();
    let cascade = super::cascade::measure_cascades(&db, opts.seed, apps, days)?;

    // 7. Postmortems.
    let postmortems = measure_postmortems(&db, &work.dir, opts.progress)?;

    handle.stop(true).await;
    search.stop();
    let database_bytes = database_bytes(&db, &work.url)?;
    let index_bytes = disk_usage(&work.data_dir.join("index"));
    let total_entries = in_entries + http_entries;
    let per_million = |bytes: u64| bytes as f64 / 1_048_576.0 / (total_entries.max(1) as f64 / 1e6);
    Ok(Report {
        scale: scale.name().into(),
        backend: if opts.postgres_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
        .into(),
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        machine: machine(),
        corpus: Corpus {
            seed: opts.seed,
            services: service_names.len(),
            incidents,
            entries: total_entries,
        },
        ingest: Ingest {
            in_process_entries: in_entries,
            in_process_entries_per_sec: in_entries as f64 / spent.as_secs_f64().max(1e-9),
            http_entries,
            http_entries_per_sec: http_entries as f64 / http_secs.max(1e-9),
            http_concurrency: HTTP_CONCURRENCY,
        },
        corpus_ingest,
        reindex: Reindex {
            incidents,
            entries,
            seconds: reindex_secs,
            entries_per_sec: entries as f64 / reindex_secs.max(1e-9),
        },
        search: SearchLatency {
            queries: mix.len(),
            latency: ours,
        },
        fts5,
        postgres_fts,
        freshness,
        report_intake,
        spike_evaluation,
        cascade,
        postmortems,
        resources: Resources {
            peak_rss_mib: peak_rss_mib(),
            database_bytes,
            index_bytes,
            database_mib_per_million_entries: per_million(database_bytes),
            index_mib_per_million_entries: per_million(index_bytes),
        },
    })
}

async fn post_documents(
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

async fn wait_consistent(search: &Search) -> anyhow::Result<()> {
    anyhow::ensure!(
        search
            .wait_until_consistent(Duration::from_secs(3600))
            .await?,
        "the index did not catch up"
    );
    Ok(())
}

/// One warm-up pass over the first hundred queries, then every query once, timed.
fn time_queries(
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

fn alternative(engine: &str, build_seconds: f64, latency: Latency, ours: &Latency) -> Alternative {
    Alternative {
        engine: engine.into(),
        build_seconds,
        latency,
        ratio_p50: latency.p50_ms / ours.p50_ms.max(1e-9),
    }
}

async fn measure_freshness(
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

fn measure_postmortems(db: &Db, dir: &Path, progress: bool) -> anyhow::Result<Postmortems> {
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

fn database_bytes(db: &Db, url: &str) -> anyhow::Result<u64> {
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
