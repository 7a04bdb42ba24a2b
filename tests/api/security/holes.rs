//! Smaller holes: work a stranger can make the server do while holding what others need.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

/// On SQLite one writer at a time holds the write lock; an anonymous read must never queue for
/// it (it used to: every GET of a postmortem ran in a write transaction).
#[actix_web::test]
async fn reading_a_postmortem_that_exists_takes_no_write_lock() {
    use diesel::{Connection, RunQueryDsl};
    let app = spawn_app().await;
    let Some(path) = app.database_url.strip_prefix("sqlite://") else {
        return; // PostgreSQL has no store-wide write lock.
    };
    let incident = app
        .create_incident(json!({"title": "Outage", "services": ["api"]}))
        .await;
    let url = format!(
        "/api/v1/incidents/{}/postmortem",
        incident["id"].as_str().unwrap()
    );
    assert_eq!(
        app.get(&url).await.status(),
        StatusCode::OK,
        "the first read drafts it"
    );
    // Another writer holds the lock for as long as the read takes.
    let mut writer = diesel::SqliteConnection::establish(path).unwrap();
    diesel::sql_query("BEGIN IMMEDIATE")
        .execute(&mut writer)
        .unwrap();
    let res = app
        .client
        .get(app.url(&url))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await;
    diesel::sql_query("ROLLBACK").execute(&mut writer).unwrap();
    assert_eq!(
        res.expect("answered while the lock was held").status(),
        StatusCode::OK
    );
}

/// "202 means durable" must hold through a power cut, not only a crash: the report writer's
/// connection syncs the log at every commit.
#[test]
fn the_report_writer_syncs_every_commit() {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Integer;
    #[derive(diesel::QueryableByName)]
    struct Sync {
        #[diesel(sql_type = Integer)]
        synchronous: i32,
    }
    let dir = tempfile::tempdir().unwrap();
    let db = aftermath::db::Db::connect(&format!("sqlite://{}", dir.path().join("a.db").display()))
        .unwrap();
    let aftermath::db::DbConn::Sqlite(mut conn) = db.durable_writer().unwrap() else {
        unreachable!("a sqlite URL gives a SQLite connection")
    };
    let mode: Sync = diesel::sql_query("PRAGMA synchronous")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(mode.synchronous, 2, "FULL");
}
