//! Several instances on one PostgreSQL: real `serve` processes, each with its own data
//! directory, sharing one database (DESIGN.md, "Several instances").
//!
//! These tests only mean something on PostgreSQL; on SQLite each returns at once (one process
//! owns a SQLite store). [`Cluster::start`] says so by returning `None`.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use aftermath::db::Db;
use aftermath::db::tokens::{self, Scope};

use crate::cli::aftermath;
use crate::helpers::{SchemaGuard, fresh_database};

/// One database shared by the instances a test starts, with a write token valid on all of them.
pub struct Cluster {
    pub database_url: String,
    pub db: Db,
    pub token: String,
    dir: tempfile::TempDir,
    started: usize,
    _schema: Option<SchemaGuard>,
}

/// One `serve` process.
pub struct Instance {
    pub address: String,
    pub client: reqwest::Client,
    #[allow(dead_code)] // for the tests that follow in this room
    pub data_dir: PathBuf,
    child: Child,
}

impl Cluster {
    /// A fresh PostgreSQL schema, migrated, with a write token; `None` on SQLite.
    pub fn start() -> Option<Cluster> {
        std::env::var("AFTERMATH_TEST_DATABASE_URL").ok()?;
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, schema) = fresh_database(dir.path());
        let db = Db::connect(&database_url).expect("connect and migrate");
        let (_, token) = db
            .write(|conn| tokens::create(conn, "cluster", Scope::Write))
            .expect("token");
        Some(Cluster {
            database_url,
            db,
            token,
            dir,
            started: 0,
            _schema: schema,
        })
    }

    /// Starts `serve` on a random port with a data directory of its own, plus `args`.
    pub fn serve(&mut self, args: &[&str]) -> Instance {
        self.started += 1;
        let data_dir = self.dir.path().join(format!("instance-{}", self.started));
        let mut child = aftermath()
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let address = crate::helpers::served_address(&mut child);
        Instance {
            address,
            client: reqwest::Client::new(),
            data_dir,
            child,
        }
    }
}

// Some of these are for the tests that follow in this room.
#[allow(dead_code)]
impl Instance {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The process id, to signal it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: the process dies mid-work, as a crashed machine would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits (up to `within`) for the exit status.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `check` until it returns `Some`, or panics with `what` after `deadline`.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < deadline,
            "{what}: not within {deadline:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

mod backfill;
mod leader;
mod poll;
mod prune;
mod reports;
mod search;
mod versions;
