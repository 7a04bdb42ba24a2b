//! The `aftermath` command line. Every command that touches the database applies pending
//! migrations first, so each works on a fresh database.

use std::process::ExitCode;

use aftermath::config::{Config, PrivateSources};
use aftermath::db::{DatabaseUrl, Db, run_migrations};
use aftermath::jobs::poller::{self, PollerSettings};
use aftermath::startup::Application;
use aftermath::{demo, telemetry};
use clap::Parser;

/// The bulk ingest allocates and frees many small strings from two threads; glibc's malloc
/// was a fifth of its profile (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod cli;
mod commands;
mod search_cli;
mod search_explain;
use cli::{
    Cli, Command, ExportWhat, Global, IngestFormat, SourceCommand, StoreFormat, TokenCommand,
};
use commands::{ingest_files, source, token};

fn main() -> ExitCode {
    telemetry::init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let Global {
        database_url,
        data_dir,
        template_dir,
        allow_private_sources,
    } = cli.global;
    match cli.command {
        Command::Serve {
            bind,
            demo,
            no_poll,
            report_rate,
            public_url,
            trusted_proxies,
            public_read,
            outbox_retention,
            notify,
        } => {
            let config = Config {
                database_url,
                data_dir,
                bind,
                template_dir,
                poll: !no_poll,
                report_rate_per_minute: report_rate,
                public_url,
                trusted_proxies: trusted_proxies.0,
                private_sources: allow_private_sources,
                public_read,
                outbox_retention,
                notifications: notify.into_config(),
            };
            serve(config, demo)
        }
        Command::Poll { once: _ } => poll_once(&Db::connect(&database_url)?, allow_private_sources),
        Command::Migrate => {
            let applied = run_migrations(&DatabaseUrl::parse(&database_url)?)?;
            eprintln!("{applied} migration(s) applied");
            Ok(())
        }
        Command::Postmortem { incident_id, out } => commands::postmortem(
            &Db::connect(&database_url)?,
            &incident_id,
            out,
            template_dir.as_deref(),
        ),
        Command::Export {
            what,
            format,
            out,
            include_secrets,
        } => {
            let secrets = aftermath::db::dump::Secrets::from_flag(include_secrets);
            let db = Db::connect(&database_url)?;
            export(&db, what, (format, secrets), out, template_dir.as_deref())
        }
        Command::Import { file } => commands::import_store(&Db::connect(&database_url)?, &file),
        Command::Token(cmd) => token(&Db::connect(&database_url)?, cmd),
        Command::Ingest {
            format,
            service,
            files,
        } => ingest(&Db::connect(&database_url)?, format, service, &files),
        Command::Source(cmd) => source(&Db::connect(&database_url)?, cmd, &allow_private_sources),
        search @ Command::Search { .. } => {
            search_cli::search_command(Db::connect(&database_url)?, &data_dir, search)
        }
        Command::Reindex => search_cli::reindex(&Db::connect(&database_url)?, &data_dir),
        bench @ Command::Bench { .. } => search_cli::bench_command(&database_url, bench),
    }
}

fn poll_once(db: &Db, private_sources: PrivateSources) -> anyhow::Result<()> {
    let settings = PollerSettings::default().with_private_sources(private_sources);
    let summary = actix_web::rt::System::new()
        .block_on(async move { poller::poll_once(db, &settings).await });
    println!("{}", serde_json::to_string(&summary)?);
    if summary.failed > 0 {
        anyhow::bail!(
            "{} source(s) failed; see `aftermath source list`",
            summary.failed
        );
    }
    Ok(())
}

fn export(
    db: &Db,
    what: Option<ExportWhat>,
    (format, secrets): (Option<StoreFormat>, aftermath::db::dump::Secrets),
    out: Option<std::path::PathBuf>,
    template_dir: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    match (what, format) {
        (Some(ExportWhat::Postmortems), _) => {
            let out = out.ok_or_else(|| anyhow::anyhow!("export postmortems needs --out DIR"))?;
            commands::export_postmortems(db, &out, template_dir)
        }
        (None, Some(StoreFormat::Jsonl)) => commands::export_store(db, out.as_deref(), secrets),
        (None, None) => anyhow::bail!(
            "name what to export: `export postmortems --out DIR` or `export --format jsonl`"
        ),
    }
}

fn ingest(
    db: &Db,
    format: Option<IngestFormat>,
    service: Option<aftermath::domain::ServiceSlug>,
    files: &[std::path::PathBuf],
) -> anyhow::Result<()> {
    match format {
        Some(IngestFormat::Document(f)) => ingest_files(db, Some(f), service, files),
        Some(IngestFormat::ReportsJsonl) => commands::ingest_reports(db, files),
        Some(IngestFormat::Services) => commands::ingest_catalogs(db, files),
        None => commands::ingest_by_extension(db, service, files),
    }
}

fn serve(config: Config, load_demo: bool) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let db = Db::connect(&config.database_url)?;
        if load_demo {
            let summary = demo::load(&db)?;
            eprintln!(
                "demo data: {} incident(s) created, {} updated, {} unchanged; {} user report(s) stored",
                summary.created, summary.updated, summary.unchanged, summary.reports
            );
        }
        let app = Application::build_with_db(config, db)?;
        let port = app.port();
        println!("Aftermath is running at http://127.0.0.1:{port}/ (Ctrl-C to stop)");
        app.run_until_stopped().await?;
        eprintln!("stopped");
        Ok(())
    })
}
