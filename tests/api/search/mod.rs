//! Full-text search: what people can find, how, and what happens with bad queries.

use serde_json::{Value, json};

use crate::helpers::TestApp;

mod bad_queries;
mod cascades;
mod cli;
mod freshness;
mod index;
mod indexed_texts;
mod judged;
mod page;
mod queries;
mod relevance;
mod results;
mod similar;
mod suggest;
mod understanding;

fn titles(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

async fn incident(
    app: &TestApp,
    title: &str,
    services: &[&str],
    impact: &str,
    body: &str,
) -> String {
    let created = app
        .create_incident(json!({
            "title": title, "services": services, "impact": impact, "body": body,
            "started_at": "2025-10-20T07:11:00Z"
        }))
        .await;
    created["id"].as_str().unwrap().to_string()
}
