//! Server-side request forgery through the poller: a status page that sends it to our own
//! network (a redirect to the metadata service, to another port, to `localhost`), a source
//! whose URL is a private address, and `last_error` as a way to read what came back. The poller
//! fetches public addresses only, unless `--allow-private-sources` names them.
//!
//! Every server here is on 127.0.0.1, so the first one is allowed by its exact `host:port` (as
//! an intranet deployment would), and the others must see no request at all.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftermath::config::PrivateSources;
use aftermath::db::services;
use aftermath::db::sources::{self, NewSource, SourceRow};
use aftermath::domain::ServiceSlug;
use aftermath::jobs::poller::{PollSummary, PollerSettings, poll_once};
use reqwest::StatusCode;

use crate::cli::aftermath;
use crate::helpers::{TestApp, fresh_database, html, spawn_app};

const REFUSED: &str = "refused: private address";

/// A page on 127.0.0.1 that answers every request with `reply(path)`, a whole HTTP response,
/// and remembers the paths it was asked for.
struct Page {
    host_port: String,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Page {
    fn start(reply: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host_port = listener.local_addr().unwrap().to_string();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let log = hits.clone();
        let reply = Arc::new(reply);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let (log, reply) = (log.clone(), reply.clone());
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && matches!(stream.read(&mut byte), Ok(1)) {
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                    log.lock().unwrap().push(path.clone());
                    let _ = stream.write_all(reply(&path).as_bytes());
                });
            }
        });
        Self { host_port, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host_port)
    }

    fn port(&self) -> u16 {
        self.host_port.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }

    /// Only this page may be fetched among the private addresses.
    fn allowed_alone(&self) -> PollerSettings {
        settings(PrivateSources::Only(vec![self.host_port.clone()]))
    }
}

fn response(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
        body.len()
    )
}

fn redirect(to: &str) -> String {
    response("302 Found", &format!("location: {to}\r\n"), "")
}

fn settings(private: PrivateSources) -> PollerSettings {
    PollerSettings::default()
        .with_private_sources(private)
        .with_timeout(Duration::from_secs(5))
        .without_jitter()
}

fn add_source(app: &TestApp, kind: &str, url: String) -> String {
    let new = NewSource {
        kind: kind.into(),
        format: Some(kind.into()),
        url: Some(url),
        service: "acme".into(),
        interval_secs: Some(300),
        secret: None,
    };
    let acme = ServiceSlug::parse("service", "acme").unwrap();
    app.db
        .write(|conn| {
            services::ensure_exist(conn, std::slice::from_ref(&acme))?;
            sources::add(conn, &new)
        })
        .unwrap()
        .id
}

fn row(app: &TestApp, id: &str) -> SourceRow {
    app.db.run(|conn| sources::get(conn, id)).unwrap()
}

fn last_error(app: &TestApp, id: &str) -> String {
    row(app, id).last_error.unwrap_or_default()
}

#[actix_web::test]
async fn a_redirect_from_an_allowed_page_to_any_other_private_address_is_refused_unfetched() {
    let app = spawn_app().await;
    let inside = Page::start(|_| response("200 OK", "", "{}"));
    let to_inside = inside.url("/metadata");
    let localhost = format!("http://localhost:{}/metadata", inside.port());
    let gopher = format!("gopher://127.0.0.1:{}/_stats", inside.port());
    let page = Page::start(move |path| match path {
        "/to-port" => redirect(&to_inside),
        "/to-name" => redirect(&localhost),
        "/to-metadata" => redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-mapped" => redirect("http://[::ffff:169.254.169.254]/latest/meta-data/"),
        "/to-gopher" => redirect(&gopher),
        _ => response("404 Not Found", "", ""),
    });
    let ids: Vec<(&str, String)> = ["/to-port", "/to-name", "/to-metadata", "/to-mapped"]
        .into_iter()
        .map(|path| (path, add_source(&app, "statuspage", page.url(path))))
        .collect();
    let gopher = add_source(&app, "statuspage", page.url("/to-gopher"));

    let summary = poll_once(&app.db, &page.allowed_alone()).await;

    assert_eq!(summary.failed, 5, "{summary:?}");
    for (path, id) in &ids {
        assert_eq!(last_error(&app, id), REFUSED, "{path}");
    }
    assert_eq!(last_error(&app, &gopher), "refused: not an http(s) URL");
    assert_eq!(
        page.hits().len(),
        5,
        "the allowed page answered each source once"
    );
    assert!(inside.hits().is_empty(), "{:?}", inside.hits());
}

#[actix_web::test]
async fn true_allows_the_same_redirect() {
    let app = spawn_app().await;
    let inside = Page::start(|_| response("404 Not Found", "", ""));
    let to_inside = inside.url("/metadata");
    let page = Page::start(move |_| redirect(&to_inside));
    let id = add_source(&app, "statuspage", page.url("/"));

    poll_once(&app.db, &settings(PrivateSources::All)).await;

    assert_eq!(last_error(&app, &id), "HTTP 404 Not Found");
    assert_eq!(inside.hits(), vec!["/metadata".to_string()]);
}

#[actix_web::test]
async fn a_source_at_a_private_address_is_refused_before_any_connection() {
    let app = spawn_app().await;
    let inside = Page::start(|_| response("200 OK", "", "{}"));
    let port = inside.port();
    let urls = [
        inside.url("/literal"),
        format!("http://localhost:{port}/name"),
        format!("http://[::ffff:127.0.0.1]:{port}/mapped"),
        format!("http://2130706433:{port}/decimal"),
    ];
    let ids: Vec<String> = urls
        .iter()
        .map(|url| add_source(&app, "statuspage", url.clone()))
        .collect();

    let summary = poll_once(&app.db, &PollerSettings::default().without_jitter()).await;

    assert_eq!(
        summary,
        PollSummary {
            failed: 4,
            ..Default::default()
        }
    );
    for (url, id) in urls.iter().zip(&ids) {
        let r = row(&app, id);
        assert_eq!(r.last_error.as_deref(), Some(REFUSED), "{url}");
        assert_eq!(r.failures, 1, "{url}: backs off like any failure");
    }
    assert!(inside.hits().is_empty(), "{:?}", inside.hits());
}

#[actix_web::test]
async fn last_error_never_holds_text_from_the_response() {
    const SECRET: &str = "hunter2";
    let app = spawn_app().await;
    let page = Page::start(|path| match path {
        "/error" => response("500 Internal Server Error", "", "db password is hunter2"),
        "/time" => response(
            "200 OK",
            "content-type: application/json\r\n",
            r#"{"page":{"id":"p","name":"Acme"},"incidents":[{"id":"x","name":"Outage",
               "status":"resolved","created_at":"hunter2","updated_at":"hunter2",
               "incident_updates":[]}]}"#,
        ),
        "/xml" => response(
            "200 OK",
            "",
            r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><hunter2></feed>"#,
        ),
        _ => response("404 Not Found", "", ""),
    });
    let errors = [
        (
            add_source(&app, "statuspage", page.url("/error")),
            "HTTP 500 Internal Server Error",
        ),
        (
            add_source(&app, "statuspage", page.url("/time")),
            "cannot parse the statuspage document: bad timestamp at $.incidents[0].created_at",
        ),
        (
            add_source(&app, "atom", page.url("/xml")),
            "cannot parse the atom document: invalid XML",
        ),
    ];

    let summary = poll_once(&app.db, &page.allowed_alone()).await;

    assert_eq!(summary.failed, 3, "{summary:?}");
    for (id, expected) in &errors {
        assert_eq!(last_error(&app, id), *expected);
    }
    // The sources page is an admin's.
    let admin = app.token_of(aftermath::db::tokens::Scope::Admin);
    crate::forms::sign_in_with(&app, &admin).await;
    let admin = html(app.get("/admin/sources").await, StatusCode::OK).await;
    assert!(admin.contains("invalid XML"), "{admin}");
    assert!(!admin.contains(SECRET), "{admin}");
}

#[test]
fn source_add_refuses_a_private_address_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let add = |extra: &[&str], feed: &str| {
        let mut cmd = aftermath();
        cmd.args(["--database-url", &url])
            .args(extra)
            .args(["source", "add", "--kind", "atom", "--service", "acme"])
            .args(["--url", &format!("http://10.0.0.1/{feed}")]);
        cmd
    };

    let refused = add(&[], "a.atom").output().unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("10.0.0.1:80 is private (RFC 1918)")
            && stderr.contains("only public addresses")
            && stderr.contains("--allow-private-sources"),
        "{stderr}"
    );

    let by_flag = add(&["--allow-private-sources", "true"], "a.atom")
        .output()
        .unwrap();
    assert!(
        by_flag.status.success(),
        "{}",
        String::from_utf8_lossy(&by_flag.stderr)
    );
    let by_pair = add(&[], "b.atom")
        .env("AFTERMATH_ALLOW_PRIVATE_SOURCES", "10.0.0.1:80")
        .output()
        .unwrap();
    assert!(
        by_pair.status.success(),
        "{}",
        String::from_utf8_lossy(&by_pair.stderr)
    );
    let other_pair = add(&["--allow-private-sources", "10.0.0.1:8080"], "c.atom")
        .output()
        .unwrap();
    assert!(!other_pair.status.success(), "another port is not allowed");

    let list = aftermath()
        .args(["--database-url", &url, "source", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("http://10.0.0.1/a.atom") && listed.contains("http://10.0.0.1/b.atom"),
        "{listed}"
    );
    assert!(!listed.contains("c.atom"), "{listed}");
}
