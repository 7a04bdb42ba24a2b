//! Leases on due sources (`poll_state::claim`): a claimed source is not claimed again until its
//! lease runs out or its outcome is recorded, on both backends. Times are passed in, so a lease
//! "runs out" without waiting for it.

use aftermath::db::{Db, poll_state};
use chrono::{DateTime, TimeDelta, Utc};

use super::add_source;
use crate::helpers::spawn_app;

const LEASE: TimeDelta = TimeDelta::seconds(120);

fn claim(db: &Db, owner: &str, at: DateTime<Utc>) -> Vec<String> {
    db.write(|conn| poll_state::claim(conn, owner, at, at + LEASE, 100))
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect()
}

#[actix_web::test]
async fn a_leased_source_is_claimed_once_until_its_lease_runs_out() {
    let app = spawn_app().await;
    let first = add_source(&app, "https://status.example.com/a".into());
    let second = add_source(&app, "https://status.example.com/b".into());
    let now = Utc::now();
    assert_eq!(claim(&app.db, "a", now), [first.clone(), second.clone()]);
    assert!(claim(&app.db, "b", now).is_empty(), "held by a");
    let almost = now + LEASE - TimeDelta::seconds(1);
    assert!(claim(&app.db, "b", almost).is_empty(), "still held by a");
    // Instance a crashed: its leases run out, and b takes both sources.
    let later = now + LEASE + TimeDelta::seconds(1);
    assert_eq!(claim(&app.db, "b", later), [first, second]);
}

#[actix_web::test]
async fn recording_an_outcome_or_releasing_frees_the_source() {
    let app = spawn_app().await;
    let recorded = add_source(&app, "https://status.example.com/a".into());
    let released = add_source(&app, "https://status.example.com/b".into());
    let now = Utc::now();
    assert_eq!(claim(&app.db, "a", now).len(), 2);
    // A 304 recorded with the next poll due at once: claimable again, by anyone.
    app.db
        .write(|conn| poll_state::record_not_modified(conn, &recorded, now))
        .unwrap();
    assert_eq!(claim(&app.db, "b", now), [recorded]);
    // A stopping instance gives back what it holds; another's leases stay.
    let given_back = app
        .db
        .write(|conn| poll_state::release_held(conn, "a"))
        .unwrap();
    assert_eq!(given_back, 1);
    assert_eq!(claim(&app.db, "c", now), [released]);
}

#[actix_web::test]
async fn a_claim_takes_at_most_its_batch_and_only_due_sources() {
    let app = spawn_app().await;
    let ids: Vec<String> = (0..3)
        .map(|i| add_source(&app, format!("https://status.example.com/{i}")))
        .collect();
    let now = Utc::now();
    let later = now + TimeDelta::hours(1);
    app.db
        .write(|conn| poll_state::schedule(conn, &ids[2], later))
        .unwrap();
    let batch = app
        .db
        .write(|conn| poll_state::claim(conn, "a", now, now + LEASE, 1))
        .unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].id, ids[0]);
    assert_eq!(claim(&app.db, "b", now), [ids[1].clone()], "not yet due");
}
