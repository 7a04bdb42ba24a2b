//! The benchmark's workspace (a directory, and a PostgreSQL schema when asked) and its
//! progress bars.

use std::path::PathBuf;

use diesel::prelude::*;

use super::Options;

/// The benchmark's own directory and database, removed at the end.
pub(super) struct Workspace {
    pub(super) dir: PathBuf,
    pub(super) data_dir: PathBuf,
    pub(super) url: String,
    pg: Option<(String, String)>,
    remove_dir: bool,
}

impl Workspace {
    pub(super) fn new(opts: &Options) -> anyhow::Result<Self> {
        let (dir, remove_dir) = match &opts.work_dir {
            Some(d) => (d.clone(), false),
            None => (
                std::env::temp_dir().join(format!(
                    "aftermath-bench-{}-{}",
                    std::process::id(),
                    chrono::Utc::now().timestamp_millis()
                )),
                true,
            ),
        };
        std::fs::create_dir_all(&dir)?;
        let (url, pg) = match &opts.postgres_url {
            Some(base) => {
                let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(base)?;
                diesel::sql_query(format!("CREATE SCHEMA {schema}")).execute(&mut conn)?;
                let sep = if base.contains('?') { '&' } else { '?' };
                (
                    format!("{base}{sep}options=-csearch_path%3D{schema}"),
                    Some((base.clone(), schema)),
                )
            }
            None => (format!("sqlite://{}", dir.join("store.db").display()), None),
        };
        Ok(Self {
            data_dir: dir.join("data"),
            dir,
            url,
            pg,
            remove_dir,
        })
    }

    /// A second, empty store beside the main one, for the real corpus: a file of its own on
    /// SQLite, a schema of its own on PostgreSQL (dropped with the main one).
    pub(super) fn corpus_url(&self) -> anyhow::Result<String> {
        match &self.pg {
            Some((base, schema)) => {
                let schema = format!("{schema}_corpus");
                let mut conn = PgConnection::establish(base)?;
                diesel::sql_query(format!("CREATE SCHEMA {schema}")).execute(&mut conn)?;
                let sep = if base.contains('?') { '&' } else { '?' };
                Ok(format!("{base}{sep}options=-csearch_path%3D{schema}"))
            }
            None => Ok(format!("sqlite://{}", self.dir.join("corpus.db").display())),
        }
    }

    pub(super) fn clean_up(&self) {
        if let Some((base, schema)) = &self.pg
            && let Ok(mut conn) = PgConnection::establish(base)
        {
            for schema in [schema.clone(), format!("{schema}_corpus")] {
                let _ = diesel::sql_query(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&mut conn);
            }
        }
        if self.remove_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A progress bar on standard error, or nothing.
pub(super) struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    pub(super) fn new(show: bool, len: u64, what: &str) -> Self {
        Self(show.then(|| {
            let bar = indicatif::ProgressBar::new(len);
            bar.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}})"
                ))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        }))
    }
    pub(super) fn set(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.set_position(n)
        }
    }
    pub(super) fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n)
        }
    }
    pub(super) fn set_len(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.set_length(n)
        }
    }
    pub(super) fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear()
        }
    }
}
