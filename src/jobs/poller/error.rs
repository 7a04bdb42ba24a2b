//! The errors a poll records.
//!
//! Rules:
//! - [`PollError`]'s `Display` is what `last_error` stores: one short line naming what failed.
//! - A refusal by the address guard is "refused: private address", with no address:
//!   [`PollError::detail`] has it, for the log.

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
    #[error("cannot parse the {0} document: {1}")]
    Parse(Format, ParseError),
    #[error("cannot apply the {0} document: {1}")]
    Apply(Format, IngestError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl PollError {
    /// The whole story, for the log only: the refused address.
    pub(super) fn detail(&self) -> String {
        match self {
            PollError::Refused(refused) => refused.explain(),
            other => other.to_string(),
        }
    }
}

impl From<DbError> for PollError {
    fn from(e: DbError) -> Self {
        PollError::Internal(format!("database: {e}"))
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
