//! The alternatives a user would reach for, on the same corpus and the same query mix: SQLite
//! FTS5 (bm25) and PostgreSQL full-text search (a GIN-indexed tsvector and `ts_rank`, as Netflix
//! Dispatch does). Each holds one row per incident (its title, and its texts joined), like our
//! index, and each query answers what ours answers: the top 10 by relevance, the total, and the
//! facet counts (services, providers, impact, year, the ten largest of each).
//!
//! The SQL is written the efficient way, to be fair to them: the matches are read once into a
//! temporary table on SQLite and grouped from there; PostgreSQL groups once with GROUPING SETS.
//! Facet columns hold the first service and provider only, which is less work than our
//! multi-valued facets.

use std::path::Path;
use std::time::Instant;

use chrono::Datelike;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, SqliteConnection};

use super::queries::BenchQuery;
use aftermath::db::{Db, search_docs};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// One facet value and its count; `kind` is `total` for the row that counts every match.
#[derive(QueryableByName)]
struct FacetRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    value: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// One incident as the alternatives store it.
struct Row<'a> {
    id: i64,
    title: &'a str,
    body: String,
    service: &'a str,
    provider: &'a str,
    impact: &'a str,
    year: String,
    started_at: String,
}

/// Reads every incident once.
fn each_document(db: &Db, mut f: impl FnMut(Row<'_>) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let mut after: Option<String> = None;
    let mut n = 0i64;
    loop {
        let page = db.run(|c| search_docs::page_after(c, after.as_deref(), 1000))?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.to_string());
        for i in &page {
            n += 1;
            f(Row {
                id: n,
                title: &i.title,
                body: i.texts.join("\n"),
                service: i.services.first().map(String::as_str).unwrap_or(""),
                provider: i.providers.first().map(String::as_str).unwrap_or(""),
                impact: i.impact.as_str(),
                year: i.started_at.year().to_string(),
                started_at: i.started_at.to_rfc3339(),
            })?;
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
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
         CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter unicode61 remove_diacritics 2');
         CREATE TABLE meta (id INTEGER PRIMARY KEY, service TEXT NOT NULL, provider TEXT NOT NULL,
             impact TEXT NOT NULL, year TEXT NOT NULL, started_at TEXT NOT NULL);
         CREATE INDEX meta_service ON meta (service);
         CREATE TEMP TABLE hits (service TEXT, provider TEXT, impact TEXT, year TEXT);
         BEGIN;",
    )?;
    each_document(db, |row| {
        diesel::sql_query("INSERT INTO docs (rowid, title, body) VALUES (?, ?, ?)")
            .bind::<BigInt, _>(row.id)
            .bind::<Text, _>(row.title)
            .bind::<Text, _>(&row.body)
            .execute(&mut conn)?;
        diesel::sql_query(
            "INSERT INTO meta (id, service, provider, impact, year, started_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind::<BigInt, _>(row.id)
        .bind::<Text, _>(row.service)
        .bind::<Text, _>(row.provider)
        .bind::<Text, _>(row.impact)
        .bind::<Text, _>(&row.year)
        .bind::<Text, _>(&row.started_at)
        .execute(&mut conn)?;
        Ok(())
    })?;
    conn.batch_execute("COMMIT;")?;
    Ok(Built {
        conn,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The ten largest values of each facet, and the total, from rows of (kind, value, n).
const TOP_FACETS: &str = "SELECT kind, value, n FROM (
        SELECT kind, value, n, row_number() OVER (PARTITION BY kind ORDER BY n DESC) AS r
        FROM facet_counts) AS ranked WHERE r <= 10 OR kind = 'total'";

fn total_of(rows: &[FacetRow]) -> usize {
    rows.iter()
        .find(|r| r.kind == "total")
        .map_or(0, |r| r.n.max(0) as usize)
}

/// Runs one query on FTS5: the matches into a temporary table, the top 10 by bm25, then the
/// total and the facets grouped from the temporary table. Returns the total.
pub fn query_fts5(conn: &mut SqliteConnection, q: &BenchQuery) -> anyhow::Result<usize> {
    let matched = q.fts5_match();
    let (filter, service) = match &q.service {
        Some(s) => ("AND meta.service = ?", s.clone()),
        None => ("AND ? = ''", String::new()),
    };
    let (since, until) = q.range_text();
    let matching = format!(
        "FROM docs JOIN meta ON meta.id = docs.rowid \
         WHERE docs MATCH ? {filter} AND meta.started_at >= ? AND meta.started_at < ?"
    );
    conn.batch_execute("DELETE FROM temp.hits")?;
    diesel::sql_query(format!(
        "INSERT INTO temp.hits SELECT meta.service, meta.provider, meta.impact, meta.year {matching}"
    ))
    .bind::<Text, _>(&matched)
    .bind::<Text, _>(&service)
    .bind::<Text, _>(&since)
    .bind::<Text, _>(&until)
    .execute(conn)?;
    let top: Vec<Id> = diesel::sql_query(format!(
        "SELECT docs.rowid AS id {matching} ORDER BY bm25(docs) LIMIT 10"
    ))
    .bind::<Text, _>(&matched)
    .bind::<Text, _>(&service)
    .bind::<Text, _>(&since)
    .bind::<Text, _>(&until)
    .load(conn)?;
    let facets: Vec<FacetRow> = diesel::sql_query(format!(
        "WITH facet_counts AS (
            SELECT 'total' AS kind, '' AS value, count(*) AS n FROM temp.hits
            UNION ALL SELECT 'service', service, count(*) FROM temp.hits GROUP BY service
            UNION ALL SELECT 'provider', provider, count(*) FROM temp.hits WHERE provider <> '' GROUP BY provider
            UNION ALL SELECT 'impact', impact, count(*) FROM temp.hits GROUP BY impact
            UNION ALL SELECT 'year', year, count(*) FROM temp.hits GROUP BY year)
         {TOP_FACETS}"
    ))
    .load(conn)?;
    Ok(top
        .iter()
        .filter(|r| r.id > 0)
        .count()
        .max(total_of(&facets)))
}

/// A GIN-indexed tsvector table in the bench's PostgreSQL schema.
pub fn build_postgres(db: &Db, url: &str) -> anyhow::Result<Built<PgConnection>> {
    let mut conn = PgConnection::establish(url)?;
    let started = Instant::now();
    conn.batch_execute(
        "DROP TABLE IF EXISTS bench_fts;
         CREATE TABLE bench_fts (id BIGINT PRIMARY KEY, service TEXT NOT NULL, provider TEXT NOT NULL,
             impact TEXT NOT NULL, year TEXT NOT NULL, started_at TIMESTAMPTZ NOT NULL,
             doc TSVECTOR NOT NULL);
         BEGIN;",
    )?;
    each_document(db, |row| {
        diesel::sql_query(
            "INSERT INTO bench_fts (id, service, provider, impact, year, started_at, doc) VALUES \
             ($1, $2, $3, $4, $5, $6::timestamptz, \
              setweight(to_tsvector('english', $7), 'A') || to_tsvector('english', $8))",
        )
        .bind::<BigInt, _>(row.id)
        .bind::<Text, _>(row.service)
        .bind::<Text, _>(row.provider)
        .bind::<Text, _>(row.impact)
        .bind::<Text, _>(&row.year)
        .bind::<Text, _>(&row.started_at)
        .bind::<Text, _>(row.title)
        .bind::<Text, _>(&row.body)
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

/// Runs one query on PostgreSQL: the top 10 by `ts_rank`, then the total and the facets in one
/// grouping pass. Returns the total.
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
    let facets: Vec<FacetRow> = diesel::sql_query(format!(
        "WITH facet_counts AS (
            SELECT CASE WHEN GROUPING(service) = 0 THEN 'service'
                        WHEN GROUPING(provider) = 0 THEN 'provider'
                        WHEN GROUPING(impact) = 0 THEN 'impact'
                        WHEN GROUPING(year) = 0 THEN 'year' ELSE 'total' END AS kind,
                   COALESCE(service, provider, impact, year, '') AS value, count(*) AS n
            FROM bench_fts WHERE doc @@ websearch_to_tsquery('english', $1) AND {filter}
            GROUP BY GROUPING SETS ((service), (provider), (impact), (year), ()))
         {TOP_FACETS}"
    ))
    .bind::<Text, _>(q.websearch())
    .bind::<Text, _>(&service)
    .bind::<Text, _>(&since)
    .bind::<Text, _>(&until)
    .load(conn)?;
    Ok(top
        .iter()
        .filter(|r| r.id > 0)
        .count()
        .max(total_of(&facets)))
}
