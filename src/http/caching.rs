//! Conditional GET (RFC 9110, 13.1–13.2 and 15.4.5) on the reads clients poll: the Statuspage
//! v2 JSON (`/api/v2/*`), the feeds and the incident JSON. Aftermath's own poller sends
//! `If-None-Match`; other pollers get the same courtesy.
//!
//! Rules:
//! - Every `200` answer to a `GET` (or `HEAD`) of a [`polled`] route carries a strong `ETag`.
//!   A handler may set its own (the incident's version, [`super::api::versions`]); otherwise it
//!   is the SHA-256 of the body's bytes (first 128 bits, hex), so two answers with one ETag are
//!   byte for byte the same, whatever the request's host made of the links.
//! - `Last-Modified` is the handler's to set ([`ok`]): when the data shown last changed, to the
//!   second (HTTP dates have no finer grain, so the ETag is the exact validator).
//! - `If-None-Match` is evaluated first (`*` or any tag equal by the weak comparison the RFC
//!   asks for); only without it, `If-Modified-Since` (a valid date, not in the future) answers
//!   `304` when `Last-Modified` is not later. Values that do not parse are ignored.
//! - A `304` has no body and repeats `ETag`, `Last-Modified`, `Cache-Control` and `Vary`.
//! - Other statuses and methods pass untouched.

use std::str::FromStr;
use std::time::SystemTime;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, EntityTag, Header, HttpDate, IfModifiedSince, IfNoneMatch};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::feeds::is_feed;
use super::problem::ApiError;

/// Whether answers of the route `pattern` (as registered) are validated here.
pub fn polled(pattern: &str) -> bool {
    pattern.starts_with("/api/v2/") || is_feed(pattern) || pattern == "/api/v1/incidents/{id}"
}

/// `200 OK` with `Last-Modified` when `changed` is known.
pub fn ok(changed: Option<DateTime<Utc>>) -> HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    if let Some(t) = changed {
        res.insert_header(header::LastModified(http_date(t)));
    }
    res
}

/// An HTTP date (whole seconds) of a stored time.
pub fn http_date(t: DateTime<Utc>) -> HttpDate {
    HttpDate::from(SystemTime::from(t))
}

/// A strong tag naming these exact bytes.
pub fn content_tag(bytes: &[u8]) -> EntityTag {
    EntityTag::new_strong(hex::encode(&Sha256::digest(bytes)[..16]))
}

/// Whether the request's preconditions say the client's copy is current (RFC 9110, 13.2.2).
pub fn still_fresh(req: &HttpRequest, tag: &EntityTag, modified: Option<HttpDate>) -> bool {
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        return match IfNoneMatch::parse(req) {
            Ok(IfNoneMatch::Any) => true,
            Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(tag)),
            Err(_) => false,
        };
    }
    let (Some(modified), Ok(IfModifiedSince(since))) = (modified, IfModifiedSince::parse(req))
    else {
        return false;
    };
    let (modified, since) = (SystemTime::from(modified), SystemTime::from(since));
    since <= SystemTime::now() && modified <= since
}

type Answer = Result<ServiceResponse<BoxBody>, actix_web::Error>;

/// Middleware (`actix_web::middleware::from_fn`, inside [`super::head`] so a `HEAD` is judged
/// as its `GET`) that adds the ETag and answers `304` per the module rules.
pub async fn conditional_get(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Answer {
    let is_get = req.method() == Method::GET;
    let res = next.call(req).await?;
    let wanted = is_get
        && res.status() == StatusCode::OK
        && res.request().match_pattern().is_some_and(|p| polled(&p));
    if !wanted {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    // The polled documents are built whole in memory already; buffering them costs no more.
    let bytes = body::to_bytes(body)
        .await
        .map_err(|e| ApiError::Internal(e.into().to_string().into()))?;
    let own = res
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| EntityTag::from_str(v).ok());
    let tag = own.unwrap_or_else(|| content_tag(&bytes));
    let modified = res
        .headers()
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| HttpDate::from_str(v).ok());
    if still_fresh(&req, &tag, modified) {
        let mut not_modified = HttpResponse::NotModified();
        not_modified.insert_header(header::ETag(tag));
        for name in [header::LAST_MODIFIED, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = res.headers().get(&name) {
                not_modified.insert_header((name, value.clone()));
            }
        }
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    let mut res = res.set_body(BoxBody::new(bytes));
    res.headers_mut().insert(
        header::ETAG,
        header::HeaderValue::from_str(&tag.to_string()).map_err(ApiError::internal)?,
    );
    Ok(ServiceResponse::new(req, res))
}
