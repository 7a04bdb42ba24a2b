//! `export --format jsonl` and `import` move a whole store between backends losslessly.
//! On SQLite the round trip is SQLite → SQLite; in the PostgreSQL lane it is SQLite →
//! PostgreSQL → SQLite and PostgreSQL → SQLite → PostgreSQL.

use aftermath::correlate::{self, Provenance};
use aftermath::db::{Db, dump};
use aftermath::domain::ServiceSlug;

use crate::helpers::fresh_database;

/// A store with a bit of everything: demo incidents, ingested documents (with provenance and an
/// edited post), a postmortem revision, a token and its line in the audit log.
fn filled(db: &Db) {
    aftermath::demo::load(db).unwrap();
    let acme = ServiceSlug::parse("s", "acme").unwrap();
    for path in [
        "gcp/incidents.json",
        "atom/history.atom",
        "statuspage/summary.json",
    ] {
        let bytes =
            std::fs::read(format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        correlate::ingest_bytes(db, None, Some(&acme), &bytes, &Provenance(path.into())).unwrap();
    }
    let id = db
        .run(|c| aftermath::db::incidents::list(c, &Default::default(), 1, None))
        .unwrap()
        .items[0]
        .id;
    db.write(|c| {
        aftermath::db::postmortems::append(
            c,
            id,
            "# Ours\n\nWith *emphasis* and 2025-10-20 07:11:00.123456.",
            "tester",
            aftermath::db::postmortems::Visibility::Published,
            aftermath::db::postmortems::Authorship::Person,
        )
    })
    .unwrap();
    // Created through the audited path, so the audit log moves too.
    db.write(|c| {
        aftermath::db::tokens::create_by(
            c,
            "cli:mover",
            "mover",
            aftermath::db::tokens::Scope::Admin,
        )
    })
    .unwrap();
    // User reports with a spike: reports, dedup keys, buckets, spike rows and state.
    let mut lines = String::new();
    let t0 = chrono::DateTime::parse_from_rfc3339("2025-01-01T10:00:00Z").unwrap();
    for minute in 0..70 {
        for n in 0..if minute >= 62 { 20 } else { 1 } {
            let at = t0 + chrono::Duration::minutes(minute) + chrono::Duration::seconds(n);
            lines.push_str(&format!(
                "{{\"service\":\"acme\",\"reported_at\":\"{}\",\"reporter\":\"m{minute}-{n}\",\"comment\":\"down {n}\"}}\n",
                at.to_rfc3339()
            ));
        }
    }
    correlate::reports::backfill(db, lines.as_bytes(), chrono::Utc::now()).unwrap();
    let spikes = db
        .run(|c| aftermath::db::spikes::spikes_of_service(c, "acme"))
        .unwrap();
    assert_eq!(spikes.len(), 1, "the store has a spike to move");
}

fn export_lines(db: &Db) -> Vec<String> {
    let mut out = Vec::new();
    db.run(|c| dump::export(c, &mut out, dump::Secrets::Include))
        .unwrap();
    let mut lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn sqlite_db(dir: &std::path::Path, name: &str) -> Db {
    Db::connect(&format!("sqlite://{}", dir.join(name).display())).unwrap()
}

fn other_db(dir: &std::path::Path) -> (Db, Option<crate::helpers::SchemaGuard>) {
    let (url, schema) = fresh_database(dir);
    (Db::connect(&url).unwrap(), schema)
}

fn copy(from: &Db, to: &Db) {
    let mut bytes = Vec::new();
    from.run(|c| dump::export(c, &mut bytes, dump::Secrets::Include))
        .unwrap();
    to.write(|c| dump::import(c, std::io::Cursor::new(bytes)))
        .unwrap();
}

#[test]
fn a_store_moves_to_the_other_backend_and_back_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_db(dir.path(), "source.db");
    filled(&source);
    let original = export_lines(&source);
    assert!(original.len() > 100);

    let (middle, _g1) = other_db(&dir.path().join("pg1"));
    copy(&source, &middle);
    assert_eq!(
        export_lines(&middle),
        original,
        "SQLite → {}",
        crate::helpers::backend_name()
    );

    let back = sqlite_db(dir.path(), "back.db");
    copy(&middle, &back);
    assert_eq!(export_lines(&back), original, "and back to SQLite");

    // The other direction: start on the lane's backend.
    let (start, _g2) = other_db(&dir.path().join("pg2"));
    filled(&start);
    let from_start = export_lines(&start);
    let via_sqlite = sqlite_db(dir.path(), "via.db");
    copy(&start, &via_sqlite);
    let (end, _g3) = other_db(&dir.path().join("pg3"));
    copy(&via_sqlite, &end);
    assert_eq!(export_lines(&end), from_start);
    // The index is told about every imported incident.
    let announced = end
        .run(|c| aftermath::db::outbox::read_after(c, 0, 100_000))
        .unwrap()
        .len() as i64;
    assert_eq!(announced, end.run(aftermath::db::incidents::count).unwrap());
}

#[test]
fn an_import_is_all_or_nothing_and_only_into_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_db(dir.path(), "source.db");
    filled(&source);
    let mut bytes = Vec::new();
    source
        .run(|c| dump::export(c, &mut bytes, dump::Secrets::Include))
        .unwrap();

    let (target, _g4) = other_db(dir.path());
    let mut broken = bytes.clone();
    broken.extend_from_slice(b"{\"table\": \"incidents\", \"row\": {\"id\": 5}}\n");
    let err = target
        .write(|c| dump::import(c, std::io::Cursor::new(broken)))
        .unwrap_err()
        .to_string();
    let last_line = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    assert!(err.contains(&format!("line {last_line}")), "{err}");
    assert_eq!(
        target.run(aftermath::db::incidents::count).unwrap(),
        0,
        "nothing was half-applied"
    );

    let err = target
        .write(|c| dump::import(c, std::io::Cursor::new(b"not json\n".to_vec())))
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1"), "{err}");
    target
        .write(|c| dump::import(c, std::io::Cursor::new(bytes.clone())))
        .unwrap();
    let err = target
        .write(|c| dump::import(c, std::io::Cursor::new(bytes)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not empty"), "{err}");
}
