//! `TestApp::snapshot()` is what "this changed nothing" means in the other tests, so it counts
//! every table there is: the ones `src/db/schema.rs` declares, and the ones the migrations
//! create. A table added to either and not to the snapshot fails here.

use std::collections::BTreeSet;

use aftermath::db::DbConn;
use diesel::RunQueryDsl;
use diesel::sql_types::Text;

use crate::helpers::spawn_app;

/// The names in `diesel::table! { name (key) { ... } }` blocks, read from the source text.
fn tables_declared_in_schema_rs() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/schema.rs");
    let text = std::fs::read_to_string(path).unwrap();
    text.split("table! {")
        .skip(1)
        .map(|block| {
            block
                .trim_start()
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[derive(diesel::QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[actix_web::test]
async fn the_snapshot_counts_every_table_the_schema_declares() {
    let app = spawn_app().await;
    let declared = tables_declared_in_schema_rs();
    assert!(declared.len() >= 19, "the schema was read: {declared:?}");
    let counted: BTreeSet<String> = app
        .snapshot()
        .tables()
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(counted, declared);
}

#[actix_web::test]
async fn the_snapshot_counts_every_table_the_migrations_create() {
    let app = spawn_app().await;
    let created: BTreeSet<String> = app
        .db
        .run(|conn| {
            let rows: Vec<TableName> = match conn {
                DbConn::Sqlite(c) => diesel::sql_query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .load(c)?,
                DbConn::Postgres(c) => diesel::sql_query(
                    "SELECT table_name::text AS name FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .load(c)?,
            };
            Ok(rows.into_iter().map(|r| r.name).collect())
        })
        .unwrap();
    let created: BTreeSet<String> = created
        .into_iter()
        .filter(|name| name != "__diesel_schema_migrations")
        .collect();
    let counted: BTreeSet<String> = app
        .snapshot()
        .tables()
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(counted, created);
}
