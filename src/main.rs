//! The `aftermath` command line. Every command that touches the database applies pending
//! migrations first, so each works on a fresh database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use aftermath::config::{Config, DEFAULT_BIND, DEFAULT_DATABASE_URL};
use aftermath::correlate::{self, Origin};
use aftermath::db::sources::{self, NewSource};
use aftermath::db::tokens::{self, Scope};
use aftermath::db::{DatabaseUrl, Db, run_migrations};
use aftermath::domain::ServiceSlug;
use aftermath::ingest::Format;
use aftermath::ingest::poller::{self, PollerSettings};
use aftermath::startup::Application;
use aftermath::{db, demo, telemetry};
use clap::{Args, Parser, Subcommand};

/// Aftermath: incident timelines and postmortems, from status pages and user reports.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Where the data lives: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "AFTERMATH_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    /// Directory for local state such as the search index.
    #[arg(
        long,
        env = "AFTERMATH_DATA_DIR",
        default_value = "data",
        global = true
    )]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app and JSON API (migrates the database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "AFTERMATH_BIND", default_value = DEFAULT_BIND)]
        bind: SocketAddr,
        /// Load the sample incidents first (safe to repeat: loading twice changes nothing).
        #[arg(long)]
        demo: bool,
        /// Do not poll the configured sources from this instance.
        #[arg(long)]
        no_poll: bool,
    },
    /// Fetch every source that is due (conditional GET, timeouts, backoff) and ingest what changed.
    Poll {
        /// Poll once and exit (the only mode; `serve` polls continuously).
        #[arg(long, required = true)]
        once: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API tokens (needed for writes and for signing in to the web pages).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Read status-page documents from files. Each file lands whole or not at all; a file that
    /// fails is reported and the others still go in. Ingesting the same file twice changes nothing.
    Ingest {
        /// The document format; detected from the content when left out.
        #[arg(long, value_parser = ingest_format)]
        format: Option<Format>,
        /// The service the documents are about, when they do not say themselves.
        #[arg(long, value_parser = service_slug)]
        service: Option<ServiceSlug>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Manage the status pages Aftermath polls and the webhooks it receives.
    #[command(subcommand)]
    Source(SourceCommand),
}

#[derive(Subcommand)]
enum SourceCommand {
    /// Add a source. Polled kinds need --url; `statuspage-webhook` prints the URL to give Statuspage.
    Add {
        /// A format name to poll (statuspage, atom, rss, aws-health, gcp, …) or statuspage-webhook.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        url: Option<String>,
        /// The service this source reports on.
        #[arg(long, value_parser = service_slug)]
        service: ServiceSlug,
        /// How often to poll, e.g. 30s, 5m, 1h.
        #[arg(long, default_value = "5m", value_parser = interval)]
        interval: u32,
    },
    /// List sources with their last success and last error.
    List,
}

fn ingest_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        format!(
            "unknown format {s:?}; expected one of: {}",
            names.join(", ")
        )
    })
}

fn service_slug(s: &str) -> Result<ServiceSlug, String> {
    ServiceSlug::parse("service", s).map_err(|e| e.message)
}

fn interval(s: &str) -> Result<u32, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u32 = number
        .parse()
        .map_err(|_| format!("{s:?} is not an interval like 30s, 5m or 1h"))?;
    let secs = match unit {
        "s" | "" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("{s:?} is not an interval like 30s, 5m or 1h")),
    };
    if secs < 10 {
        return Err("poll at most every 10 seconds".into());
    }
    Ok(secs)
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it, alone, on stdout. It is shown only this once.
    Create {
        /// Who or what uses the token; shown as the author of what it writes.
        #[arg(long)]
        name: String,
        /// write: file and edit incidents; admin: also manage the store.
        #[arg(long, default_value = "write")]
        scope: Scope,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke every live token with this name or id.
    Revoke { name_or_id: String },
}

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
    } = cli.global;
    match cli.command {
        Command::Serve {
            bind,
            demo,
            no_poll,
        } => serve(
            Config {
                database_url,
                data_dir,
                bind,
                template_dir: None,
                poll: !no_poll,
            },
            demo,
        ),
        Command::Poll { once: _ } => {
            let db = Db::connect(&database_url)?;
            let summary = actix_web::rt::System::new()
                .block_on(async move { poller::poll_once(&db, &PollerSettings::default()).await });
            println!("{}", serde_json::to_string(&summary)?);
            if summary.failed > 0 {
                anyhow::bail!(
                    "{} source(s) failed; see `aftermath source list`",
                    summary.failed
                );
            }
            Ok(())
        }
        Command::Migrate => {
            let applied = run_migrations(&DatabaseUrl::parse(&database_url)?)?;
            eprintln!("{applied} migration(s) applied");
            Ok(())
        }
        Command::Token(cmd) => token(&Db::connect(&database_url)?, cmd),
        Command::Ingest {
            format,
            service,
            files,
        } => ingest_files(&Db::connect(&database_url)?, format, service, &files),
        Command::Source(cmd) => source(&Db::connect(&database_url)?, cmd),
    }
}

fn ingest_files(
    db: &Db,
    format: Option<Format>,
    service: Option<ServiceSlug>,
    files: &[PathBuf],
) -> anyhow::Result<()> {
    // Files are parsed first, then applied a few hundred per transaction (one savepoint each).
    const BATCH: usize = 256;
    let started = std::time::Instant::now();
    let (mut failed, mut entries) = (0, 0);
    for chunk in files.chunks(BATCH) {
        let mut outcomes: Vec<Option<Result<correlate::IngestReport, String>>> = Vec::new();
        let mut docs = Vec::new();
        for path in chunk {
            let parsed = std::fs::read(path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|bytes| {
                    correlate::parse_bytes(format, &bytes).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(doc) => {
                    docs.push((
                        doc,
                        service.clone(),
                        Origin(format!("file:{}", path.display())),
                    ));
                    outcomes.push(None);
                }
                Err(e) => outcomes.push(Some(Err(e))),
            }
        }
        let mut applied = correlate::apply_batch(db, &docs)?.into_iter();
        for (path, outcome) in chunk.iter().zip(outcomes) {
            let result = match outcome {
                Some(r) => r,
                None => applied.next().map_or_else(
                    || Err("not applied".into()),
                    |r| r.map_err(|e| e.to_string()),
                ),
            };
            match result {
                Ok(r) => {
                    entries += r.entries_added;
                    println!(
                        "{}: {}: {} created, {} updated, {} unchanged; {} entries added, {} edited, {} components changed",
                        path.display(),
                        r.format,
                        r.created,
                        r.updated,
                        r.unchanged,
                        r.entries_added,
                        r.entries_edited,
                        r.components_changed
                    );
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("{}: error: {e}", path.display());
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} file(s) in {secs:.2} s, {entries} new timeline entries ({:.0}/s)",
        files.len(),
        entries as f64 / secs.max(1e-9)
    );
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} file(s) failed; the others were ingested",
            files.len()
        );
    }
    Ok(())
}

fn source(db: &Db, cmd: SourceCommand) -> anyhow::Result<()> {
    match cmd {
        SourceCommand::Add {
            kind,
            url,
            service,
            interval,
        } => {
            let webhook = kind == "statuspage-webhook";
            if !webhook && Format::from_name(&kind).is_none() {
                anyhow::bail!(
                    "unknown kind {kind:?}; use a format name (statuspage, atom, rss, aws-health, gcp, …) or statuspage-webhook"
                );
            }
            if !webhook
                && !url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"))
            {
                anyhow::bail!("a polled source needs --url http(s)://…");
            }
            let secret = webhook.then(|| hex::encode(rand::random::<[u8; 24]>()));
            let new = NewSource {
                format: (!webhook).then(|| kind.clone()),
                kind,
                url: if webhook { None } else { url },
                service: service.to_string(),
                interval_secs: (!webhook).then_some(interval as i32),
                secret,
            };
            let row = db.write(|conn| {
                db::services::ensure_exist(conn, std::slice::from_ref(&service))
                    .and_then(|_| sources::add(conn, &new))
            })?;
            match (&row.secret, webhook) {
                (Some(secret), true) => println!("/api/v1/hooks/{}/{secret}", row.id),
                _ => println!("{}", row.id),
            }
        }
        SourceCommand::List => {
            for s in db.run(sources::list_configured)? {
                let when = |t: Option<chrono::NaiveDateTime>| {
                    t.map_or("never".to_string(), |t| format!("{t} UTC"))
                };
                println!(
                    "{}\t{}\t{}\t{}\tlast success: {}\tlast error: {}",
                    s.id,
                    s.kind,
                    s.service_slug.unwrap_or_default(),
                    s.url.unwrap_or_else(|| "(webhook)".into()),
                    when(s.last_success_at),
                    s.last_error.map_or("none".into(), |e| format!(
                        "{e} ({})",
                        when(s.last_error_at)
                    ))
                );
            }
        }
    }
    Ok(())
}

fn token(db: &Db, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { name, scope } => {
            let (_, raw) = db.write(|conn| tokens::create(conn, &name, scope))?;
            println!("{raw}");
        }
        TokenCommand::List => {
            for t in db.run(tokens::list)? {
                let state = t.revoked_at.map_or("live".to_string(), |r| {
                    format!("revoked {}", r.format("%Y-%m-%d"))
                });
                println!("{}\t{}\t{}\t{}", t.id, t.name, t.scope.as_str(), state);
            }
        }
        TokenCommand::Revoke { name_or_id } => {
            let n = db
                .write(|conn| tokens::revoke(conn, &name_or_id))
                .map_err(|e| match e {
                    aftermath::db::DbError::NotFound => {
                        anyhow::anyhow!("no live token named {name_or_id:?}")
                    }
                    other => other.into(),
                })?;
            eprintln!("revoked {n} token(s)");
        }
    }
    Ok(())
}

fn serve(config: Config, load_demo: bool) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let db = Db::connect(&config.database_url)?;
        if load_demo {
            let summary = demo::load(&db)?;
            eprintln!(
                "demo data: {} incident(s) created, {} updated, {} unchanged",
                summary.created, summary.updated, summary.unchanged
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
