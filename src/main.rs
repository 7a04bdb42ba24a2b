//! The `aftermath` command line. Every command that touches the database applies pending
//! migrations first, so each works on a fresh database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use aftermath::config::{Config, DEFAULT_BIND, DEFAULT_DATABASE_URL};
use aftermath::db::tokens::{self, Scope};
use aftermath::db::{DatabaseUrl, Db, run_migrations};
use aftermath::startup::Application;
use aftermath::{demo, telemetry};
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
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API tokens (needed for writes and for signing in to the web pages).
    #[command(subcommand)]
    Token(TokenCommand),
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
        Command::Serve { bind, demo } => serve(
            Config {
                database_url,
                data_dir,
                bind,
                template_dir: None,
            },
            demo,
        ),
        Command::Migrate => {
            let applied = run_migrations(&DatabaseUrl::parse(&database_url)?)?;
            eprintln!("{applied} migration(s) applied");
            Ok(())
        }
        Command::Token(cmd) => token(&Db::connect(&database_url)?, cmd),
    }
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
