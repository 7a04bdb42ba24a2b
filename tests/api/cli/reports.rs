//! The CLI's report formats, run as a real process: `ingest --format services` and
//! `ingest --format reports-jsonl` (spikes, incidents and links exist when it returns).

use std::process::Command;

use crate::helpers::fresh_database;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cascade");

fn aftermath(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aftermath"));
    cmd.env_remove("AFTERMATH_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args(["--database-url", url]);
    cmd
}

#[test]
fn the_cli_ingests_a_catalog_and_reports_and_leaves_the_cascade_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let out = aftermath(&url)
        .args([
            "ingest",
            "--format",
            "services",
            &format!("{FIXTURES}/catalog.toml"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("services: 6 created"));
    // Without --format: the .jsonl extension says what it is.
    let out = aftermath(&url)
        .args(["ingest", &format!("{FIXTURES}/reports.jsonl")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains("reports-jsonl:") && stdout.contains("5 incidents"),
        "{stdout}"
    );

    let db = aftermath::db::Db::connect(&url).unwrap();
    let spikes = db
        .run(|c| aftermath::db::spikes::spikes_of_service(c, "snapgram"))
        .unwrap();
    assert_eq!(spikes.len(), 1);
    let id = spikes[0].incident_id.clone().unwrap().parse().unwrap();
    let detail = db.run(|c| aftermath::db::incidents::get(c, id)).unwrap();
    assert_eq!(detail.links.len(), 1, "{:?}", detail.links);
    assert_eq!(detail.links[0].kind.as_str(), "upstream");
}

#[test]
fn a_bad_line_is_named_with_its_file_and_nothing_of_that_file_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(
        &catalog,
        "[[service]]\nslug = \"snapgram\"\nname = \"Snapgram\"\nkind = \"application\"\n",
    )
    .unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::write(
        &good,
        "{\"service\":\"snapgram\",\"reported_at\":\"2025-01-01T00:00:00Z\",\"reporter\":\"a\"}\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"service\":\"snapgram\",\"reported_at\":\"2025-01-01T00:00:00Z\",\"reporter\":\"b\"}\n{\"service\":\"snapgram\",\"reported_at\":\"2999-01-01T00:00:00Z\",\"reporter\":\"c\"}\n",
    )
    .unwrap();
    let out = aftermath(&url)
        .args(["ingest", "--format", "services"])
        .arg(&catalog)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = aftermath(&url)
        .args(["ingest", "--format", "reports-jsonl"])
        .arg(&bad)
        .arg(&good)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:2: reported_at: must not be in the future",
            bad.display()
        )),
        "{stderr}"
    );
    let db = aftermath::db::Db::connect(&url).unwrap();
    assert_eq!(
        db.run(aftermath::db::reports::totals).unwrap(),
        (1, 1),
        "only the good file was stored"
    );
}
