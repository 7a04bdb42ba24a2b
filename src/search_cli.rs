//! `aftermath search` and `aftermath reindex`.

use std::io::IsTerminal;
use std::path::Path;

use aftermath::db::Db;

use crate::cli::Command;
use aftermath::domain::milestones::humanize;
use aftermath::http::api::search::{CONSISTENT_WAIT, results_json};
use aftermath::search::{Hit, Search, SearchWords, parse_request};

pub struct SearchArgs {
    pub query: String,
    pub service: Option<String>,
    pub impact: Option<String>,
    pub status: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub sort: Option<String>,
    pub limit: usize,
    pub json: bool,
    pub strict: bool,
    pub explain: bool,
}

/// `aftermath search`, from its parsed command line.
pub fn search_command(db: Db, data_dir: &Path, command: Command) -> anyhow::Result<()> {
    let Command::Search {
        query,
        service,
        impact,
        status,
        since,
        until,
        sort,
        limit,
        json,
        strict,
        explain,
    } = command
    else {
        anyhow::bail!("not a search command");
    };
    let args = SearchArgs {
        query,
        service,
        impact,
        status,
        since,
        until,
        sort,
        limit,
        json,
        strict,
        explain,
    };
    search(db, data_dir, args)
}

/// Brings the index up to date (unless a running server holds it), then searches it.
pub fn search(db: Db, data_dir: &Path, args: SearchArgs) -> anyhow::Result<()> {
    let mut request = parse_request(&SearchWords {
        q: &args.query,
        service: args.service.as_deref(),
        impact: args.impact.as_deref(),
        status: args.status.as_deref(),
        since: args.since.as_deref(),
        until: args.until.as_deref(),
        sort: args.sort.as_deref(),
        strict: args.strict,
    })
    .map_err(|errors| anyhow::anyhow!("{}", describe(&errors)))?;
    request.limit = args.limit;
    let request = request.validated()?;
    let (search, consistent) = Search::open_for_cli(db, data_dir, CONSISTENT_WAIT)?;
    let results = search.query(&request)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&results_json(&results, consistent))?
        );
        return Ok(());
    }
    if !consistent {
        eprintln!("note: writes still being committed elsewhere may be missing from these results");
    }
    if args.explain {
        print!("{}", crate::search_explain::explain(&args.query, &results));
    }
    let bold = std::io::stdout().is_terminal();
    for warning in &results.warnings {
        eprintln!("note: left out of the query: {warning}");
    }
    println!("{} incident(s)", results.total);
    for hit in &results.hits {
        println!("\n{}", headline(hit));
        println!("  {}", snippet_text(hit, bold));
        println!("  id {}", hit.incident_id);
        if !hit.downstream.is_empty() {
            println!("  and {} affected downstream:", apps(hit.downstream.len()));
        }
        for down in &hit.downstream {
            println!("    {}", headline(down));
            println!("    id {}", down.incident_id);
        }
    }
    Ok(())
}

/// "1 app", "4 apps".
pub fn apps(n: usize) -> String {
    if n == 1 {
        "1 app".into()
    } else {
        format!("{n} apps")
    }
}

/// Field errors as the command line names them (`--since: ...`).
fn describe(errors: &[aftermath::domain::ValidationError]) -> String {
    errors
        .iter()
        .map(|f| format!("--{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn headline(hit: &Hit) -> String {
    let when = hit
        .started_at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let lasted = match (hit.started_at, hit.resolved_at) {
        (Some(s), Some(r)) if r >= s => humanize(r - s),
        // Some sources backfill a start after the resolution.
        (Some(_), Some(_)) => "duration unknown".to_string(),
        _ => "ongoing".to_string(),
    };
    format!(
        "{when} · {lasted} · {} · {} [{}]",
        hit.impact,
        hit.title,
        hit.services.join(", ")
    )
}

fn snippet_text(hit: &Hit, bold: bool) -> String {
    hit.snippet
        .iter()
        .map(|(text, matched)| {
            let text = text.replace(['\n', '\r'], " ");
            match (matched, bold) {
                (true, true) => format!("\x1b[1m{text}\x1b[0m"),
                (true, false) => format!("*{text}*"),
                _ => text,
            }
        })
        .collect()
}

/// Rebuilds into a fresh directory with a progress bar, then switches over.
pub fn reindex(db: &Db, data_dir: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} incidents ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let entries = Search::rebuild(data_dir, db, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    let incidents = bar.position();
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "indexed {incidents} incident(s) with {entries} text(s) in {secs:.2} s ({:.0} entries/s); the new index is now in use",
        entries as f64 / secs
    );
    Ok(())
}

/// `aftermath bench`, from its parsed command line; `--relevance` is a part of its own.
pub fn bench_command(database_url: &str, command: Command) -> anyhow::Result<()> {
    let Command::Bench {
        scale,
        seed,
        json,
        work_dir,
        corpus,
        only,
        relevance,
    } = command
    else {
        anyhow::bail!("not a bench command");
    };
    let only = only.or(relevance.then(|| "relevance".to_string()));
    bench(database_url, &scale, seed, json, work_dir, corpus, only)
}

/// `aftermath bench`: SQLite unless the database URL is a PostgreSQL one.
pub fn bench(
    database_url: &str,
    scale: &str,
    seed: u64,
    json: bool,
    work_dir: Option<std::path::PathBuf>,
    corpus: Option<std::path::PathBuf>,
    only: Option<String>,
) -> anyhow::Result<()> {
    use crate::bench::{Options, Part, Scale};
    let scale = Scale::parse(scale).ok_or_else(|| anyhow::anyhow!("unknown scale {scale:?}"))?;
    let postgres_url = database_url
        .starts_with("postgres")
        .then(|| database_url.to_string());
    let options = Options {
        scale,
        seed,
        postgres_url,
        work_dir,
        progress: !json && std::io::stderr().is_terminal(),
        corpus,
    };
    if only.as_deref() == Some("relevance") {
        let report = crate::bench::run_relevance(&options)?;
        match json {
            true => println!("{}", serde_json::to_string_pretty(&report)?),
            false => print!("{}", report.table()),
        }
        return Ok(());
    }
    if let Some(part) = only {
        let part = Part::parse(&part).ok_or_else(|| anyhow::anyhow!("unknown part {part:?}"))?;
        let report = crate::bench::run_part(&options, part)?;
        match json {
            true => println!("{}", serde_json::to_string_pretty(&report)?),
            false => print!("{}", report.table()),
        }
        return Ok(());
    }
    let report = actix_web::rt::System::new().block_on(crate::bench::run(options))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
