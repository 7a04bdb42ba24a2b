//! Postmortems out from the command line: one draft to a file, or every incident's to a folder.

use super::aftermath;
use crate::helpers::fresh_database;

#[test]
fn postmortem_writes_the_draft_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let db = aftermath::db::Db::connect(&url).unwrap();
    aftermath::demo::load(&db).unwrap();
    let id = db
        .run(|c| aftermath::db::incidents::list(c, &Default::default(), 1, None))
        .unwrap()
        .items[0]
        .id
        .to_string();
    let out_file = dir.path().join("pm.md");
    let out = aftermath()
        .args([
            "--database-url",
            &url,
            "postmortem",
            &id,
            "--out",
            out_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(text.contains("## Timeline") && text.contains("# Postmortem: "));
    let missing = aftermath()
        .args([
            "--database-url",
            &url,
            "postmortem",
            &uuid::Uuid::now_v7().to_string(),
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no incident with id"));
}

#[test]
fn export_postmortems_writes_a_file_per_incident_and_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let db = aftermath::db::Db::connect(&url).unwrap();
    aftermath::demo::load(&db).unwrap();
    // Same title, same day, created together: each still gets its own file.
    for _ in 0..3 {
        let new = crate::helpers::manual_incident("Incident with Actions", "forge");
        db.write(|c| aftermath::db::incidents::create(c, &new))
            .unwrap();
    }
    let incidents = db.run(aftermath::db::incidents::count).unwrap() as usize;
    let out_dir = dir.path().join("export");
    let out = aftermath()
        .args([
            "--database-url",
            &url,
            "export",
            "postmortems",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), incidents + 1);
    let index = std::fs::read_to_string(out_dir.join("index.md")).unwrap();
    assert_eq!(
        index.lines().filter(|l| l.starts_with("| 20")).count(),
        incidents
    );
    let one = files
        .iter()
        .find(|p| p.to_string_lossy().contains("increased-error-rates"))
        .unwrap();
    let text = std::fs::read_to_string(one).unwrap();
    assert!(
        text.starts_with("---\ntitle: ")
            && text.contains("\nresolvedWhen: \"2025-10-20T20:58:00Z\"\n"),
        "{text}"
    );
    assert_eq!(
        db.run(|c| aftermath::db::postmortems::latest(
            c,
            "00000000-0000-7000-8000-000000000000".parse().unwrap()
        ))
        .unwrap(),
        None
    );
    let saved: i64 = db
        .run(|c| {
            use diesel::prelude::*;
            Ok(aftermath::db::schema::postmortems::table
                .count()
                .get_result(c)?)
        })
        .unwrap();
    assert_eq!(saved, 0, "exporting writes nothing to the store");
}
