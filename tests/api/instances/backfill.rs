//! Two report backfills at once on one PostgreSQL give exactly what one gives: the cascade
//! scenario's reports split into interleaved halves, loaded by two `ingest` processes at once,
//! leave the same counts, spikes, incidents and links as one process loading them all. So do
//! the halves loaded one after the other (both backends): the second undoes what the first
//! derived from half the counts.

use std::path::{Path, PathBuf};
use std::process::{Child, Output};

use aftermath::db::{Db, DbError, schema};
use diesel::prelude::*;

use super::Cluster;
use crate::cli::aftermath;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cascade");
const SERVICES: [&str; 6] = [
    "nimbus-us-east",
    "snapgram",
    "robotrade",
    "coinpurse",
    "fortvale",
    "quietnotes",
];

fn ingest(cluster: &Cluster, args: &[&str]) -> Child {
    aftermath()
        .arg("--database-url")
        .arg(&cluster.database_url)
        .arg("ingest")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ingest")
}

fn succeeded(child: Child) -> Output {
    let out = child.wait_with_output().expect("ingest ran");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The catalog, and the providers' posts when `posts`: what the reports land on.
fn prepare(cluster: &Cluster, posts: bool) {
    succeeded(ingest(
        cluster,
        &["--format", "services", &format!("{FIXTURES}/catalog.toml")],
    ));
    if posts {
        let docs =
            ["nimbus", "snapgram", "robotrade"].map(|s| format!("{FIXTURES}/status-{s}.json"));
        let mut args = vec!["--format", "statuspage"];
        args.extend(docs.iter().map(String::as_str));
        succeeded(ingest(cluster, &args));
    }
}

/// The scenario's reports in two files, line by line in turn: each half spans the whole week.
fn halves(dir: &Path) -> [PathBuf; 2] {
    let all = std::fs::read_to_string(format!("{FIXTURES}/reports.jsonl")).unwrap();
    let mut parts = [String::new(), String::new()];
    for (i, line) in all.lines().enumerate() {
        parts[i % 2].push_str(line);
        parts[i % 2].push('\n');
    }
    let paths = [dir.join("even.jsonl"), dir.join("odd.jsonl")];
    for (path, part) in paths.iter().zip(&parts) {
        std::fs::write(path, part).unwrap();
    }
    paths
}

/// What a backfill derives, without ids or write times: per service its per-minute counts and
/// its episodes (with the title of the incident each belongs to), and every incident with its
/// fields, services, timeline and links (the other side named by its title).
fn outcome(db: &Db) -> Vec<String> {
    db.run(|c| {
        let mut out = Vec::new();
        for service in SERVICES {
            let buckets: Vec<(chrono::NaiveDateTime, i64)> = schema::report_buckets::table
                .filter(schema::report_buckets::service_slug.eq(service))
                .order(schema::report_buckets::minute)
                .select((
                    schema::report_buckets::minute,
                    schema::report_buckets::count,
                ))
                .load(c)?;
            out.push(format!("{service} buckets {buckets:?}"));
            for s in aftermath::db::spikes::spikes_of_service(c, service)? {
                let title = match &s.incident_id {
                    Some(id) => {
                        aftermath::db::incidents::get(c, id.parse().unwrap())?
                            .incident
                            .title
                    }
                    None => "(none)".into(),
                };
                out.push(format!(
                    "{service} spike {} {} {:.6} {} {} {:?} {:?} in {title:?}",
                    s.onset,
                    s.onset_count,
                    s.baseline,
                    s.peak_at,
                    s.peak_count,
                    s.returned_at,
                    s.ended_at
                ));
            }
        }
        let ids: Vec<String> = schema::incidents::table
            .select(schema::incidents::id)
            .load(c)?;
        let mut incidents = Vec::new();
        for id in ids {
            incidents.push(described(c, &id)?);
        }
        incidents.sort();
        out.extend(incidents);
        Ok::<_, DbError>(out)
    })
    .unwrap()
}

fn described(c: &mut aftermath::db::DbConn, id: &str) -> Result<String, DbError> {
    let detail = aftermath::db::incidents::get(c, id.parse().unwrap())?;
    let i = &detail.incident;
    let mut timeline: Vec<String> = detail
        .timeline
        .iter()
        .map(|e| {
            format!(
                "{} {:?} {} {:?} {}",
                e.occurred_at, e.kind, e.source, e.status, e.body
            )
        })
        .collect();
    timeline.sort();
    let mut links: Vec<String> = detail
        .links
        .iter()
        .map(|l| {
            format!(
                "{:?} {:?} {:.3} {} {:?}",
                l.kind, l.title, l.confidence, l.reason, l.set_by
            )
        })
        .collect();
    links.sort();
    Ok(format!(
        "incident {:?} {:?} {:?} {:?} {:?} {:?} reports {} services {:?}\n  timeline {timeline:#?}\n  links {links:#?}",
        i.title,
        i.status,
        i.impact,
        i.origin,
        i.milestones,
        i.url,
        i.report_count,
        detail.components
    ))
}

/// One round: one process loads the whole file into one schema; two processes load the halves
/// at once into another. Returns what each left.
fn round(posts: bool) -> Option<(Vec<String>, Vec<String>)> {
    let one = Cluster::start()?;
    let two = Cluster::start()?;
    prepare(&one, posts);
    prepare(&two, posts);
    let dir = tempfile::tempdir().unwrap();
    let [even, odd] = halves(dir.path());
    let whole = format!("{FIXTURES}/reports.jsonl");
    succeeded(ingest(&one, &["--format", "reports-jsonl", &whole]));
    let a = ingest(&two, &["--format", "reports-jsonl", even.to_str().unwrap()]);
    let b = ingest(&two, &["--format", "reports-jsonl", odd.to_str().unwrap()]);
    succeeded(a);
    succeeded(b);
    Some((outcome(&one.db), outcome(&two.db)))
}

#[test]
fn two_backfills_of_interleaved_halves_at_once_give_what_one_backfill_gives() {
    // With the providers' posts first (spikes join their incidents), then without (spikes
    // open incidents of their own), and once more: the two processes interleave differently.
    for posts in [true, false, true] {
        let Some((one, two)) = round(posts) else {
            return;
        };
        let spikes = one.iter().filter(|l| l.contains(" spike ")).count();
        assert_eq!(spikes, 5, "the scenario's five onsets: {one:#?}");
        assert!(
            one.iter().any(|l| l.contains("Upstream")),
            "the scenario links its incidents: {one:#?}"
        );
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a, b, "posts first: {posts}");
        }
        assert_eq!(one.len(), two.len(), "posts first: {posts}");
    }
}

/// A store with the catalog, and the providers' posts when `posts`, loaded in-process.
fn in_process_store(dir: &Path, posts: bool) -> (Db, Option<crate::helpers::SchemaGuard>) {
    std::fs::create_dir_all(dir).unwrap();
    let (url, schema) = crate::helpers::fresh_database(dir);
    let db = Db::connect(&url).unwrap();
    let catalog = std::fs::read(format!("{FIXTURES}/catalog.toml")).unwrap();
    let services = aftermath::ingest::catalog::parse_catalog(&catalog).unwrap();
    db.write(|c| aftermath::correlate::reports::apply_catalog(c, &services))
        .unwrap();
    for s in ["nimbus", "snapgram", "robotrade"]
        .into_iter()
        .filter(|_| posts)
    {
        let doc = std::fs::read(format!("{FIXTURES}/status-{s}.json")).unwrap();
        let origin = aftermath::correlate::Provenance(format!("file:status-{s}.json"));
        let format = Some(aftermath::ingest::Format::Statuspage);
        aftermath::correlate::ingest_bytes(&db, format, None, &doc, &origin).unwrap();
    }
    (db, schema)
}

#[test]
fn the_halves_of_a_file_backfilled_one_after_the_other_give_what_the_whole_file_gives() {
    use aftermath::correlate::reports::backfill;
    let now = chrono::Utc::now();
    for posts in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (one, _one) = in_process_store(&dir.path().join("one"), posts);
        let (two, _two) = in_process_store(&dir.path().join("two"), posts);
        let whole = std::fs::read(format!("{FIXTURES}/reports.jsonl")).unwrap();
        backfill(&one, &whole, now).unwrap();
        let [even, odd] = halves(dir.path());
        // The half that starts later first: the other then rewinds over all of it.
        for half in [odd, even] {
            backfill(&two, &std::fs::read(half).unwrap(), now).unwrap();
        }
        let (one, two) = (outcome(&one), outcome(&two));
        assert_eq!(one.iter().filter(|l| l.contains(" spike ")).count(), 5);
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a, b, "posts first: {posts}");
        }
        assert_eq!(one.len(), two.len(), "posts first: {posts}");
    }
}
