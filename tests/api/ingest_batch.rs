//! Bulk ingest applies a batch of documents in one transaction and reads the batch's incidents
//! ahead: later documents must see what earlier ones stored, and a document rolled back must
//! leave nothing behind that a later one could trust.

use serde_json::{Value, json};

use aftermath::correlate::{self, IngestReport, Provenance};
use aftermath::db::Db;
use aftermath::ingest::Format;

use crate::helpers::fresh_database;

fn incident(id: &str, updates: &[(&str, &str, &str)]) -> Value {
    let updates: Vec<Value> = updates
        .iter()
        .rev()
        .map(|(uid, at, body)| {
            json!({"id": uid, "status": "investigating", "body": body, "incident_id": id,
                   "created_at": at, "updated_at": at, "display_at": at})
        })
        .collect();
    json!({"id": id, "name": format!("Incident {id}"), "status": "investigating", "impact": "minor",
           "created_at": "2026-03-01T10:00:00.000Z", "updated_at": "2026-03-01T12:00:00.000Z",
           "started_at": "2026-03-01T10:00:00.000Z", "shortlink": "https://stspg.io/x",
           "incident_updates": updates, "components": []})
}

fn page(incidents: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "page": {"id": "pg1", "name": "Acme", "url": "https://status.acme.example"},
        "incidents": incidents,
    }))
    .unwrap()
}

/// Applies the documents as one batch, the way `aftermath ingest` does.
fn batch(db: &Db, docs: &[Vec<u8>]) -> Vec<Result<IngestReport, String>> {
    let parsed: Vec<_> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let doc = correlate::parse_bytes(Some(Format::Statuspage), d).unwrap();
            (doc, None, Provenance(format!("test:{i}")))
        })
        .collect();
    correlate::apply_batch(db, &parsed)
        .unwrap()
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

fn entries(db: &Db) -> i64 {
    db.run(aftermath::db::incidents::count_entries).unwrap()
}

fn fresh() -> (Db, (tempfile::TempDir, Option<crate::helpers::SchemaGuard>)) {
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = fresh_database(dir.path());
    (Db::connect(&url).unwrap(), (dir, schema))
}

const T1: &str = "2026-03-01T10:05:00.000Z";
const T2: &str = "2026-03-01T11:05:00.000Z";

#[test]
fn later_documents_of_a_batch_see_what_earlier_ones_stored() {
    let (db, _dir) = fresh();
    let first = page(vec![incident("aaa", &[("u1", T1, "Looking into it")])]);
    let edited = page(vec![incident(
        "aaa",
        &[("u1", T1, "Looking into errors"), ("u2", T2, "Fixed")],
    )]);
    let out = batch(&db, &[first.clone(), edited.clone(), edited.clone()]);
    let out: Vec<IngestReport> = out.into_iter().map(Result::unwrap).collect();
    assert_eq!((out[0].created, out[0].entries_added), (1, 1));
    assert_eq!(
        (out[1].updated, out[1].entries_added, out[1].entries_edited),
        (1, 1, 1)
    );
    assert!(out[2].changed_nothing(), "{:?}", out[2]);
    assert_eq!(entries(&db), 2);

    // A second batch reads all of it ahead; the older snapshot's text is an earlier version.
    let again = batch(&db, &[first, edited.clone(), edited]);
    for report in again {
        let report = report.unwrap();
        assert!(report.changed_nothing(), "{report:?}");
        assert_eq!((report.entries_added, report.entries_edited), (0, 0));
    }
    assert_eq!(entries(&db), 2);
}

#[test]
fn a_document_rolled_back_in_a_batch_leaves_nothing_a_later_one_trusts() {
    let (db, _dir) = fresh();
    let first = page(vec![incident("aaa", &[("u1", T1, "Looking into it")])]);
    let both = [("u1", T1, "Looking into it"), ("u2", T2, "Fixed")];
    // Its second incident repeats an update id, which the store refuses after the first
    // incident's new update went in: the whole document rolls back.
    let broken = page(vec![
        incident("aaa", &both),
        incident("bbb", &[("dup", T1, "one"), ("dup", T2, "two")]),
    ]);
    let fixed = page(vec![incident("aaa", &both)]);
    let out = batch(&db, &[first.clone(), broken, fixed]);
    assert_eq!(out[0].as_ref().unwrap().entries_added, 1);
    assert!(out[1].is_err(), "{:?}", out[1]);
    let fixed_report = out[2].as_ref().unwrap();
    assert_eq!(
        (fixed_report.updated, fixed_report.entries_added),
        (1, 1),
        "the rolled-back update is added again"
    );
    assert_eq!(entries(&db), 2);
    assert_eq!(db.run(aftermath::db::incidents::count).unwrap(), 1);

    // The same when the first document is already stored and read ahead.
    let (db, _dir) = fresh();
    batch(&db, std::slice::from_ref(&first));
    let broken = page(vec![
        incident("aaa", &both),
        incident("bbb", &[("dup", T1, "one"), ("dup", T2, "two")]),
    ]);
    let out = batch(&db, &[broken, page(vec![incident("aaa", &both)])]);
    assert!(out[0].is_err());
    assert_eq!(out[1].as_ref().unwrap().entries_added, 1);
    assert_eq!(entries(&db), 2);
}

/// What one store holds of the batch's one incident: its version, its entries' texts, the
/// earlier texts of its entries, and its postmortem revisions.
fn stored(db: &Db) -> (i64, Vec<String>, usize, usize) {
    db.run(|conn| {
        let page = aftermath::db::incidents::list(conn, &Default::default(), 10, None)?;
        assert_eq!(page.items.len(), 1, "one incident");
        let detail = aftermath::db::incidents::get(conn, page.items[0].id)?;
        let mut earlier = 0;
        for entry in &detail.timeline {
            earlier +=
                aftermath::db::observed::previous_versions(conn, &entry.id.to_string())?.len();
        }
        let revisions = aftermath::db::postmortems::list(conn, page.items[0].id)?.len();
        let bodies = detail.timeline.iter().map(|e| e.body.clone()).collect();
        Ok((detail.incident.version, bodies, earlier, revisions))
    })
    .unwrap()
}

/// On PostgreSQL a document's new incidents are written at its end (`db::deferred`): an
/// incident the same document names again, and a provider postmortem of a new incident, must
/// find their rows stored, and leave what separate documents leave.
#[test]
fn a_document_naming_a_new_incident_twice_stores_what_two_documents_store() {
    let mut with_postmortem = incident("aaa", &[("u1", T1, "Looking into it")]);
    with_postmortem["postmortem_body"] = json!("We found the cause.");
    let edited = incident(
        "aaa",
        &[("u1", T1, "Looking into errors"), ("u2", T2, "Fixed")],
    );
    let (one, _one_dir) = fresh();
    let out = batch(&one, &[page(vec![with_postmortem.clone(), edited.clone()])]);
    let report = out[0].as_ref().unwrap();
    assert_eq!((report.created, report.updated), (1, 1), "{report:?}");
    assert_eq!(
        (report.entries_added, report.entries_edited),
        (2, 1),
        "{report:?}"
    );

    let (two, _two_dir) = fresh();
    for doc in [page(vec![with_postmortem]), page(vec![edited])] {
        batch(&two, &[doc])[0].as_ref().unwrap();
    }
    let (a, b) = (stored(&one), stored(&two));
    assert_eq!(a, b);
    assert_eq!(a.2, 1, "the first text is kept as an earlier version");
    assert_eq!(a.3, 1, "the provider's postmortem is kept once");
}
