//! Helpers shared by the parser tests: fixtures and the optional real corpus.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Bytes of `fixtures/<path>` (the scratch crate symlinks `fixtures` to the real crate's).
pub fn fixture(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("reading {}: {e}", full.display()))
}

/// `$AFTERMATH_CORPUS/<sub>`, or `None` (after saying why) when the variable is unset.
pub fn corpus_dir(sub: &str, test: &str) -> Option<PathBuf> {
    match std::env::var_os("AFTERMATH_CORPUS") {
        Some(root) => Some(PathBuf::from(root).join(sub)),
        None => {
            eprintln!(
                "{test}: skipped, AFTERMATH_CORPUS is not set (point it at the shared corpus)"
            );
            None
        }
    }
}

/// Files directly inside `dir` whose names end with `suffix`, sorted.
pub fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(suffix))
        .collect();
    out.sort();
    out
}

/// The document as JSON for snapshots, with each incident's `raw` replaced by its length.
pub fn snapshot_view(doc: &crate::ingest::ParsedDocument) -> serde_json::Value {
    let mut value = serde_json::to_value(doc).unwrap();
    if let Some(incidents) = value.get_mut("incidents").and_then(|v| v.as_array_mut()) {
        for incident in incidents {
            if let Some(raw) = incident.get_mut("raw") {
                let len = raw.as_str().map(str::len).unwrap_or(0);
                *raw = serde_json::Value::String(format!("<{len} bytes>"));
            }
        }
    }
    value
}

/// Every parser must return, never panic, on arbitrary bytes.
pub fn never_panics(format: crate::ingest::Format, bytes: &[u8]) {
    let _ = crate::ingest::parse(format, bytes);
    let _ = crate::ingest::detect(bytes);
}

/// Snapshot the normalised document under `snapshots/<name>.snap`, independent of crate name.
pub fn assert_snapshot(name: &str, doc: &crate::ingest::ParsedDocument) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let view = snapshot_view(doc);
    settings.bind(|| insta::assert_json_snapshot!(name, view));
}
