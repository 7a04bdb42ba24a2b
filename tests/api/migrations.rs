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
