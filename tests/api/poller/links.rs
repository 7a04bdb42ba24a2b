//! A polled status page is ingest like any other: the cascade links around what it changed are
//! computed in the same transaction, so a provider's outage found by the poller is linked to the
//! incidents of the services that depend on it.

use std::io::{Read, Write};
use std::net::TcpListener;

use aftermath::config::PrivateSources;
use aftermath::db::sources::{self, NewSource};
use aftermath::jobs::poller::{PollerSettings, poll_once};
use reqwest::StatusCode;
use serde_json::Value;

use crate::cascade::post_catalog;
use crate::helpers::spawn_app;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cascade");

/// Answers every request with `body`.
pub(crate) fn serve_forever(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/api/v2/incidents.json",
        listener.local_addr().unwrap()
    );
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && matches!(stream.read(&mut byte), Ok(1)) {
                head.push(byte[0]);
            }
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

#[actix_web::test]
async fn a_polled_provider_incident_is_linked_to_the_incidents_that_depend_on_it() {
    let app = spawn_app().await;
    post_catalog(&app).await;
    // Snapgram's post arrives first: there is nothing upstream of it yet.
    let res = app
        .client
        .post(app.url("/api/v1/ingest/statuspage"))
        .bearer_auth(&app.token)
        .body(std::fs::read(format!("{FIXTURES}/status-snapgram.json")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let listed = app.get_json("/api/v1/incidents?service=snapgram").await;
    let snapgram_id = listed["items"][0]["id"].as_str().unwrap().to_string();

    // Then the poller finds Nimbus's outage on its status page.
    let url = serve_forever(std::fs::read(format!("{FIXTURES}/status-nimbus.json")).unwrap());
    let source = NewSource {
        kind: "statuspage".into(),
        format: Some("statuspage".into()),
        url: Some(url.clone()),
        service: "nimbus-us-east".into(),
        interval_secs: Some(300),
        secret: None,
    };
    app.db.write(|conn| sources::add(conn, &source)).unwrap();
    // The page is on loopback: allow exactly it, as an intranet deployment would.
    let host_port = url.trim_start_matches("http://").split('/').next().unwrap();
    let settings = PollerSettings::default()
        .with_private_sources(PrivateSources::Only(vec![host_port.to_string()]))
        .without_jitter();
    let summary = poll_once(&app.db, &settings).await;
    assert_eq!((summary.fetched, summary.created), (1, 1), "{summary:?}");

    let snapgram = app
        .get_json(&format!("/api/v1/incidents/{snapgram_id}"))
        .await;
    let links: Vec<&Value> = snapgram["links"].as_array().unwrap().iter().collect();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["kind"], "upstream");
    assert_eq!(
        links[0]["title"],
        "Increased error rates and latencies in us-east"
    );
    assert_eq!(links[0]["confidence"], 0.9);
}
