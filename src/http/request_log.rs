//! The request log's root span: tracing-actix-web's fields, with two things it cannot know.
//!
//! Rules:
//! - A webhook's secret is in its path (`/api/v1/hooks/{id}/{secret}`): the logged target shows
//!   `/api/v1/hooks/{id}/***`, so a log never holds a secret, whatever the answer was.
//! - The client address is ours (`http::client`): forwarded headers count only from a trusted
//!   proxy, as everywhere else; the host logged is the request's own `Host`, never
//!   `X-Forwarded-Host`.
//! - Status and errors are recorded as the default builder does.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage, web};
use tracing::Span;
use tracing::field::Empty;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use super::AppState;
use super::client::{client_address, peer_address};

const HOOKS: &str = "/api/v1/hooks/";

/// The path and query as they may be logged.
pub fn loggable_target(path_and_query: &str) -> String {
    match path_and_query.strip_prefix(HOOKS) {
        Some(rest) => {
            let id = rest.split(['/', '?']).next().unwrap_or_default();
            if rest.len() > id.len() {
                format!("{HOOKS}{id}/***")
            } else {
                path_and_query.to_string()
            }
        }
        None => path_and_query.to_string(),
    }
}

pub struct RequestLog;

impl RootSpanBuilder for RequestLog {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let method = request.method().as_str().to_string();
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let target = loggable_target(
            request
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or_default(),
        );
        let http = request.request();
        let client = match request.app_data::<web::Data<AppState>>() {
            Some(state) => client_address(http, &state.config.trusted_proxies),
            None => peer_address(http),
        };
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.flavor = ?request.version(),
            http.host = %header("host"),
            http.client_ip = %client,
            http.user_agent = %header("user-agent"),
            http.target = %target,
            http.status_code = Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = Empty,
            request_id = %request_id,
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_secret_never_reaches_the_log() {
        assert_eq!(
            loggable_target("/api/v1/hooks/0193/s3cret"),
            "/api/v1/hooks/0193/***"
        );
        assert_eq!(
            loggable_target("/api/v1/hooks/0193/s3cret?x=1"),
            "/api/v1/hooks/0193/***"
        );
        assert_eq!(loggable_target("/api/v1/hooks/0193"), "/api/v1/hooks/0193");
        assert_eq!(
            loggable_target("/api/v1/incidents?limit=5"),
            "/api/v1/incidents?limit=5"
        );
    }
}
