//! Pages tested in a real browser (issue 19): headless Chromium, driven by chromedriver over
//! WebDriver (`fantoccini`), walks the flows a person would. Every page a flow visits is
//! checked ([`Browser::check`]):
//! - no console error, Content-Security-Policy violations included (the browser's log, read
//!   through chromedriver's `goog:loggingPrefs` and its `/se/log` endpoint);
//! - no horizontal overflow at 390 px and at 1280 px wide;
//! - no serious or critical finding of axe-core (from npm, pinned in `.ci/node/`, injected).
//!
//! They need `chromium`, `chromedriver` and the pinned node tools (`npm ci` in `.ci/node/`, or
//! `AFTERMATH_NODE_MODULES` naming a `node_modules`). Without them each test says so and skips,
//! unless `AFTERMATH_REQUIRE_EXTERNAL=1` (CI), which makes the skip a failure. One browser per
//! test, its pages reused; at most two browsers at once (two cores).

mod console;
mod flows;
mod links;
mod widget;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::helpers::TestApp;

/// Widths every page must fit: a phone, and a desktop.
const WIDTHS: [u32; 2] = [390, 1280];

static BROWSERS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// The pinned node tools' directory.
fn node_modules() -> PathBuf {
    std::env::var_os("AFTERMATH_NODE_MODULES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/.ci/node/node_modules"
            ))
        },
        PathBuf::from,
    )
}

/// Whether the browser, its driver and the node tools are here; when not, says so and skips
/// (or fails, when AFTERMATH_REQUIRE_EXTERNAL=1).
fn available(test: &str) -> bool {
    if !crate::clients::external_tool("chromium", test)
        || !crate::clients::external_tool("chromedriver", test)
    {
        return false;
    }
    let axe = node_modules().join("axe-core/axe.min.js");
    if axe.is_file() {
        return true;
    }
    let required = std::env::var("AFTERMATH_REQUIRE_EXTERNAL").is_ok_and(|v| v == "1");
    let what = format!("{} is missing (run `npm ci` in .ci/node)", axe.display());
    assert!(
        !required,
        "{test}: {what}, and AFTERMATH_REQUIRE_EXTERNAL=1 requires it"
    );
    eprintln!("SKIPPED {test}: {what} (set AFTERMATH_REQUIRE_EXTERNAL=1 to fail instead)");
    false
}

/// A headless Chromium session on its own chromedriver, pointed at one app.
pub struct Browser {
    pub driver: Client,
    base: String,
    axe: String,
    chromedriver: Child,
    _turn: SemaphorePermit<'static>,
}

/// A free local port (the listener is closed before the driver binds it).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts chromedriver in a process group of its own (so the browsers it starts go with it
/// when the test ends) and waits until it answers.
async fn start_chromedriver() -> (Child, String) {
    use std::os::unix::process::CommandExt;
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{url}/status")).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver answers on {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, url)
}

/// Headless Chromium as root (CI): its sandbox needs a user namespace it cannot have there.
/// Every console message is kept for [`BrowserLog`].
fn capabilities() -> Capabilities {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,900"],
        },
        "goog:loggingPrefs": {"browser": "ALL"},
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object"),
    }
}

/// chromedriver's own command for the browser's console log (not in W3C WebDriver, so not in
/// fantoccini): what the page logged since the last read, CSP violations included.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/se/log"))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

impl Browser {
    /// A browser for `app`, or None (after saying why) when the tools are missing.
    pub async fn open(app: &TestApp, test: &str) -> Option<Browser> {
        if !available(test) {
            return None;
        }
        let turn = BROWSERS.acquire().await.unwrap();
        let axe = std::fs::read_to_string(node_modules().join("axe-core/axe.min.js")).unwrap();
        let (chromedriver, url) = start_chromedriver().await;
        // chromedriver listens on plain HTTP on this machine: no TLS, so no rustls crypto
        // provider to choose (the rustls connector panics without one installed).
        let driver = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities())
            .connect(&url)
            .await
            .expect("a browser session");
        Some(Browser {
            driver,
            base: app.address.clone(),
            axe,
            chromedriver,
            _turn: turn,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens a page of the app and checks it.
    pub async fn visit(&self, path: &str) {
        self.driver.goto(&self.url(path)).await.unwrap();
        self.check(path).await;
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.driver.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.driver.find(Locator::Css(css)).await {
            Ok(found) => found,
            Err(e) => panic!("{css} on {}: {e}", self.path().await),
        }
    }

    /// Types into a field, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks, waits for the next page, and checks it.
    pub async fn submit(&self, css: &str) {
        let before = self.find("html").await;
        self.find(css).await.click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        // The old document's element goes stale once the next page has loaded.
        while before.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "{css} leads to a page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let path = self.path().await;
        self.check(&path).await;
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.find("body").await.text().await.unwrap()
    }

    /// The page's own checks: console, overflow at each width, axe-core.
    pub async fn check(&self, page: &str) {
        self.console_is_clean(page).await;
        for width in WIDTHS {
            self.fits(page, width).await;
        }
        self.driver.set_window_rect(0, 0, 1280, 900).await.unwrap();
        self.accessible(page).await;
        // Whatever the checks themselves made the page log.
        self.console_is_clean(page).await;
    }

    async fn console_is_clean(&self, page: &str) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "{page}: console errors: {errors:#?}");
    }

    /// The errors the page logged since the last read (chromedriver empties the log it returns).
    async fn console_errors(&self) -> Vec<Value> {
        let log = self.driver.issue_cmd(BrowserLog).await.unwrap();
        let Value::Array(entries) = log else {
            panic!("the browser's log is a list: {log}");
        };
        entries
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].clone())
            .collect()
    }

    async fn fits(&self, page: &str, width: u32) {
        self.driver.set_window_rect(0, 0, width, 900).await.unwrap();
        let widths = self
            .driver
            .execute(
                "const e = document.documentElement; return [window.innerWidth, e.scrollWidth, e.clientWidth];",
                vec![],
            )
            .await
            .unwrap();
        let [inner, scroll, client]: [i64; 3] = serde_json::from_value(widths).unwrap();
        assert_eq!(
            inner,
            i64::from(width),
            "{page}: the window is {width} px wide"
        );
        assert!(
            scroll <= client,
            "{page} at {width} px: scrolls sideways ({scroll} > {client} px): {}",
            self.widest(width).await
        );
    }

    /// The elements wider than the window, to name in a failure.
    async fn widest(&self, width: u32) -> Value {
        self
            .driver
            .execute(
                "const w = arguments[0]; return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w)
                   .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
                vec![Value::from(width)],
            )
            .await
            .unwrap()
    }

    async fn accessible(&self, page: &str) {
        self.driver.execute(&self.axe, vec![]).await.unwrap();
        let found = self
            .driver
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 3).map(n => n.html)}))))
                   .catch(e => done([{id: 'axe failed', help: String(e)}]));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(found, Value::Array(vec![]), "{page}: axe-core findings");
    }

    /// Ends the session and its driver.
    pub async fn close(mut self) {
        let _ = self.driver.clone().close().await;
        let _ = self.chromedriver.kill();
    }
}

impl Drop for Browser {
    /// A failed test never reaches [`Browser::close`]: the driver's whole process group (the
    /// browser included) is ended, by its id.
    fn drop(&mut self) {
        let group = format!("-{}", self.chromedriver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.chromedriver.wait();
    }
}

/// Signs in with the app's write token through the form.
pub async fn sign_in(browser: &Browser, app: &TestApp) {
    browser.visit("/signin").await;
    browser.fill("input[name=token]", &app.token).await;
    browser
        .submit("form[action='/signin'] button[type=submit]")
        .await;
    assert!(
        browser.text().await.contains("Sign out"),
        "signed in: {}",
        browser.text().await
    );
}
