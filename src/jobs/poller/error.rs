//! The errors a poll records.
//!
//! Rules:
//! - [`PollError`]'s `Display` is what `last_error` stores: one short line naming what failed.
//! - It never holds text from a response: not the body of an error page, and not the values
//!   or tag names a parse or apply error quotes. What was fetched may come from a service the
//!   page's author cannot read, and `/admin/sources` must not read it for them. Those errors
//!   keep their kind and position; [`PollError::detail`] has the whole text, for the log.
//! - A refusal by the address guard is "refused: private address", with no address either.

use std::error::Error as _;
use std::time::Duration;

use reqwest::StatusCode;

use super::address::Refused;
use crate::correlate::IngestError;
use crate::db::DbError;
use crate::ingest::{Format, ParseError};

/// `last_error` is shown on the admin page: keep it to a line or two.
pub(super) const MAX_ERROR_CHARS: usize = 300;

/// Why a poll failed; its `Display` is what `last_error` stores.
#[derive(Debug, thiserror::Error)]
pub(super) enum PollError {
    #[error("source misconfigured: {0}")]
    Config(String),
    #[error("{0}")]
    Refused(Refused),
    #[error("timed out after {} (whole request, body included)", human(*.0))]
    Timeout(Duration),
    #[error("HTTP {}", status_text(*.0))]
    Status(StatusCode),
    #[error("response body is over the {0}-byte limit")]
    TooLarge(usize),
    #[error("{0}")]
    Transport(String),
    #[error("cannot parse the {format} document: {kind}", format = .0, kind = parse_kind(.1))]
    Parse(Format, ParseError),
    #[error("cannot apply the {format} document: {kind}", format = .0, kind = apply_kind(.1))]
    Apply(Format, IngestError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl PollError {
    /// The whole story, for the log only: the refused address, the parser's own message.
    pub(super) fn detail(&self) -> String {
        match self {
            PollError::Refused(refused) => refused.explain(),
            PollError::Parse(format, e) => format!("cannot parse the {format} document: {e}"),
            PollError::Apply(format, e) => format!("cannot apply the {format} document: {e}"),
            other => other.to_string(),
        }
    }
}

impl From<DbError> for PollError {
    fn from(e: DbError) -> Self {
        PollError::Internal(format!("database: {e}"))
    }
}

/// A parse error without what it quotes: its kind and where, never the text found there.
/// (Paths such as `$.incidents[3].updated_at` are built by the parsers from field names and
/// indices, not from the document's text.)
fn parse_kind(e: &ParseError) -> String {
    match e {
        ParseError::TooLarge { .. } => e.to_string(),
        ParseError::Encoding { encoding, .. } => format!("input is not valid {encoding}"),
        ParseError::Json { line, column, .. } => {
            format!("invalid JSON at line {line}, column {column}")
        }
        ParseError::Xml { .. } => "invalid XML".to_string(),
        ParseError::Shape { path, .. } => format!("unexpected document shape at {path}"),
        ParseError::Time { path, .. } => format!("bad timestamp at {path}"),
        ParseError::TimeOutOfRange { path, range, .. } => {
            format!("timestamp at {path} is out of range: times must lie {range}")
        }
    }
}

/// An apply error without the values it may quote (a service name, a conflicting key).
fn apply_kind(e: &IngestError) -> String {
    match e {
        IngestError::Parse(p) => parse_kind(p),
        IngestError::BadService(_) => "bad service name".to_string(),
        IngestError::Db(DbError::Invalid { field, .. }) => format!("invalid {field}"),
        IngestError::Db(DbError::Conflict(_)) => "conflict".to_string(),
        IngestError::Db(_) => "database error (see the log)".to_string(),
        IngestError::UnknownFormat | IngestError::NoService => e.to_string(),
    }
}

/// Names what went wrong (connect, redirect, body) and its root cause, without the URL, which
/// the source row already shows. A refusal by the address guard, raised inside the client by
/// the resolver or the redirect policy, comes out as itself.
pub(super) fn transport(e: reqwest::Error) -> PollError {
    let mut cause = e.source();
    while let Some(inner) = cause {
        if let Some(refused) = inner.downcast_ref::<Refused>() {
            return PollError::Refused(refused.clone());
        }
        cause = inner.source();
    }
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
