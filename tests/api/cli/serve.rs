//! `aftermath serve`: it answers, and stops cleanly on SIGTERM and SIGINT.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::aftermath;
use crate::helpers::fresh_database;

/// Starts `serve --demo`, checks that it answers, sends `signal` and waits for a clean exit.
fn serve_until(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let mut child = aftermath()
        .args([
            "--database-url",
            &url,
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let address = crate::helpers::served_address(&mut child);
    let page = http_client::blocking_get(&address);
    assert!(page.contains("Aftermath"), "{page}");
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..150 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "serve exits cleanly after {signal}: {status}"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("serve did not stop within 15 s of {signal}");
}

#[test]
fn serve_with_demo_answers_then_stops_gracefully_on_sigterm() {
    serve_until("-TERM");
}

#[test]
fn serve_stops_gracefully_on_sigint() {
    serve_until("-INT");
}

/// HTTP from a synchronous test (named so, not `reqwest`, so the crate's name stays the crate's).
mod http_client {
    /// A plain GET from a synchronous test, on a throwaway runtime.
    pub fn blocking_get(url: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
    }
}
