//! `spawn_app()` and the small vocabulary tests are written in.

use std::collections::{BTreeMap, BTreeSet};

use aftermath::config::Config;
use aftermath::db::Db;
use aftermath::db::tokens::{self, Scope};
use aftermath::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub database_url: String,
    pub token: String,
    handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
    _pg_schema: Option<SchemaGuard>,
}

/// The backend this run tests, for messages.
pub fn backend_name() -> &'static str {
    if std::env::var("AFTERMATH_TEST_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// Drops a test's PostgreSQL schema when the test is done with it.
pub struct SchemaGuard {
    base: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.base) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// A database of its own for one test: its URL, and on PostgreSQL a guard that drops the schema.
pub fn fresh_database(dir: &std::path::Path) -> (String, Option<SchemaGuard>) {
    match std::env::var("AFTERMATH_TEST_DATABASE_URL") {
        Ok(base) => {
            let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
            let mut conn =
                PgConnection::establish(&base).expect("connect to AFTERMATH_TEST_DATABASE_URL");
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create test schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            (
                format!("{base}{sep}options=-csearch_path%3D{schema}"),
                Some(SchemaGuard { base, schema }),
            )
        }
        Err(_) => (format!("sqlite://{}", dir.join("test.db").display()), None),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with settings changed first (`|c| c.public_read = false`).
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg_schema) = fresh_database(dir.path());
    let mut config = Config::for_dir(database_url.clone(), dir.path().join("data"));
    change(&mut config);
    let app = Application::build(config).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let (_, token) = db
        .write(|conn| tokens::create(conn, "tester", Scope::Write))
        .expect("token");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        db,
        database_url,
        token,
        handle,
        _dir: dir,
        _pg_schema: pg_schema,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting work; the runtime ends with the test anyway.
        drop(self.handle.stop(false));
    }
}

/// `(table, rows)` for each table named, counted with diesel. A name missing from
/// `aftermath::db::schema` does not compile; a table of the schema missing here fails
/// `snapshot::the_snapshot_counts_every_table_the_schema_declares`.
macro_rules! count_rows {
    ($conn:expr; $($table:ident),+ $(,)?) => {{
        use aftermath::db::schema;
        use diesel::prelude::*;
        BTreeMap::from([$(
            (
                stringify!($table),
                schema::$table::table.count().get_result::<i64>($conn)?,
            ),
        )+])
    }};
}

impl TestApp {
    /// A new live token of this scope (named after it), for tests of roles.
    pub fn token_of(&self, scope: Scope) -> String {
        self.db
            .write(|conn| tokens::create(conn, scope.as_str(), scope))
            .expect("token")
            .1
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.expect("json")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Searches once every earlier write is searchable (`consistent=true`); asserts 200.
    ///
    /// The server waits up to 5 s for the index and then answers `consistent=false`. On
    /// PostgreSQL the index's horizon is the oldest transaction open anywhere on the cluster,
    /// and tests running beside this one (a cascade backfill in a debug build) hold one for
    /// 15 s or more; so the search is asked again, up to a minute, before the test fails.
    pub async fn search(&self, params: &[(&str, &str)]) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let res = self.search_response(params).await;
            assert_eq!(res.status(), StatusCode::OK, "search {params:?}");
            let body: Value = res.json().await.expect("json");
            if body["consistent"] == true || std::time::Instant::now() >= deadline {
                assert_eq!(body["consistent"], true, "the index caught up: {body}");
                return body;
            }
        }
    }

    pub async fn search_response(&self, params: &[(&str, &str)]) -> Response {
        self.client
            .get(self.url("/api/v1/search"))
            .query(&[("consistent", "true")])
            .query(params)
            .send()
            .await
            .expect("request")
    }

    /// Creates an incident through the API and returns its JSON.
    pub async fn create_incident(&self, body: Value) -> Value {
        let res = self.post_json("/api/v1/incidents", &body).await;
        assert_eq!(res.status(), StatusCode::CREATED, "create incident {body}");
        res.json().await.expect("json")
    }

    /// Row counts of every table in the schema: a rejected request must leave them all equal.
    pub fn snapshot(&self) -> Snapshot {
        self.db
            .run(|conn| {
                Ok(Snapshot(count_rows!(
                    conn;
                    services,
                    sources,
                    incidents,
                    incident_services,
                    timeline_entries,
                    incident_links,
                    outbox,
                    api_tokens,
                    app_secrets,
                    observations,
                    entry_versions,
                    service_components,
                    postmortems,
                    reports,
                    report_dedup,
                    report_buckets,
                    spike_state,
                    report_spikes,
                    link_decisions,
                    sessions,
                    audit_log,
                    index_replicas,
                    outbox_pruned,
                    subscriptions,
                    deliveries,
                    delivery_attempts,
                    data_rewrites,
                )))
            })
            .expect("counts")
    }
}

/// The number of rows in every table of the schema, by table name. Two equal snapshots mean no
/// row was added or removed anywhere (an update in place keeps the counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<&'static str, i64>);

impl Snapshot {
    /// The rows of one table; panics on a name the schema does not have.
    pub fn rows(&self, table: &str) -> i64 {
        *self
            .0
            .get(table)
            .unwrap_or_else(|| panic!("no table {table:?} in {self:?}"))
    }

    /// The names of the tables counted.
    pub fn tables(&self) -> BTreeSet<&'static str> {
        self.0.keys().copied().collect()
    }

    /// The tables whose row counts differ from `before`'s, in name order.
    pub fn changed_since(&self, before: &Snapshot) -> Vec<&'static str> {
        self.0
            .iter()
            .filter(|(table, rows)| before.0.get(*table) != Some(*rows))
            .map(|(table, _)| *table)
            .collect()
    }
}

/// Asserts an RFC 9457 problem with this status, and returns its body.
pub async fn assert_problem(res: Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status, "status");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type was {content_type:?}"
    );
    let body: Value = res.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:aftermath:problem:")),
        "{body}"
    );
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// The body of an HTML page, after checking its status and content type.
pub async fn html(res: Response, status: StatusCode) -> String {
    assert_eq!(res.status(), status);
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("text/html"),
        "content type was {content_type:?}"
    );
    res.text().await.expect("text")
}

/// A manual incident of one service, started now, for tests that write through `db` directly.
pub fn manual_incident(title: &str, service: &str) -> aftermath::domain::NewIncident {
    aftermath::domain::NewIncident {
        title: aftermath::domain::Title::parse("title", title).expect("title"),
        services: vec![aftermath::domain::ServiceSlug::parse("service", service).expect("slug")],
        status: aftermath::domain::IncidentStatus::Resolved,
        impact: aftermath::domain::Impact::Minor,
        origin: aftermath::domain::Origin::Manual,
        started_at: chrono::Utc::now(),
        body: None,
        author: None,
        source: "manual".into(),
    }
}

/// The address a just-started `aftermath serve` prints on its first line of standard output
/// (its stdout must be piped), without the trailing slash.
pub fn served_address(child: &mut std::process::Child) -> String {
    use std::io::{BufRead, BufReader};
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("serve's first line");
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string()
}
