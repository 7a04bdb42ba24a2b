//! One HTTP fetch of a polled source, and the errors a poll records.
//!
//! Rules:
//! - A fetch is a conditional GET (`If-None-Match`, `If-Modified-Since` from the stored
//!   validators) with our `User-Agent`, following at most five redirects.
//! - The body is read chunk by chunk and refused as soon as it passes the cap; the caller bounds
//!   the whole fetch with its timeout.
//! - [`PollError`]'s `Display` is what `last_error` stores: one short line naming what failed.

use std::error::Error as _;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{
    ETAG, HeaderMap, HeaderName, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};

use super::PollerSettings;
use crate::correlate::IngestError;
use crate::db::DbError;
use crate::db::sources::SourceRow;
use crate::ingest::{Format, ParseError};

const USER_AGENT: &str = concat!("aftermath/", env!("CARGO_PKG_VERSION"));
const MAX_REDIRECTS: usize = 5;
/// `last_error` is shown on the admin page: keep it to a line or two.
pub(super) const MAX_ERROR_CHARS: usize = 300;

/// Why a poll failed; its `Display` is what `last_error` stores.
#[derive(Debug, thiserror::Error)]
pub(super) enum PollError {
    #[error("source misconfigured: {0}")]
    Config(String),
    #[error("timed out after {} (whole request, body included)", human(*.0))]
    Timeout(Duration),
    #[error("HTTP {}", status_text(*.0))]
    Status(StatusCode),
    #[error("response body is over the {0}-byte limit")]
    TooLarge(usize),
    #[error("{0}")]
    Transport(String),
    #[error("cannot parse the {0} document: {1}")]
    Parse(Format, ParseError),
    #[error("cannot apply the {0} document: {1}")]
    Apply(Format, IngestError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a successful fetch brought back.
pub(super) enum Fetched {
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// One client per cycle: connections to a page are reused within the cycle.
pub(super) fn build_client(settings: &PollerSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        // The total bound is `tokio::time::timeout` around the whole fetch; this one only makes
        // a dead host fail as "cannot connect" rather than as a timeout of the whole request.
        .connect_timeout(settings.timeout)
        .build()
}

/// A conditional GET, its body read in chunks and refused as soon as it passes `cap`.
pub(super) async fn fetch(
    client: &reqwest::Client,
    url: &str,
    source: &SourceRow,
    cap: usize,
) -> Result<Fetched, PollError> {
    let mut request = client.get(url);
    if let Some(etag) = &source.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(last_modified) = &source.last_modified {
        request = request.header(IF_MODIFIED_SINCE, last_modified);
    }
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(PollError::Status(status));
    }
    // An honest Content-Length over the cap is refused before reading anything.
    if response
        .content_length()
        .is_some_and(|len| len > cap as u64)
    {
        return Err(PollError::TooLarge(cap));
    }
    let etag = header_text(response.headers(), ETAG);
    let last_modified = header_text(response.headers(), LAST_MODIFIED);
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if bytes.len() + chunk.len() > cap {
            return Err(PollError::TooLarge(cap));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body {
        bytes,
        etag,
        last_modified,
    })
}

impl From<DbError> for PollError {
    fn from(e: DbError) -> Self {
        PollError::Internal(format!("database: {e}"))
    }
}

/// Names what went wrong (connect, redirect, body) and its root cause, without the URL, which
/// the source row already shows.
fn transport(e: reqwest::Error) -> PollError {
    let what = if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "redirect failed"
    } else if e.is_body() || e.is_decode() {
        "reading the body failed"
    } else if e.is_builder() {
        "bad request (stored ETag or Last-Modified?)"
    } else {
        "request failed"
    };
    // The innermost cause is the readable one ("Connection refused (os error 111)").
    let root = e.source().map(|mut root| {
        while let Some(next) = root.source() {
            root = next;
        }
        root.to_string()
    });
    let detail = root.unwrap_or_else(|| e.without_url().to_string());
    PollError::Transport(format!("{what}: {detail}"))
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Cuts an error to one short line, on a character boundary.
pub(super) fn short(message: &str) -> String {
    let line = message.replace(['\n', '\r'], " ");
    match line.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}
