//! `HEAD` on every `GET` route (RFC 9110, 9.3.2): the same status and headers as the `GET`,
//! and no body. Uptime and link checkers send `HEAD`.
//!
//! Rules:
//! - A `HEAD` request is answered by the route's `GET` handler: [`head_as_get`] turns the method
//!   into `GET` before routing, so the route table ([`super::routes`]), its scopes and every
//!   handler judge it exactly as a `GET`. A route without `GET` answers `HEAD` as it answers
//!   `GET` (405).
//! - The body is never sent: actix-http's encoder drops the body of any answer to a request that
//!   arrived as `HEAD` (HTTP/1 and HTTP/2), and it still writes the `Content-Length` the body has,
//!   so the headers are the ones a `GET` gets. This middleware therefore keeps the body it is
//!   handed rather than replacing it (an empty body would say `Content-Length: 0`).
//! - The request log and the metrics sit outside it, so they record the method as sent (`HEAD`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Middleware (`actix_web::middleware::from_fn`), outside the route guard, that answers `HEAD`
/// with the `GET` route.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
