//! What pruning deletes, keeps and forgets: the function itself, then the job in a server.

use std::time::Duration;

use aftermath::db::outbox::{self, Position};
use aftermath::db::replicas;
use chrono::Utc;
use serde_json::json;

use super::{announce, outbox_rows, quiet_database, readable_positions};
use crate::helpers::spawn_app_with;
use crate::instances::eventually;

#[actix_web::test]
async fn prune_deletes_what_every_live_reader_passed_and_forgets_silent_readers() {
    let (db, _dir, _guard) = quiet_database();
    for i in 0..5 {
        announce(&db, &format!("incident-{i}"));
    }
    let pos = readable_positions(&db, 5).await;
    // A minute from now every row is older than the retention; both readers beat then.
    let later = Utc::now() + chrono::Duration::minutes(1);
    let retention = Duration::from_secs(10);
    db.write(|c| replicas::beat(c, "slow", "notifications", "h1", pos[1], later))
        .unwrap();
    db.write(|c| replicas::beat(c, "fast", replicas::INDEX, "h2", pos[4], later))
        .unwrap();

    // Passed, but younger than the retention: kept.
    let now = db
        .run(|c| outbox::prune(c, Duration::from_secs(3600), Utc::now()))
        .unwrap();
    assert_eq!((now.rows, now.forgotten.len()), (0, 0));

    // The slow reader holds back everything after its position.
    let pruned = db.run(|c| outbox::prune(c, retention, later)).unwrap();
    assert_eq!(pruned.rows, 2, "{pruned:?}");
    assert!(pruned.forgotten.is_empty());
    assert_eq!(pruned.through, pos[1]);
    let left = readable_positions(&db, 3).await;
    assert_eq!(left, pos[2..].to_vec());
    // A reader still before the mark is told it missed rows; one at the mark is not.
    let tail = |after: Position| db.run(|c| outbox::tail(c, after, 10)).unwrap();
    assert_eq!(tail(pos[0]).pruned_past, Some(pos[1]));
    assert_eq!(tail(pos[1]).pruned_past, None);

    // The slow reader falls silent: forgotten, it no longer holds anything back.
    db.write(|c| replicas::beat(c, "slow", "notifications", "h1", pos[1], Utc::now()))
        .unwrap();
    let pruned = db.run(|c| outbox::prune(c, retention, later)).unwrap();
    let forgotten: Vec<_> = pruned.forgotten.iter().map(|r| r.id.as_str()).collect();
    assert_eq!((pruned.rows, forgotten), (3, vec!["slow"]));
    assert_eq!(pruned.through, pos[4]);
    assert_eq!(outbox_rows(&db), 0);
    let ids: Vec<_> = db
        .run(replicas::list)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["fast"]);
    // A reader starting now starts past every pruned row, even with the outbox empty.
    assert!(db.run(outbox::start_position).unwrap() >= pos[4]);
}

#[actix_web::test]
async fn lag_counts_the_rows_after_a_position_and_dates_the_oldest() {
    let (db, _dir, _guard) = quiet_database();
    let before = Utc::now() - chrono::Duration::seconds(1);
    for i in 0..3 {
        announce(&db, &format!("incident-{i}"));
    }
    let pos = readable_positions(&db, 3).await;
    let lag = db.run(|c| outbox::lag(c, pos[0])).unwrap();
    assert_eq!(lag.behind_rows, 2);
    assert!(lag.oldest.is_some_and(|t| t >= before), "{lag:?}");
    assert!(lag.seconds(Utc::now() + chrono::Duration::seconds(10)) >= 10.0);
    let caught_up = db.run(|c| outbox::lag(c, pos[2])).unwrap();
    assert_eq!((caught_up.behind_rows, caught_up.oldest), (0, None));
    assert_eq!(caught_up.seconds(Utc::now()), 0.0);
}

/// In a server with a retention of two seconds: the job prunes up to a reader that lags, keeps
/// what it has not passed, and once that reader falls silent, prunes the rest.
#[actix_web::test]
async fn the_pruning_job_holds_back_for_a_live_reader_and_not_for_a_silent_one() {
    let app = spawn_app_with(|c| c.outbox_retention = Duration::from_secs(2)).await;
    app.create_incident(json!({"title": "Alpha cache outage", "services": ["cache"]}))
        .await;
    app.search(&[("q", "alpha")]).await;
    // Past every row written so far (they may already be pruned), before any written later.
    let mid = app.db.run(outbox::start_position).unwrap();
    // A reader (notifications, say) at `mid`, alive for the next hour.
    let alive = Utc::now() + chrono::Duration::hours(1);
    app.db
        .write(|c| replicas::beat(c, "notifier", "notifications", "h", mid, alive))
        .unwrap();
    app.create_incident(json!({"title": "Bravo DNS outage", "services": ["dns"]}))
        .await;
    app.search(&[("q", "bravo")]).await;
    let held = app.db.run(|c| outbox::lag(c, mid)).unwrap().behind_rows;
    assert!(held > 0);
    eventually(
        Duration::from_secs(90),
        "pruned up to the reader",
        || async { (outbox_rows(&app.db) == held).then_some(()) },
    )
    .await;
    assert_eq!(
        app.db.run(|c| outbox::lag(c, mid)).unwrap().behind_rows,
        held
    );

    // Silent for an hour: forgotten at the next pass, and the rest goes.
    let silent = Utc::now() - chrono::Duration::hours(1);
    app.db
        .write(|c| replicas::beat(c, "notifier", "notifications", "h", mid, silent))
        .unwrap();
    eventually(Duration::from_secs(90), "the outbox emptied", || async {
        (outbox_rows(&app.db) == 0).then_some(())
    })
    .await;
    let kinds: Vec<_> = app.db.run(replicas::list).unwrap();
    let kinds: Vec<_> = kinds.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [replicas::INDEX],
        "only the server's own index is left"
    );
    // Everything is still found: nothing went before the index had applied it.
    assert_eq!(app.search(&[("q", "bravo")]).await["total"], 1);
    assert_eq!(app.search(&[("q", "alpha")]).await["total"], 1);
}
