//! `/metrics` of a live server passes Prometheus's own checker, `promtool check metrics`
//! (Debian's `prometheus` package). Skips when promtool is missing; see [`super::external_tool`].

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::json;

use super::external_tool;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn metrics_pass_promtool_check_metrics() {
    if !external_tool("promtool", "metrics_pass_promtool_check_metrics") {
        return;
    }
    let app = spawn_app().await;
    // Some traffic first, so every family has series: counters, histograms, labelled gauges.
    app.create_incident(json!({"title": "x", "services": ["api"]}))
        .await;
    app.get("/api/v1/incidents/not-an-id").await;
    app.get("/api/v2/summary.json").await;
    app.search(&[("q", "x")]).await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();

    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {said}\n--- the metrics ---\n{text}"
    );
}
