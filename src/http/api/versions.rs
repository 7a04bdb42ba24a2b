//! Incident versions over HTTP: the `ETag` of an incident, `If-None-Match` on reads and
//! `If-Match` on writes (RFC 9110, section 13).
//!
//! Rules:
//! - An incident's ETag is strong and names its version: `"v"` and the number, quoted (`"v7"`).
//!   Two answers with the same ETag carry the same incident JSON.
//! - `If-None-Match` on `GET /api/v1/incidents/{id}`: `*` or a tag naming the current version
//!   (weak or strong, as the RFC compares) answers `304` with the ETag and no body. A value that
//!   does not parse is ignored.
//! - `If-Match` on `PATCH /api/v1/incidents/{id}` and `POST …/updates`: absent or `*`, the write
//!   applies to the incident as it is now; a list of tags, only if a strong one names the
//!   current version. Otherwise the answer is `412` naming the current version, and nothing
//!   changes: the check runs under the row lock, in the write's transaction (`db::versions`).
//!   A value that is neither `*` nor a list of entity tags is a `400`.
//! - A missing incident is a `404` whatever the precondition (RFC 9110, 13.2.1).

use actix_web::http::header::{self, EntityTag, Header, IfMatch, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse};

use crate::domain::Precondition;
use crate::http::problem::ApiError;

/// The `ETag` header of an incident at `version`.
pub fn etag(version: i64) -> header::ETag {
    header::ETag(tag(version))
}

fn tag(version: i64) -> EntityTag {
    EntityTag::new_strong(format!("v{version}"))
}

/// The version a tag of ours names, if it is one.
fn version_of(tag: &EntityTag) -> Option<i64> {
    tag.tag().strip_prefix('v')?.parse().ok()
}

/// What the request's `If-Match` asks of the incident's version.
pub fn precondition(req: &HttpRequest) -> Result<Precondition, ApiError> {
    if !req.headers().contains_key(header::IF_MATCH) {
        return Ok(Precondition::Any);
    }
    let malformed = || {
        ApiError::BadRequest(
            "If-Match must be * or a list of entity tags, such as \"v7\" (the ETag of a GET)"
                .into(),
        )
    };
    let empty = req
        .headers()
        .get_all(header::IF_MATCH)
        .all(|v| v.as_bytes().trim_ascii().is_empty());
    match IfMatch::parse(req).map_err(|_| malformed())? {
        IfMatch::Any => Ok(Precondition::Any),
        // actix drops what is not a tag, so no tag left from a value with something in it is
        // malformed.
        IfMatch::Items(tags) if tags.is_empty() && !empty => Err(malformed()),
        // Strong comparison: a weak tag never matches. An empty value is an empty list (RFC 9110
        // 5.6.1 lets a list be empty), which no version matches: 412, never a blind write.
        IfMatch::Items(tags) => Ok(Precondition::OneOf(
            tags.iter()
                .filter(|t| !t.weak)
                .filter_map(version_of)
                .collect(),
        )),
    }
}

/// Whether the request's `If-None-Match` already names `version`: the answer is then 304.
pub fn not_modified(req: &HttpRequest, version: i64) -> bool {
    if !req.headers().contains_key(header::IF_NONE_MATCH) {
        return false;
    }
    match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&tag(version))),
        Err(_) => false,
    }
}

/// `304 Not Modified`, with the ETag and no body.
pub fn not_modified_response(version: i64) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header(etag(version))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn if_match(value: &str) -> Result<Precondition, ApiError> {
        precondition(
            &TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request(),
        )
    }

    #[test]
    fn if_match_names_versions_by_strong_tags_only() {
        assert_eq!(if_match("*").ok(), Some(Precondition::Any));
        assert_eq!(
            if_match("\"v7\", W/\"v8\", \"other\", \"v9\"").ok(),
            Some(Precondition::OneOf(vec![7, 9]))
        );
        assert!(matches!(if_match("v7"), Err(ApiError::BadRequest(_))));
        assert_eq!(if_match("").ok(), Some(Precondition::OneOf(vec![])));
        assert!(matches!(if_match("{}"), Err(ApiError::BadRequest(_))));
        assert_eq!(
            precondition(&TestRequest::default().to_http_request()).ok(),
            Some(Precondition::Any)
        );
    }

    #[test]
    fn if_none_match_compares_weakly_and_ignores_what_does_not_parse() {
        let asks = |value: &str| {
            not_modified(
                &TestRequest::default()
                    .insert_header((header::IF_NONE_MATCH, value))
                    .to_http_request(),
                7,
            )
        };
        assert!(asks("\"v7\""));
        assert!(asks("W/\"v7\""));
        assert!(asks("\"v6\", \"v7\""));
        assert!(asks("*"));
        assert!(!asks("\"v6\""));
        assert!(!asks("v7"));
        assert_eq!(etag(7).to_string(), "\"v7\"");
    }
}
