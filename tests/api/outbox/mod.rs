//! The outbox's readers and its pruning: readers register where they are, the pruner deletes
//! only what every live reader has passed once it is older than the retention, a silent reader
//! is forgotten, one that comes back behind the pruned mark rebuilds, and the lag shows in
//! `/healthz` and `/metrics`. Both backends; the horizon test is PostgreSQL's own.

use std::time::Duration;

use aftermath::db::Db;
use aftermath::db::outbox::{self, Entity, Operation, Position};

mod horizon;
mod prune;
mod rebuild;

/// A migrated database of its own, with no server on it: nothing else reads its outbox.
fn quiet_database() -> (Db, tempfile::TempDir, Option<crate::helpers::SchemaGuard>) {
    let dir = tempfile::tempdir().unwrap();
    let (url, guard) = crate::helpers::fresh_database(dir.path());
    (Db::connect(&url).unwrap(), dir, guard)
}

/// One outbox row, in a transaction of its own.
fn announce(db: &Db, id: &str) {
    db.write(|c| outbox::append(c, Entity::Incident, id, Operation::Upsert))
        .unwrap();
}

/// The positions of every row a reader from the start can take, once there are `n` (on
/// PostgreSQL, transactions of tests beside this one can hold the horizon back a while).
async fn readable_positions(db: &Db, n: usize) -> Vec<Position> {
    crate::instances::eventually(Duration::from_secs(90), "rows readable", || async {
        let tail = db
            .run(|c| outbox::tail(c, Position::default(), 1000))
            .unwrap();
        (tail.rows.len() >= n).then(|| tail.rows.iter().map(|(p, _)| *p).collect())
    })
    .await
}

/// Rows in the outbox.
fn outbox_rows(db: &Db) -> i64 {
    db.run(outbox::row_count).unwrap()
}
