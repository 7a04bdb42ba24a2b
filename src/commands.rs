//! The bodies of the CLI commands that only wire the library together: read files, print reports.

use std::path::PathBuf;

use aftermath::config::PrivateSources;
use aftermath::correlate;
use aftermath::db::sources;
use aftermath::db::tokens;
use aftermath::db::{self, Db};
use aftermath::domain::source::SourceSpec;
use aftermath::domain::{IncidentId, ServiceSlug};
use aftermath::ingest::Format;
use aftermath::jobs::poller::address::check_source_url;

use super::{SourceCommand, TokenCommand};

/// `aftermath export --format jsonl [--out FILE]`.
pub fn export_store(
    db: &Db,
    out: Option<&std::path::Path>,
    secrets: db::dump::Secrets,
) -> anyhow::Result<()> {
    let rows = match out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let n = db.run(|conn| db::dump::export(conn, &mut writer, secrets))?;
            std::io::Write::flush(&mut writer)?;
            n
        }
        None => {
            let stdout = std::io::stdout();
            let mut writer = std::io::BufWriter::new(stdout.lock());
            let n = db.run(|conn| db::dump::export(conn, &mut writer, secrets))?;
            std::io::Write::flush(&mut writer)?;
            n
        }
    };
    eprintln!("exported {rows} rows");
    Ok(())
}

/// `aftermath import FILE`: all or nothing, into an empty database.
pub fn import_store(db: &Db, file: &std::path::Path) -> anyhow::Result<()> {
    let reader =
        std::fs::File::open(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let imported = db
        .write(|conn| db::dump::import(conn, std::io::BufReader::new(reader)))
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    eprintln!("imported {} rows from {}", imported.rows, file.display());
    if imported.new_webhook_secrets > 0 {
        eprintln!(
            "the export carried no webhook secrets (export --include-secrets keeps them): {} webhook URL(s) changed; `aftermath source list` shows the new ones",
            imported.new_webhook_secrets
        );
    }
    if imported.new_subscription_secrets > 0 {
        eprintln!(
            "the export carried no subscription secrets: {} webhook subscription(s) sign with a new secret; their owners see it by rotating it (POST /api/v1/subscriptions/ID/rotate-secret)",
            imported.new_subscription_secrets
        );
    }
    if imported.slack_paused > 0 {
        eprintln!(
            "the export carried no Slack URLs (they are secrets): {} Slack subscription(s) are paused; their owners subscribe again",
            imported.slack_paused
        );
    }
    Ok(())
}

/// `aftermath export postmortems --out DIR`, with a progress bar on a terminal.
pub fn export_postmortems(
    db: &Db,
    out: &std::path::Path,
    template_dir: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} postmortems ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let summary =
        aftermath::postmortem::export::export_all(db, out, template_dir, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {} postmortem(s) and index.md to {} in {secs:.2} s ({:.0}/s); {} had no saved revision and were drafted",
        summary.written,
        out.display(),
        summary.written as f64 / secs.max(1e-9),
        summary.drafted
    );
    Ok(())
}

/// `aftermath postmortem ID [--out FILE]`: the newest revision, drafting it first if needed.
pub fn postmortem(
    db: &Db,
    id: &str,
    out: Option<PathBuf>,
    template_dir: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let id: IncidentId = id
        .parse()
        .map_err(|_| anyhow::anyhow!("{id:?} is not an incident id"))?;
    let (revision, warning) = db
        .write(|conn| aftermath::postmortem::latest_or_draft(conn, id, template_dir))
        .map_err(|e| match e {
            db::DbError::NotFound => anyhow::anyhow!("no incident with id {id}"),
            other => other.into(),
        })?;
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    match out {
        Some(path) => {
            std::fs::write(&path, &revision.markdown)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            eprintln!(
                "wrote revision {} ({}) to {}",
                revision.revision,
                revision.status,
                path.display()
            );
        }
        None => print!("{}", revision.markdown),
    }
    Ok(())
}

/// `aftermath ingest FILE…` for status-page documents: one line per file, a summary at the end.
pub fn ingest_files(
    db: &Db,
    format: Option<Format>,
    service: Option<ServiceSlug>,
    files: &[PathBuf],
) -> anyhow::Result<()> {
    let summary = correlate::files::ingest_files(
        db,
        format,
        service.as_ref(),
        files,
        |path, result| match result {
            Ok(r) => println!(
                "{}: {}: {} created, {} updated, {} unchanged; {} entries added, {} edited, {} components changed",
                path.display(),
                r.format,
                r.created,
                r.updated,
                r.unchanged,
                r.entries_added,
                r.entries_edited,
                r.components_changed
            ),
            Err(e) => eprintln!("{}: error: {e}", path.display()),
        },
    )?;
    eprintln!(
        "{} file(s) in {:.2} s, {} new timeline entries ({:.0}/s)",
        summary.files,
        summary.seconds,
        summary.entries,
        summary.entries as f64 / summary.seconds.max(1e-9)
    );
    if summary.failed > 0 {
        anyhow::bail!(
            "{} of {} file(s) failed; the others were ingested",
            summary.failed,
            summary.files
        );
    }
    Ok(())
}

/// `aftermath source add|list`. A polled URL that names a non-public address is refused at
/// once unless `--allow-private-sources` allows it, rather than failing at every poll.
pub fn source(db: &Db, cmd: SourceCommand, private: &PrivateSources) -> anyhow::Result<()> {
    match cmd {
        SourceCommand::Add {
            kind,
            url,
            service,
            interval,
        } => {
            let formats: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            let spec = SourceSpec::parse(&kind, url.as_deref(), service, Some(interval), &formats)
                .map_err(|e| anyhow::anyhow!("--{}: {}", e.field, e.message))?;
            if let Some(url) = spec.url.as_deref() {
                check_source_url(url, private).map_err(anyhow::Error::msg)?;
            }
            let row = db.write(|conn| sources::add_by(conn, &cli_actor(), &spec))?;
            match row.hook_path() {
                Some(path) => println!("{path}"),
                None => println!("{}", row.id),
            }
        }
        SourceCommand::Remove { id } => {
            db.write(|conn| sources::remove_by(conn, &cli_actor(), &id))
                .map_err(|e| match e {
                    aftermath::db::DbError::NotFound => anyhow::anyhow!("no source with id {id:?}"),
                    other => other.into(),
                })?;
            eprintln!("removed source {id}");
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

/// Who the audit log says acted from the command line: `cli:` and the login name.
fn cli_actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME"));
    format!("cli:{}", user.as_deref().unwrap_or("unknown"))
}

pub fn token(db: &Db, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { name, scope } => {
            let (_, raw) = db.write(|conn| tokens::create_by(conn, &cli_actor(), &name, scope))?;
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
                .write(|conn| tokens::revoke_by(conn, &cli_actor(), &name_or_id))
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

// User reports and the service catalog.

/// `aftermath ingest --format reports-jsonl FILE...`: each file checked whole, then stored in
/// bounded transactions (`correlate::reports::backfill`); the spikes, incidents and links the
/// reports imply exist when this returns.
pub fn ingest_reports(db: &Db, files: &[PathBuf]) -> anyhow::Result<()> {
    use aftermath::correlate::reports::{BackfillError, backfill};
    let mut failed = 0;
    for path in files {
        let outcome = std::fs::read(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))
            .and_then(|bytes| {
                backfill(db, &bytes, chrono::Utc::now()).map_err(|e| match e {
                    BackfillError::Line(l) => {
                        format!(
                            "{}:{}: {}; nothing of this file was stored",
                            path.display(),
                            l.line,
                            l.message
                        )
                    }
                    BackfillError::Db(e) => {
                        format!("{}: {e}; nothing of this file was stored", path.display())
                    }
                    partial @ BackfillError::Partial { .. } => {
                        format!("{}: {partial}", path.display())
                    }
                })
            });
        match outcome {
            Ok(r) => println!(
                "{}: reports-jsonl: {} reports, {} counted, {} duplicates; {} incidents opened or updated",
                path.display(),
                r.reports,
                r.counted,
                r.duplicates,
                r.incidents
            ),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} file(s) failed; the others were ingested",
            files.len()
        );
    }
    Ok(())
}

/// `aftermath ingest --format services catalog.toml`: each catalog in one transaction.
pub fn ingest_catalogs(db: &Db, files: &[PathBuf]) -> anyhow::Result<()> {
    use aftermath::correlate::reports::apply_catalog;
    use aftermath::ingest::catalog::parse_catalog;
    let mut failed = 0;
    for path in files {
        let outcome = std::fs::read(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))
            .and_then(|bytes| {
                parse_catalog(&bytes)
                    .map_err(|l| format!("{}:{}: {}", path.display(), l.line, l.message))
            })
            .and_then(|services| {
                db.write(|conn| apply_catalog(conn, &services))
                    .map_err(|e| format!("{}: {e}", path.display()))
            });
        match outcome {
            Ok(r) => println!(
                "{}: services: {} created, {} updated, {} unchanged",
                path.display(),
                r.created,
                r.updated,
                r.unchanged
            ),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}; nothing of this file was applied");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} file(s) failed; the others were ingested",
            files.len()
        );
    }
    Ok(())
}

/// Without `--format`: catalogs (`.toml`) first, so reports and documents find their
/// services, then reports (`.jsonl`), then status-page documents (detected from content).
pub fn ingest_by_extension(
    db: &Db,
    service: Option<ServiceSlug>,
    files: &[PathBuf],
) -> anyhow::Result<()> {
    let has = |p: &PathBuf, ext: &str| p.extension().is_some_and(|e| e == ext);
    let catalogs: Vec<PathBuf> = files.iter().filter(|p| has(p, "toml")).cloned().collect();
    let reports: Vec<PathBuf> = files.iter().filter(|p| has(p, "jsonl")).cloned().collect();
    let documents: Vec<PathBuf> = files
        .iter()
        .filter(|p| !has(p, "toml") && !has(p, "jsonl"))
        .cloned()
        .collect();
    let mut errors = Vec::new();
    if !catalogs.is_empty()
        && let Err(e) = ingest_catalogs(db, &catalogs)
    {
        errors.push(e.to_string());
    }
    if !documents.is_empty()
        && let Err(e) = ingest_files(db, None, service, &documents)
    {
        errors.push(e.to_string());
    }
    if !reports.is_empty()
        && let Err(e) = ingest_reports(db, &reports)
    {
        errors.push(e.to_string());
    }
    if !errors.is_empty() {
        anyhow::bail!("{}", errors.join("; "));
    }
    Ok(())
}
