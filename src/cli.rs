//! The command line's shape: every subcommand, flag and environment variable `aftermath`
//! accepts, with the help text clap prints. What each command does is in `main.rs` and
//! `commands.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;

use aftermath::config::{Cidrs, DEFAULT_BIND, DEFAULT_DATABASE_URL, PrivateSources};
use aftermath::db::tokens::Scope;
use aftermath::domain::ServiceSlug;
use aftermath::ingest::Format;
use clap::{Args, Parser, Subcommand};

/// Aftermath: incident timelines and postmortems, from status pages and user reports.
#[derive(Parser)]
#[command(version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Args)]
pub(crate) struct Global {
    /// Where the data lives: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "AFTERMATH_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub(crate) database_url: String,
    /// Directory for local state such as the search index.
    #[arg(
        long,
        env = "AFTERMATH_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub(crate) data_dir: PathBuf,
    /// Directory whose `default.md.j2` overrides the built-in postmortem template.
    #[arg(long, env = "AFTERMATH_TEMPLATE_DIR", global = true)]
    pub(crate) template_dir: Option<PathBuf>,
    /// Private addresses the poller may fetch: false (none), true (all), or host:port pairs.
    #[arg(long, env = "AFTERMATH_ALLOW_PRIVATE_SOURCES", default_value = "false", global = true,
        value_parser = PrivateSources::parse)]
    pub(crate) allow_private_sources: PrivateSources,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
        /// Public reports each reporter (a client address; IPv6 by its /64) may file per minute.
        #[arg(long, env = "AFTERMATH_REPORT_RATE", default_value_t = aftermath::config::DEFAULT_REPORT_RATE)]
        report_rate: u32,
        /// Where people reach this instance (absolute links; https makes the cookie Secure).
        #[arg(long, env = "AFTERMATH_PUBLIC_URL", value_parser = aftermath::config::parse_public_url)]
        public_url: Option<String>,
        /// Proxies whose X-Forwarded-For/-Host/-Proto are believed: comma-separated CIDRs (none by default).
        #[arg(long, env = "AFTERMATH_TRUSTED_PROXIES", default_value = "",
            value_parser = aftermath::config::parse_cidrs)]
        trusted_proxies: Cidrs,
        /// Whether GET routes answer without a token (true by default).
        #[arg(long, env = "AFTERMATH_PUBLIC_READ", default_value_t = true, action = clap::ArgAction::Set)]
        public_read: bool,
        /// How long outbox rows are kept once every instance's index has passed them, and how
        /// long a silent instance is waited for (30s, 15m, 24h, 7d).
        #[arg(long, env = "AFTERMATH_OUTBOX_RETENTION",
            default_value = aftermath::config::DEFAULT_OUTBOX_RETENTION,
            value_parser = aftermath::config::parse_retention)]
        outbox_retention: std::time::Duration,
        #[command(flatten)]
        notify: NotifyArgs,
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
    /// Read status-page documents, user reports (reports-jsonl) or a service catalog (services)
    /// from files. Each file lands whole or not at all; a file that
    /// fails is reported and the others still go in. Ingesting the same file twice changes nothing.
    Ingest {
        /// The document format; detected from the content when left out (`.jsonl` files are
        /// user reports, `.toml` files service catalogs).
        #[arg(long, value_parser = ingest_format)]
        format: Option<IngestFormat>,
        /// The service the documents are about, when they do not say themselves.
        #[arg(long, value_parser = service_slug)]
        service: Option<ServiceSlug>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print an incident's postmortem (the newest revision; a draft is written on first use).
    Postmortem {
        incident_id: String,
        /// Write it to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export data. `export postmortems --out DIR` writes one Markdown file per incident
    /// (with front matter for cState or Hugo) and an index.md; `export --format jsonl
    /// [--out FILE]` writes the whole store, to move it to another database with `import`.
    Export {
        #[arg(value_enum)]
        what: Option<ExportWhat>,
        /// With no WHAT: the whole store in this format.
        #[arg(long, value_enum)]
        format: Option<StoreFormat>,
        /// Directory (postmortems) or file (jsonl; standard output when left out).
        #[arg(long)]
        out: Option<PathBuf>,
        /// With --format jsonl: also the reporter salt and the webhook secrets (sessions and
        /// the cookie key never leave the store).
        #[arg(long)]
        include_secrets: bool,
    },
    /// Load a whole-store export (from `export --format jsonl`) into an empty database.
    Import { file: PathBuf },
    /// Manage the status pages Aftermath polls and the webhooks it receives.
    #[command(subcommand)]
    Source(SourceCommand),
    /// Search every incident: terms, "phrases", AND/OR/NOT, and field:value for service,
    /// provider, region, component, status and impact. Brings the index up to date first,
    /// unless a running server on the same data directory is doing it.
    Search {
        query: String,
        /// Only incidents of this service (slug).
        #[arg(long)]
        service: Option<String>,
        /// none | minor | major | critical
        #[arg(long)]
        impact: Option<String>,
        /// investigating | identified | monitoring | resolved | postmortem
        #[arg(long)]
        status: Option<String>,
        /// RFC 3339; incidents that started at or after it.
        #[arg(long)]
        since: Option<String>,
        /// RFC 3339; incidents that started before it.
        #[arg(long)]
        until: Option<String>,
        /// relevance (default) or date (newest first).
        #[arg(long)]
        sort: Option<String>,
        /// How many hits to show (1 to 100).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print the API's JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Exact matching: every word as written, with no relaxing, typo expansion, aliases or
        /// date reading.
        #[arg(long)]
        strict: bool,
        /// Show how the query was read (dates, aliases, typos, dropped words, relaxing) first.
        #[arg(long)]
        explain: bool,
    },
    /// Rebuild the search index from the database into a fresh directory, then switch to it
    /// (a running server keeps serving the old one until then).
    Reindex,
    /// Measure ingest, search (beside SQLite FTS5, and PostgreSQL full-text search with a
    /// postgres:// --database-url), freshness, reindex, report intake, spike evaluation, a
    /// replayed cascade and postmortems on a generated corpus.
    /// Never touches your store: it works in a temporary directory, or a schema of its own.
    Bench {
        /// tiny (CI smoke), small (10k entries), medium (1M entries), large (10M entries).
        #[arg(long, default_value = "small", value_parser = ["tiny", "small", "medium", "large"])]
        scale: String,
        /// The generator's seed: the same seed gives the same corpus.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Print the report as JSON (stable keys) instead of a table.
        #[arg(long)]
        json: bool,
        /// Keep the benchmark's files here instead of a temporary directory.
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// Also ingest every status-page document under DIR (the real public corpus) into a
        /// fresh store, in-process as `aftermath ingest` does, and report its entries/s.
        #[arg(long, value_name = "DIR", env = "AFTERMATH_CORPUS")]
        corpus: Option<PathBuf>,
        /// Measure one part alone, on a fresh store of its own: `spikes` (live spike evaluation
        /// of one minute, 10,000 services at the medium scale), `reports` (report intake over
        /// HTTP), `cascade` (report streams replayed hourly), `ingest` (in-process and HTTP
        /// ingest of the scale's corpus), `export` (that ingest, then the postmortem export),
        /// `search` (that ingest, then the query mix and freshness) or `notifications` (1,000
        /// subscriptions and a stream of changes: enqueue latency and delivery throughput).
        #[arg(long, value_name = "PART", value_parser = crate::bench::Part::NAMES)]
        only: Option<String>,
        /// Measure search relevance instead: nDCG@10 and recall@10 of Aftermath and of SQLite
        /// FTS5 on the judged queries, over the real corpus (`--corpus DIR` is required).
        #[arg(long, conflicts_with = "only")]
        relevance: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum ExportWhat {
    /// Every incident's postmortem as Markdown.
    Postmortems,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum StoreFormat {
    /// One JSON object per line.
    Jsonl,
}

#[derive(Subcommand)]
pub(crate) enum SourceCommand {
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
    /// Stop following a source: it is no longer polled, and a webhook's address stops working.
    /// What it brought in stays.
    Remove { id: String },
}

/// A status-page document format, or one of the user-report formats.
#[derive(Clone, Copy)]
pub(crate) enum IngestFormat {
    Document(Format),
    ReportsJsonl,
    Services,
}

pub(crate) fn ingest_format(s: &str) -> Result<IngestFormat, String> {
    match s {
        "reports-jsonl" => return Ok(IngestFormat::ReportsJsonl),
        "services" => return Ok(IngestFormat::Services),
        _ => {}
    }
    Format::from_name(s)
        .map(IngestFormat::Document)
        .ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            format!(
                "unknown format {s:?}; expected one of: {}, reports-jsonl, services",
                names.join(", ")
            )
        })
}

pub(crate) fn service_slug(s: &str) -> Result<ServiceSlug, String> {
    ServiceSlug::parse("service", s).map_err(|e| e.message)
}

pub(crate) fn interval(s: &str) -> Result<u32, String> {
    aftermath::domain::source::parse_interval(s)
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token and print it, alone, on stdout. It is shown only this once.
    Create {
        /// Who or what uses the token; shown as the author of what it writes.
        #[arg(long)]
        name: String,
        /// read: read a deployment whose reads are private; write: also file and edit
        /// incidents; admin: also manage sources, webhooks and tokens.
        #[arg(long, default_value = "write")]
        scope: Scope,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke every live token with this name or id.
    Revoke { name_or_id: String },
}

/// Notifications out (`serve`'s flags).
#[derive(clap::Args)]
pub(crate) struct NotifyArgs {
    /// The SMTP relay for email notifications: smtp://host:port or smtps://user:pass@host.
    #[arg(long, env = "AFTERMATH_SMTP_URL")]
    smtp_url: Option<String>,
    /// The From address of notification mail.
    #[arg(long, env = "AFTERMATH_SMTP_FROM")]
    smtp_from: Option<String>,
    /// Do not send notifications from this instance.
    #[arg(long)]
    no_notify: bool,
}

impl NotifyArgs {
    pub(crate) fn into_config(self) -> aftermath::config::NotifyConfig {
        aftermath::config::NotifyConfig {
            run: !self.no_notify,
            smtp_url: self.smtp_url,
            smtp_from: self.smtp_from,
        }
    }
}
