//! PostgreSQL's horizon: a long transaction elsewhere holds committed rows back, and the
//! store names the backend holding it.

use std::time::Duration;

use aftermath::db::outbox;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};

use super::{announce, quiet_database};
use crate::instances::eventually;

#[derive(diesel::QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

#[actix_web::test]
async fn a_transaction_left_open_holds_rows_back_and_is_named_as_the_holder() {
    let Ok(base) = std::env::var("AFTERMATH_TEST_DATABASE_URL") else {
        return;
    };
    let (db, _dir, _guard) = quiet_database();
    // A session that began a transaction and went quiet, as a long backfill or a forgotten
    // `BEGIN` in psql would.
    let mut other = PgConnection::establish(&base).unwrap();
    other
        .batch_execute("BEGIN; SELECT pg_current_xact_id();")
        .unwrap();
    let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(&mut other)
        .unwrap()
        .pid;
    announce(&db, "incident-1");
    let held = db.run(outbox::held_back).unwrap().expect("held back");
    assert_eq!(held.rows, 1);
    // Tests beside this one may hold an older transaction for a moment.
    let holder = eventually(Duration::from_secs(90), "named as the holder", || async {
        db.run(outbox::holder).unwrap().filter(|h| h.pid == pid)
    })
    .await;
    assert_eq!(holder.state.as_deref(), Some("idle in transaction"));
    assert!(holder.datname.is_some() && holder.xact_age_seconds.is_some());
    assert!(holder.query_start.is_some());

    other.batch_execute("ROLLBACK").unwrap();
    eventually(Duration::from_secs(90), "released", || async {
        db.run(outbox::held_back).unwrap().is_none().then_some(())
    })
    .await;
}

#[actix_web::test]
async fn sqlite_has_no_horizon_to_hold() {
    if crate::helpers::backend_name() != "sqlite" {
        return;
    }
    let (db, _dir, _guard) = quiet_database();
    announce(&db, "incident-1");
    assert_eq!(db.run(outbox::held_back).unwrap(), None);
    assert_eq!(db.run(outbox::holder).unwrap(), None);
}
