//! One HTTP fetch of a polled source.
//!
//! Rules:
//! - A fetch is a conditional GET (`If-None-Match`, `If-Modified-Since` from the stored
//!   validators) with our `User-Agent`, following at most five redirects.
//! - It reaches public addresses only, unless `--allow-private-sources` allows more: the URL is
//!   checked before the request, each redirect hop by the client's redirect policy, and each
//!   name by the client's resolver (see `guard`). A refused URL is never connected to.
//! - The body is read chunk by chunk and refused as soon as it passes the cap; the caller bounds
//!   the whole fetch with its timeout.

use std::sync::Arc;

use reqwest::header::{
    ETAG, HeaderMap, HeaderName, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use reqwest::{StatusCode, Url};

use super::PollerSettings;
use super::address::Allowance;
use super::error::{PollError, transport};
use super::guard::{PublicResolver, redirect_policy};
use crate::db::sources::SourceRow;

const USER_AGENT: &str = concat!("aftermath/", env!("CARGO_PKG_VERSION"));
const MAX_REDIRECTS: usize = 5;

/// What a successful fetch brought back.
pub(super) enum Fetched {
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// The HTTP client and the allowance it was built with, which `fetch` checks URLs against.
#[derive(Clone)]
pub(super) struct Client {
    http: reqwest::Client,
    allowance: Arc<Allowance>,
}

/// One client per cycle: connections to a page are reused within the cycle.
pub(super) fn build_client(settings: &PollerSettings) -> reqwest::Result<Client> {
    let allowance = Arc::new(Allowance::new(&settings.private_sources));
    let resolver = PublicResolver {
        allowance: allowance.clone(),
    };
    let http = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(redirect_policy(allowance.clone(), MAX_REDIRECTS))
        .dns_resolver(Arc::new(resolver))
        .no_proxy()
        // The total bound is `tokio::time::timeout` around the whole fetch; this one only makes
        // a dead host fail as "cannot connect" rather than as a timeout of the whole request.
        .connect_timeout(settings.timeout)
        .build()?;
    Ok(Client { http, allowance })
}

/// A conditional GET, its body read in chunks and refused as soon as it passes `cap`.
pub(super) async fn fetch(
    client: &Client,
    url: &str,
    source: &SourceRow,
    cap: usize,
) -> Result<Fetched, PollError> {
    let url = Url::parse(url).map_err(|e| PollError::Config(format!("bad URL: {e}")))?;
    // An IP literal is connected to without a lookup, so it is checked here; a name is checked
    // on what it resolves to.
    client
        .allowance
        .check_url(&url)
        .map_err(PollError::Refused)?;
    let mut request = client.http.get(url);
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

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}
