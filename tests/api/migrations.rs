//! Both migration sets stay in step, and every table the code knows exists after migrating.

use aftermath::db::migration_names;

use crate::helpers::spawn_app;

#[test]
fn sqlite_and_postgres_have_the_same_migration_names() {
    let (sqlite, postgres) = migration_names().unwrap();
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}

#[actix_web::test]
async fn every_table_and_column_in_the_schema_exists_after_migrating() {
    let app = spawn_app().await;
    // Selecting every column of every table fails if any is missing or misnamed.
    app.db
        .run(|conn| {
            use aftermath::db::schema::*;
            use diesel::prelude::*;
            services::table.select(services::all_columns).load::<(
                String,
                String,
                Option<String>,
                Option<String>,
                String,
                String,
                Option<String>,
                chrono::NaiveDateTime,
                chrono::NaiveDateTime,
            )>(conn)?;
            sources::table.select(sources::id).load::<String>(conn)?;
            sources::table
                .select(sources::all_columns)
                .limit(0)
                .execute(conn)?;
            incidents::table
                .select(incidents::all_columns)
                .limit(0)
                .execute(conn)?;
            incident_services::table
                .select(incident_services::all_columns)
                .limit(0)
                .execute(conn)?;
            timeline_entries::table
                .select(timeline_entries::all_columns)
                .limit(0)
                .execute(conn)?;
            incident_links::table
                .select(incident_links::all_columns)
                .limit(0)
                .execute(conn)?;
            outbox::table
                .select(outbox::all_columns)
                .limit(0)
                .execute(conn)?;
            api_tokens::table
                .select(api_tokens::all_columns)
                .limit(0)
                .execute(conn)?;
            app_secrets::table
                .select(app_secrets::all_columns)
                .limit(0)
                .execute(conn)?;
            Ok(())
        })
        .unwrap();
}

#[actix_web::test]
async fn migrating_again_applies_nothing() {
    let app = spawn_app().await;
    let url = aftermath::db::DatabaseUrl::parse(&app.database_url).unwrap();
    assert_eq!(aftermath::db::run_migrations(&url).unwrap(), 0);
}

/// An incident row and its posts as the release before maintenances wrote them: no `kind`, no
/// window, the maintenance's words only in its posts' statuses.
fn old_incident(id: &str, title: &str, post_statuses: &[&str]) -> String {
    let mut sql = format!(
        "INSERT INTO incidents (id, title, status, impact, origin, started_at, status_as_of, \
         created_at, updated_at) VALUES ('{id}', '{title}', 'resolved', 'none', 'status_page', \
         '2026-02-14 03:00:00', '2026-02-14 04:00:00', '2026-02-09 10:00:00', \
         '2026-02-14 04:00:00');\n"
    );
    for (n, status) in post_statuses.iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO timeline_entries (id, incident_id, occurred_at, recorded_at, kind, \
             source, status, body) VALUES ('{id}-{n}', '{id}', '2026-02-14 0{n}:00:00', \
             '2026-02-14 0{n}:00:00', 'status_update', 'statuspage', '{status}', 'post {n}');\n"
        ));
    }
    sql
}

#[test]
fn the_maintenances_migration_reclassifies_maintenances_stored_as_incidents() {
    use aftermath::db::{DatabaseUrl, DbConn, migrate_until, run_migrations, schema::incidents};
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = crate::helpers::fresh_database(dir.path());
    let url = DatabaseUrl::parse(&url).unwrap();
    assert!(migrate_until(&url, "2026-12-07-000011_maintenances").unwrap() > 0);
    let old = [
        old_incident(
            "00000000-0000-7000-8000-000000000001",
            "Database failover drill",
            &["scheduled", "in_progress", "completed"],
        ),
        // A feed's labels, as the Atom and RSS parsers stored them.
        old_incident(
            "00000000-0000-7000-8000-000000000002",
            "Router firmware",
            &["In progress", "Completed"],
        ),
        old_incident(
            "00000000-0000-7000-8000-000000000003",
            "Login errors",
            &["investigating", "resolved"],
        ),
    ]
    .concat();
    let mut conn = url.establish().unwrap();
    match &mut conn {
        DbConn::Sqlite(c) => c.batch_execute(&old).unwrap(),
        DbConn::Postgres(c) => c.batch_execute(&old).unwrap(),
    }
    drop(conn);

    assert!(run_migrations(&url).unwrap() > 0);
    let mut conn = url.establish().unwrap();
    let kinds: Vec<(String, String)> = incidents::table
        .select((incidents::title, incidents::kind))
        .order(incidents::id)
        .load(&mut conn)
        .unwrap();
    let expected = [
        ("Database failover drill", "maintenance"),
        ("Router firmware", "maintenance"),
        ("Login errors", "incident"),
    ]
    .map(|(t, k)| (t.to_string(), k.to_string()));
    assert_eq!(kinds, expected);
}
