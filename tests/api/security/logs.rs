//! Secrets never reach the request log: a webhook's secret is in its URL path, and a request
//! that fails (a 4xx) is logged with its target.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::helpers::fresh_database;

#[test]
fn a_webhook_secret_in_the_path_is_not_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftermath"))
        .env_remove("AFTERMATH_DATABASE_URL")
        .env("RUST_LOG", "info")
        .args([
            "--database-url",
            &url,
            "serve",
            "--no-poll",
            "--bind",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let address = crate::helpers::served_address(&mut child);
    let id = uuid::Uuid::now_v7();
    let status = actix_web::rt::System::new().block_on(async {
        reqwest::Client::new()
            .post(format!("{address}/api/v1/hooks/{id}/topsecretvalue0123"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_client_error(), "{status}");
    let _ = child.kill();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let _ = child.wait();
    assert!(
        log.contains(&format!("/api/v1/hooks/{id}/***")),
        "the request was not logged:\n{log}"
    );
    assert!(
        !log.contains("topsecretvalue0123"),
        "the secret was logged:\n{log}"
    );
}
