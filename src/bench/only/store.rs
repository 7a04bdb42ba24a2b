//! The parts of `--only` that need a server: report intake on a store that knows the scale's
//! services, and the parts that first ingest the scale's generated corpus.

use super::super::generator::Generator;
use super::super::measure::{
    HTTP_CONCURRENCY, measure_freshness, measure_postmortems, time_queries, time_suggestions,
};
use super::super::report::{Freshness, Ingest, SearchLatency};
use super::super::reports::{ReportIntake, measure_intake};
use super::super::run::{Server, ingest_in_process};
use super::super::workspace::Workspace;
use super::super::{Options, queries};
use super::{Part, PartReport};
use aftermath::db::{self, Db};
use aftermath::domain::ServiceSlug;

/// Report intake as the full run measures it: the first 50 of the scale's services, which the
/// full run's ingest has created by then and which this part creates itself.
pub(super) async fn intake(
    opts: &Options,
    work: &Workspace,
    db: &Db,
) -> anyhow::Result<ReportIntake> {
    let generator = Generator::new(opts.seed, opts.scale.services(), opts.scale.entries());
    let slugs: Vec<ServiceSlug> = generator
        .services()
        .iter()
        .take(50)
        .filter_map(|s| ServiceSlug::slugify(&s.name))
        .collect();
    db.write(|conn| db::services::ensure_exist(conn, &slugs))?;
    let names: Vec<String> = slugs.iter().map(ToString::to_string).collect();
    let server = Server::start(work, db).await?;
    let run_for = std::time::Duration::from_secs(opts.scale.intake_seconds());
    let measured = measure_intake(&server.address, &names, run_for).await;
    server.stop().await;
    measured
}

/// Freshness across instances: a second server on the same store with an index of its own
/// (instance B); each write goes through the first (A) and is timed until B can find it.
async fn cross_instance(
    work: &Workspace,
    db: &Db,
    a: &Server,
    writes: usize,
) -> anyhow::Result<Freshness> {
    let b = Server::start_in(work, db, work.dir.join("instance-b")).await?;
    let measured = measure_freshness(&a.client, &a.address, &a.token, db, &b.search, writes).await;
    b.stop().await;
    measured
}

/// Ingests the scale's corpus (nine tenths in-process, the rest over HTTP), then measures what
/// `part` adds on the populated store.
pub(super) async fn populated(
    opts: &Options,
    work: &Workspace,
    db: &Db,
    part: Part,
    report: &mut PartReport,
) -> anyhow::Result<()> {
    let mut generator = Generator::new(opts.seed, opts.scale.services(), opts.scale.entries());
    let names: Vec<String> = generator
        .services()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let local = ingest_in_process(db, &mut generator, opts)?;
    let server = Server::start(work, db).await?;
    let measured = async {
        let (http_entries, http_secs) = server.ingest(&local.for_http, &local.bar).await?;
        report.ingest = Some(Ingest {
            in_process_entries: local.entries,
            in_process_entries_per_sec: local.entries as f64 / local.spent.as_secs_f64().max(1e-9),
            http_entries,
            http_entries_per_sec: http_entries as f64 / http_secs.max(1e-9),
            http_concurrency: HTTP_CONCURRENCY,
        });
        match part {
            Part::Export => {
                report.postmortems = Some(measure_postmortems(db, &work.dir, opts.progress)?)
            }
            Part::Search => {
                let mix = queries::mix(opts.seed, opts.scale.queries(), &names);
                let latency = time_queries(&mix, |q| Ok(server.search.query(&q.request())?.total))?;
                report.search = Some(SearchLatency {
                    queries: mix.len(),
                    latency,
                    suggest: time_suggestions(&server.search, &mix)?,
                });
                let writes = opts.scale.freshness_writes();
                report.freshness = Some(
                    measure_freshness(
                        &server.client,
                        &server.address,
                        &server.token,
                        db,
                        &server.search,
                        writes,
                    )
                    .await?,
                );
                report.cross_instance_freshness =
                    Some(cross_instance(work, db, &server, writes).await?);
            }
            _ => {}
        }
        anyhow::Ok(())
    }
    .await;
    server.stop().await;
    measured
}
