//! The alternatives a user would reach for, on the same corpus and the same query mix: SQLite
//! FTS5 (bm25) and PostgreSQL full-text search (a GIN-indexed tsvector and `ts_rank`, as Netflix
//! Dispatch does). Each is built the way one would without a search engine: one row per
//! timeline entry, the incident's title with it. Each query asks for the top 10 and the count.

use std::path::Path;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, SqliteConnection};

use super::queries::BenchQuery;
use crate::db::{Db, search_docs};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Reads every incident once, as (title, all texts, service, started_at as RFC 3339).
fn each_document(
    db: &Db,
    mut f: impl FnMut(i64, &str, &str, &str, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut after: Option<String> = None;
    let mut n = 0i64;
    loop {
        let page = db.run(|c| search_docs::page_after(c, after.as_deref(), 1000))?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.to_string());
        for i in &page {
            n += 1;
            let service = i.services.first().map(String::as_str).unwrap_or("");
            f(
                n,
                &i.title,
                &i.texts.join("\n"),
                service,
                &i.started_at.to_rfc3339(),
            )?;
        }
    }
    Ok(())
}

pub struct Built<C> {
    pub conn: C,
    pub seconds: f64,
}

/// An FTS5 table over the store's documents, in its own SQLite file.
pub fn build_fts5(db: &Db, dir: &Path) -> anyhow::Result<Built<SqliteConnection>> {
    let path = dir.join("fts5.db");
    let _ = std::fs::remove_file(&path);
    let mut conn = SqliteConnection::establish(&path.display().to_string())?;
    let started = Instant::now();
    conn.batch_execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter unicode61 remove_diacritics 2');
         CREATE TABLE meta (id INTEGER PRIMARY KEY, service TEXT NOT NULL, started_at TEXT NOT NULL);
         CREATE INDEX meta_service ON meta (service);
         BEGIN;",
    )?;
    each_document(db, |id, title, body, service, started| {
        diesel::sql_query("INSERT INTO docs (rowid, title, body) VALUES (?, ?, ?)")
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(title)
            .bind::<Text, _>(body)
            .execute(&mut conn)?;
        diesel::sql_query("INSERT INTO meta (id, service, started_at) VALUES (?, ?, ?)")
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(service)
            .bind::<Text, _>(started)
            .execute(&mut conn)?;
        Ok(())
    })?;
    conn.batch_execute("COMMIT;")?;
    Ok(Built {
        conn,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Runs one query on FTS5: the top 10 by bm25, and the count.
pub fn query_fts5(conn: &mut SqliteConnection, q: &BenchQuery) -> anyhow::Result<usize> {
    let matched = q.fts5_match();
    let (filter, service) = match &q.service {
        Some(s) => ("AND meta.service = ?", s.clone()),
        None => ("AND ? = ''", String::new()),
    };
    let (since, until) = q.range_text();
    let sql_top = format!(
        "SELECT docs.rowid AS id FROM docs JOIN meta ON meta.id = docs.rowid \
         WHERE docs MATCH ? {filter} AND meta.started_at >= ? AND meta.started_at < ? \
         ORDER BY bm25(docs) LIMIT 10"
    );
    let top: Vec<Id> = diesel::sql_query(sql_top)
        .bind::<Text, _>(&matched)
        .bind::<Text, _>(&service)
        .bind::<Text, _>(&since)
        .bind::<Text, _>(&until)
        .load(conn)?;
    let sql_count = format!(
        "SELECT count(*) AS n FROM docs JOIN meta ON meta.id = docs.rowid \
         WHERE docs MATCH ? {filter} AND meta.started_at >= ? AND meta.started_at < ?"
    );
    let total: Total = diesel::sql_query(sql_count)
        .bind::<Text, _>(&matched)
        .bind::<Text, _>(&service)
        .bind::<Text, _>(&since)
        .bind::<Text, _>(&until)
        .get_result(conn)?;
    Ok(top
        .iter()
        .filter(|r| r.id > 0)
        .count()
        .max(total.n as usize))
}

/// A GIN-indexed tsvector table in the bench's PostgreSQL schema.
pub fn build_postgres(db: &Db, url: &str) -> anyhow::Result<Built<PgConnection>> {
    let mut conn = PgConnection::establish(url)?;
    let started = Instant::now();
    conn.batch_execute(
        "DROP TABLE IF EXISTS bench_fts;
         CREATE TABLE bench_fts (id BIGINT PRIMARY KEY, service TEXT NOT NULL,
             started_at TIMESTAMPTZ NOT NULL, doc TSVECTOR NOT NULL);
         BEGIN;",
    )?;
    each_document(db, |id, title, body, service, started| {
        diesel::sql_query(
            "INSERT INTO bench_fts (id, service, started_at, doc) VALUES \
             ($1, $2, $3::timestamptz, setweight(to_tsvector('english', $4), 'A') || to_tsvector('english', $5))",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(service)
        .bind::<Text, _>(started)
        .bind::<Text, _>(title)
        .bind::<Text, _>(body)
        .execute(&mut conn)?;
        Ok(())
    })?;
    conn.batch_execute(
        "COMMIT; CREATE INDEX bench_fts_doc ON bench_fts USING GIN (doc);
         CREATE INDEX bench_fts_service ON bench_fts (service); ANALYZE bench_fts;",
    )?;
    Ok(Built {
        conn,
        seconds: started.elapsed().as_secs_f64(),
    })
}

pub fn query_postgres(conn: &mut PgConnection, q: &BenchQuery) -> anyhow::Result<usize> {
    let (since, until) = q.range_text();
    let service = q.service.clone().unwrap_or_default();
    let filter = "($2 = '' OR service = $2) AND started_at >= $3::timestamptz AND started_at < $4::timestamptz";
    let top: Vec<Id> = diesel::sql_query(format!(
        "SELECT id FROM bench_fts, websearch_to_tsquery('english', $1) q \
         WHERE doc @@ q AND {filter} ORDER BY ts_rank(doc, q) DESC LIMIT 10"
    ))
    .bind::<Text, _>(q.websearch())
    .bind::<Text, _>(&service)
    .bind::<Text, _>(&since)
    .bind::<Text, _>(&until)
    .load(conn)?;
    let total: Total = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM bench_fts WHERE doc @@ websearch_to_tsquery('english', $1) AND {filter}"
    ))
    .bind::<Text, _>(q.websearch())
    .bind::<Text, _>(&service)
    .bind::<Text, _>(&since)
    .bind::<Text, _>(&until)
    .get_result(conn)?;
    Ok(top
        .iter()
        .filter(|r| r.id > 0)
        .count()
        .max(total.n as usize))
}
