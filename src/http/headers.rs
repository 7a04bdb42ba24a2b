//! Security headers on every response.
//!
//! Rules:
//! - Every response says `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`.
//! - Every HTML response carries [`PAGE_CSP`]: our own origin only, no inline script or style
//!   (styles live in `/static/style.css`; Markdown table alignment is a class), no framing, no
//!   `<base>`, forms post only to us. A handler that needs another policy (the standalone
//!   postmortem page, the SVG charts) sets its own, and it is kept.
//! - When `AFTERMATH_PUBLIC_URL` is https, every response sends `Strict-Transport-Security`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use super::AppState;

/// The policy of every HTML page.
pub const PAGE_CSP: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Middleware (`actix_web::middleware::from_fn`) that adds the headers after the handler ran.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.is_https());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if https {
        // Browsers that once reached us over https never try plain http again.
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
    }
    Ok(res)
}
