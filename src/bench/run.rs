//! The phases of a benchmark run, in order: generate and ingest (in-process, then over HTTP),
//! reindex, search beside FTS5 (and PostgreSQL), freshness, postmortems, resources.

use std::time::{Duration, Instant};

use anyhow::Context;

use super::generator::{Document, Generator};
use super::in_process::{BATCH_DOCS, apply};
use super::measure::*;
use super::queries;
use super::report::*;
use super::workspace::{Bar, Workspace};
use super::{Options, fts};
use aftermath::config::Config;
use aftermath::db::{Db, tokens};
use aftermath::search::Search;
use aftermath::startup::Application;

/// Documents generated ahead of each timed in-process ingest: enough that the pipeline's fill
/// and drain are a small part of it, few enough to keep memory bounded.
const CHUNK_DOCS: usize = 10 * BATCH_DOCS;

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
    // 1. In-process ingest of nine tenths; 2. a server, and HTTP ingest of the rest.
    let local = ingest_in_process(&db, &mut generator, opts)?;
    let server = Server::start(work, &db).await?;
    let (http_entries, http_secs) = server.ingest(&local.for_http, &local.bar).await?;
    // 3. A full reindex; 4. the query mix here and on the alternatives.
    let reindex = measure_reindex(opts, work, &db, &server.search, local.incidents).await?;
    let (search, fts5, postgres_fts) =
        compare_search(opts, work, &db, &server.search, &service_names)?;
    // 5. Freshness: acknowledged write → searchable, without waking the indexer.
    let freshness = measure_freshness(
        &server.client,
        &server.address,
        &server.token,
        &db,
        &server.search,
        scale.freshness_writes(),
    )
    .await?;
    // 6. User reports; 7. postmortems.
    let reports = measure_reports(opts, &db, &server.address, &service_names).await?;
    let postmortems = measure_postmortems(&db, &work.dir, opts.progress)?;
    server.stop().await;
    let total_entries = local.entries + http_entries;
    Ok(Report {
        scale: scale.name().into(),
        backend: opts.backend().into(),
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        machine: machine(),
        corpus: Corpus {
            seed: opts.seed,
            services: service_names.len(),
            incidents: local.incidents,
            entries: total_entries,
        },
        ingest: Ingest {
            in_process_entries: local.entries,
            in_process_entries_per_sec: local.entries as f64 / local.spent.as_secs_f64().max(1e-9),
            http_entries,
            http_entries_per_sec: http_entries as f64 / http_secs.max(1e-9),
            http_concurrency: HTTP_CONCURRENCY,
        },
        corpus_ingest,
        reindex,
        search,
        fts5,
        postgres_fts,
        freshness,
        report_intake: reports.0,
        spike_evaluation: reports.1,
        cascade: reports.2,
        postmortems,
        resources: resources(&db, work, total_entries)?,
    })
}

/// What the in-process phase ingested, and the documents it left for HTTP.
pub(super) struct InProcess {
    pub(super) entries: u64,
    pub(super) incidents: u64,
    pub(super) spent: Duration,
    pub(super) for_http: Vec<Document>,
    /// Goes on counting through the HTTP phase.
    pub(super) bar: Bar,
}

/// Nine tenths of the corpus in batches, timing only parse and apply.
pub(super) fn ingest_in_process(
    db: &Db,
    generator: &mut Generator,
    opts: &Options,
) -> anyhow::Result<InProcess> {
    let scale = opts.scale;
    let http_share = scale.entries() / 10;
    let mut out = InProcess {
        entries: 0,
        incidents: 0,
        spent: Duration::ZERO,
        for_http: Vec::new(),
        bar: Bar::new(opts.progress, scale.entries(), "entries ingested"),
    };
    let mut batch: Vec<Document> = Vec::with_capacity(CHUNK_DOCS);
    let flush = |out: &mut InProcess, batch: &mut Vec<Document>| -> anyhow::Result<()> {
        out.spent += apply(db, batch)?;
        out.entries += batch.iter().map(|d| d.entries).sum::<u64>();
        out.bar.set(out.entries);
        batch.clear();
        Ok(())
    };
    while let Some(doc) = generator.next_document() {
        out.incidents += doc.incidents;
        let pending: u64 = batch.iter().map(|d| d.entries).sum();
        if out.entries + pending >= scale.entries() - http_share {
            out.for_http.push(doc);
            continue;
        }
        batch.push(doc);
        if batch.len() == CHUNK_DOCS {
            flush(&mut out, &mut batch)?;
        }
    }
    flush(&mut out, &mut batch)?;
    Ok(out)
}

/// A server on the benchmark store, and a write token for it.
pub(super) struct Server {
    pub(super) address: String,
    pub(super) search: Search,
    handle: actix_web::dev::ServerHandle,
    pub(super) token: String,
    pub(super) client: reqwest::Client,
}

impl Server {
    /// Starts it and waits until its indexer has built the index of what is stored.
    pub(super) async fn start(work: &Workspace, db: &Db) -> anyhow::Result<Self> {
        Self::start_in(work, db, work.data_dir.clone()).await
    }

    /// [`Server::start`] with its own data directory (its own index): a second instance on the
    /// same store.
    pub(super) async fn start_in(
        work: &Workspace,
        db: &Db,
        data_dir: std::path::PathBuf,
    ) -> anyhow::Result<Self> {
        let mut config = Config::for_dir(work.url.clone(), data_dir);
        // The intake phase is one client playing a proxy for a new reporter on every report
        // (`X-Forwarded-For`, believed from loopback), so each report is counted and stored the
        // way a real crowd's are; the per-reporter limit would only measure itself.
        config.report_rate_per_minute = u32::MAX;
        config.trusted_proxies = vec![ipnet::IpNet::from(std::net::IpAddr::from([127, 0, 0, 1]))];
        let app = Application::build(config)?;
        let server = Self {
            address: format!("http://127.0.0.1:{}", app.port()),
            search: app.search().clone(),
            handle: app.handle(),
            token: db
                .write(|c| tokens::create(c, "bench", tokens::Scope::Write))?
                .1,
            // Idle connections are dropped before the server's 5-second keep-alive closes them:
            // after a long phase without requests (reindex, the FTS builds) a pooled connection
            // the server had just closed failed the next request.
            client: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(2))
                .build()?,
        };
        actix_web::rt::spawn(app.run_until_stopped());
        wait_consistent(&server.search).await?;
        Ok(server)
    }

    /// HTTP ingest of `docs`: entries posted and seconds taken, until searchable.
    pub(super) async fn ingest(&self, docs: &[Document], bar: &Bar) -> anyhow::Result<(u64, f64)> {
        let started = Instant::now();
        let entries = post_documents(&self.client, &self.address, &self.token, docs, bar).await?;
        let secs = started.elapsed().as_secs_f64();
        bar.finish();
        wait_consistent(&self.search).await?;
        Ok((entries, secs))
    }

    pub(super) async fn stop(self) {
        self.handle.stop(true).await;
        self.search.stop();
    }
}

/// A full reindex into a new directory; the running server switches to it.
async fn measure_reindex(
    opts: &Options,
    work: &Workspace,
    db: &Db,
    search: &Search,
    incidents: u64,
) -> anyhow::Result<Reindex> {
    let bar = Bar::new(opts.progress, incidents, "incidents reindexed");
    let started = Instant::now();
    let entries = Search::rebuild(&work.data_dir, db, &|done, total| {
        bar.set_len(total);
        bar.set(done);
    })?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish();
    wait_consistent(search).await?;
    Ok(Reindex {
        incidents,
        entries,
        seconds,
        entries_per_sec: entries as f64 / seconds.max(1e-9),
    })
}

/// The query mix on tantivy, then on SQLite FTS5 (and PostgreSQL full-text search).
fn compare_search(
    opts: &Options,
    work: &Workspace,
    db: &Db,
    search: &Search,
    service_names: &[String],
) -> anyhow::Result<(SearchLatency, Alternative, Option<Alternative>)> {
    let mix = queries::mix(opts.seed, opts.scale.queries(), service_names);
    let ours = time_queries(&mix, |q| Ok(search.query(&q.request())?.total))?;
    let mut fts5 = fts::build_fts5(db, &work.dir)?;
    let theirs = time_queries(&mix, |q| fts::query_fts5(&mut fts5.conn, q))?;
    let fts5 = alternative("sqlite-fts5", fts5.seconds, theirs, &ours);
    let postgres_fts = match &opts.postgres_url {
        Some(_) => {
            let mut pg = fts::build_postgres(db, &work.url)?;
            let theirs = time_queries(&mix, |q| fts::query_postgres(&mut pg.conn, q))?;
            Some(alternative("postgres-fts", pg.seconds, theirs, &ours))
        }
        None => None,
    };
    let latency = SearchLatency {
        queries: mix.len(),
        latency: ours,
        suggest: time_suggestions(search, &mix)?,
    };
    Ok((latency, fts5, postgres_fts))
}

/// User reports: intake over HTTP, live spike evaluation, and a cascade replay.
async fn measure_reports(
    opts: &Options,
    db: &Db,
    address: &str,
    service_names: &[String],
) -> anyhow::Result<(
    super::reports::ReportIntake,
    super::reports::SpikeEvaluation,
    super::cascade::CascadeRun,
)> {
    let scale = opts.scale;
    let slugs: Vec<String> = service_names
        .iter()
        .take(50)
        .filter_map(|n| aftermath::domain::ServiceSlug::slugify(n).map(|s| s.to_string()))
        .collect();
    let intake = super::reports::measure_intake(
        address,
        &slugs,
        Duration::from_secs(scale.intake_seconds()),
    )
    .await?;
    let spikes = super::reports::measure_spike_evaluation(
        db,
        scale.spike_services(),
        super::reports::SPIKE_HISTORY_MINUTES,
    )?;
    let (apps, days) = scale.cascade();
    let cascade = super::cascade::measure_cascades(db, opts.seed, apps, days)?;
    Ok((intake, spikes, cascade))
}

/// The store's and the index's size after the run, also per million entries.
fn resources(db: &Db, work: &Workspace, total_entries: u64) -> anyhow::Result<Resources> {
    let database_bytes = database_bytes(db, &work.url)?;
    let index_bytes = disk_usage(&work.data_dir.join("index"));
    let per_million = |bytes: u64| bytes as f64 / 1_048_576.0 / (total_entries.max(1) as f64 / 1e6);
    Ok(Resources {
        peak_rss_mib: peak_rss_mib(),
        database_bytes,
        index_bytes,
        database_mib_per_million_entries: per_million(database_bytes),
        index_mib_per_million_entries: per_million(index_bytes),
    })
}
