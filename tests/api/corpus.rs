//! The real public data in `AFTERMATH_CORPUS` (CI sets it to ../shared/corpus): ingest all of it,
//! check the counts against what the files hold, and check that a second ingest changes nothing.
//! Skipped, with a message saying so, when the variable is not set.

use std::path::{Path, PathBuf};
use std::time::Instant;

use aftermath::correlate::{self, Provenance};
use aftermath::db::Db;
use aftermath::domain::ServiceSlug;
use aftermath::ingest::Format;

use crate::helpers::fresh_database;

fn corpus() -> Option<PathBuf> {
    match std::env::var("AFTERMATH_CORPUS") {
        Ok(dir) => Some(PathBuf::from(dir)),
        Err(_) => {
            eprintln!("SKIPPED: AFTERMATH_CORPUS is not set; the corpus tests need the real data");
            None
        }
    }
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

/// Ingests files, panicking with the file's name on any failure; returns (entries added, changed?).
fn ingest_all(
    db: &Db,
    paths: &[PathBuf],
    format: Option<Format>,
    service: Option<&str>,
) -> (usize, bool) {
    let service = service.map(|s| ServiceSlug::parse("service", s).unwrap());
    let started = Instant::now();
    let (mut entries, mut changed) = (0, false);
    for path in paths {
        let bytes = std::fs::read(path).unwrap();
        let report = correlate::ingest_bytes(
            db,
            format,
            service.as_ref(),
            &bytes,
            &Provenance(format!("file:{}", path.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        entries += report.entries_added;
        changed |= !report.changed_nothing();
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} file(s): {entries} entries in {secs:.2} s ({:.0} entries/s)",
        paths.len(),
        entries as f64 / secs.max(1e-9)
    );
    (entries, changed)
}

fn counts(db: &Db) -> (i64, i64) {
    db.run(|c| {
        Ok((
            aftermath::db::incidents::count(c)?,
            aftermath::db::incidents::count_entries(c)?,
        ))
    })
    .unwrap()
}

/// A fresh store; keep the second value alive as long as the store is used.
fn fresh_db() -> (Db, (tempfile::TempDir, Option<crate::helpers::SchemaGuard>)) {
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = fresh_database(dir.path());
    (Db::connect(&url).unwrap(), (dir, schema))
}

#[test]
fn github_json_history_and_atom_snapshots_join_into_one_history() {
    let Some(root) = corpus() else { return };
    let json = files(
        &root.join("statuspage-github-incident-history/incidents"),
        "json",
    );
    let atom: Vec<PathBuf> = files(&root.join("statuspage-atom-githubstatus-history"), "atom")
        .into_iter()
        .chain(files(
            &root.join("statuspage-atom-githubstatus-history"),
            "xml",
        ))
        .collect();
    assert!(!atom.is_empty());

    let (db, _dir) = fresh_db();
    ingest_all(&db, &json, None, None);
    assert_eq!(
        counts(&db),
        (1_282, 2_801),
        "1,282 GitHub incidents with 2,801 updates"
    );
    let (_, changed) = ingest_all(&db, &json, None, None);
    assert!(!changed, "a second ingest changes nothing");
    assert_eq!(counts(&db), (1_282, 2_801));

    let (atom_db, _dir2) = fresh_db();
    ingest_all(&atom_db, &atom, None, None);
    assert_eq!(
        counts(&atom_db).0,
        819,
        "distinct incidents across the Atom snapshots"
    );

    ingest_all(&db, &atom, None, None);
    let (incidents, entries) = counts(&db);
    assert_eq!(
        incidents, 1_869,
        "the union of JSON and Atom incidents (232 in both)"
    );
    assert!(
        entries < 2_801 + counts(&atom_db).1,
        "posts seen through both formats are stored once"
    );
    let (_, changed) = ingest_all(&db, &atom, None, None);
    assert!(!changed);
}

#[test]
fn aws_datajson_history_holds_576_distinct_events() {
    let Some(root) = corpus() else { return };
    let mut paths = files(&root.join("aws-status-datajson-history"), "json");
    paths.extend(files(&root.join("aws-status-datajson"), "json"));
    let (db, _dir) = fresh_db();
    ingest_all(&db, &paths, Some(Format::AwsDatajson), None);
    assert_eq!(counts(&db).0, 576);
    let (_, changed) = ingest_all(&db, &paths, Some(Format::AwsDatajson), None);
    assert!(!changed);
}

#[test]
fn google_cloud_has_157_incidents_with_770_updates() {
    let Some(root) = corpus() else { return };
    let paths = files(&root.join("gcp-status-incidents"), "json");
    let (db, _dir) = fresh_db();
    ingest_all(&db, &paths, None, None);
    assert_eq!(counts(&db), (157, 770));
    let (_, changed) = ingest_all(&db, &paths, None, None);
    assert!(!changed);
}

#[test]
fn every_capture_and_webhook_body_ingests_without_error() {
    let Some(root) = corpus() else { return };
    let (db, _dir) = fresh_db();
    for dir in [
        "ai-cloud-status-captures",
        "statuspage-webhooks-zulip-fixtures",
    ] {
        let mut paths = files(&root.join(dir), "json");
        paths.extend(files(&root.join(dir), "xml"));
        for path in paths {
            // The file name starts with the provider, as a person would pass it with --service.
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let service = name.split(['-', '_']).next().unwrap().to_string();
            ingest_all(&db, std::slice::from_ref(&path), None, Some(&service));
            let (_, changed) = ingest_all(&db, &[path], None, Some(&service));
            assert!(!changed, "{name}: a second ingest changes nothing");
        }
    }
    assert!(counts(&db).0 >= 30);
}
