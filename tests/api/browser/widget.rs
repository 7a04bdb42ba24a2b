//! Atlassian's status widget (`@statuspage/status-widget`, pinned in `.ci/node/`), embedded on a
//! page of another origin and pointed at Aftermath, shows Aftermath's status: the browser lets
//! it read `/api/v2/summary.json` across origins.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Browser, node_modules};
use crate::helpers::spawn_app;

/// Serves the embedding page and the widget's script on a port of its own (another origin than
/// the app's), until the test ends. A few lines of HTTP/1.0 are all a static page needs.
fn serve_embedding_page(app_address: &str) -> String {
    let script = std::fs::read(node_modules().join("@statuspage/status-widget/dist/index.js"))
        .expect("the widget's script");
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Our status</title>\
         <script src=\"/status-widget.js\"></script></head>\
         <body><statuspage-widget src=\"{app_address}\"></statuspage-widget></body></html>"
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request_line = String::new();
            let mut reader = BufReader::new(&stream);
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let (kind, body) = if request_line.starts_with("GET /status-widget.js") {
                ("text/javascript", script.clone())
            } else {
                ("text/html; charset=utf-8", page.clone().into_bytes())
            };
            let head = format!(
                "HTTP/1.0 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    origin
}

#[actix_web::test]
async fn the_status_widget_on_another_origin_shows_aftermath_status() {
    let app = spawn_app().await;
    app.create_incident(json!({"title": "Logins fail", "services": ["accounts"],
        "impact": "major", "body": "Some people cannot sign in."}))
        .await;
    let summary = app.get_json("/api/v2/summary.json").await;
    let expected = summary["status"]["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(expected, "All Systems Operational", "{summary}");
    let Some(browser) = Browser::open(&app, "browser::widget::status_widget").await else {
        return;
    };
    let origin = serve_embedding_page(&app.address);
    browser.driver.goto(&format!("{origin}/")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let shown = loop {
        let text = browser
            .driver
            .execute(
                "const w = document.querySelector('statuspage-widget');
                 return w ? (w.shadowRoot || w).textContent : '';",
                vec![],
            )
            .await
            .unwrap();
        let text = text.as_str().unwrap_or_default().to_string();
        if text.contains(&expected) || Instant::now() >= deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        shown.contains(&expected),
        "the widget shows {expected:?}: {shown:?}"
    );
    browser.close().await;
}
