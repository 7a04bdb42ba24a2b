//! The corpus phase: every status-page document of the real public corpus (`--corpus DIR` or
//! `AFTERMATH_CORPUS`), ingested in-process into a fresh store by the same function as
//! `aftermath ingest FILE…`. The generated corpus is regular; this one has the real shapes:
//! one small incident per GitHub file, Atom snapshots and AWS history that repeat one another.

use std::path::{Path, PathBuf};

use serde::Serialize;

use aftermath::correlate::files;
use aftermath::db::Db;

/// The extensions of status-page documents; the corpus also holds postmortems in Markdown,
/// licences and manifests, which are not ingested as documents.
const DOCUMENT_EXTENSIONS: &[&str] = &["json", "atom", "xml", "rss"];
/// A list of incident ids beside the GitHub history, not a document.
const NOT_DOCUMENTS: &[&str] = &["incident_codes.json"];

#[derive(Debug, Clone, Serialize)]
pub struct CorpusIngest {
    pub dir: String,
    pub files: usize,
    /// Files the ingest refused (none is expected; reported rather than hidden).
    pub failed: usize,
    /// New timeline entries.
    pub entries: usize,
    pub seconds: f64,
    pub entries_per_sec: f64,
}

/// Ingests the corpus under `dir` into the (fresh) store at `url`.
pub fn measure(dir: &Path, url: &str) -> anyhow::Result<CorpusIngest> {
    let paths = documents(dir)?;
    anyhow::ensure!(
        !paths.is_empty(),
        "no status-page documents under {}",
        dir.display()
    );
    let db = Db::connect(url)?;
    let summary = files::ingest_files(&db, None, None, &paths, |_, _| {})?;
    Ok(CorpusIngest {
        dir: dir.display().to_string(),
        files: summary.files,
        failed: summary.failed,
        entries: summary.entries,
        seconds: summary.seconds,
        entries_per_sec: summary.entries as f64 / summary.seconds.max(1e-9),
    })
}

/// The documents under `dir`, recursively, in path order (so every run applies them alike).
fn documents(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| anyhow::anyhow!("{}: {e}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if is_document(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_document(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    DOCUMENT_EXTENSIONS.contains(&ext) && !NOT_DOCUMENTS.contains(&name)
}
