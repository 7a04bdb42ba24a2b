//! Errors as RFC 9457 `application/problem+json`.
//!
//! Rules: every API error leaves through [`ApiError`], including actix's own rejections (bad JSON,
//! wrong content type, oversized payloads, unknown routes and methods), which the extractor
//! configs and [`problem_for_plain_errors`] route here. A body never carries an internal cause;
//! `Internal` logs the whole chain and answers with a generic message.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;
use crate::domain::ValidationError;
use crate::telemetry::error_chain;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A live token whose scope is too low for the route.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    /// A stale `If-Match` (or edit form): the incident is now at `current_version`.
    #[error(
        "the incident changed since that version was read; it is now at version {current_version} \
         (ETag \"v{current_version}\"): read it again, then send the change with that ETag"
    )]
    PreconditionFailed { current_version: i64 },
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The RFC 9457 body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// On a 412: the version the incident is at now (its ETag is `"v"` and this number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_string(),
            message: message.into(),
        }])
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "Bad request"),
            Self::Validation(_) => ("validation", "Invalid fields"),
            Self::Unauthorized(_) => ("unauthorized", "Unauthorized"),
            Self::Forbidden(_) => ("forbidden", "Forbidden"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::PreconditionFailed { .. } => ("precondition-failed", "Precondition failed"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::TooManyRequests(_) => ("too-many-requests", "Too many requests"),
            Self::Unavailable => ("unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let (detail, errors) = match self {
            Self::Validation(errors) => (
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                errors.clone(),
            ),
            Self::Internal(_) => (
                "something went wrong on our side; it has been logged".to_string(),
                vec![],
            ),
            other => (other.to_string(), vec![]),
        };
        Problem {
            kind: format!("urn:aftermath:problem:{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            current_version: match self {
                Self::PreconditionFailed { current_version } => Some(*current_version),
                _ => None,
            },
        }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %error_chain(cause.as_ref()), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if matches!(self, Self::TooManyRequests(_)) {
            response.insert_header((header::RETRY_AFTER, "60"));
        }
        if let Self::PreconditionFailed { current_version } = self {
            response.insert_header(super::api::versions::etag(*current_version));
        }
        response.json(self.problem())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => ApiError::NotFound("not found".into()),
            DbError::Conflict(m) => ApiError::Conflict(m),
            DbError::Stale { current } => ApiError::PreconditionFailed {
                current_version: current,
            },
            DbError::Invalid { field, message } => ApiError::field(field, message),
            other => ApiError::internal(other),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::field(e.field, e.message)
    }
}

impl From<Vec<ValidationError>> for ApiError {
    fn from(errors: Vec<ValidationError>) -> Self {
        ApiError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field.into(),
                    message: e.message,
                })
                .collect(),
        )
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

/// `JsonConfig` error handler: syntax errors are 400, well-formed JSON of the wrong shape is 422.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::Validation(vec![FieldError {
            field: "body".into(),
            message: e.to_string(),
        }]),
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!("malformed JSON: {e}")),
        other => ApiError::BadRequest(format!("could not read the body: {other}")),
    };
    api.into()
}

pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("bad query string: {err}")).into()
}

pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("bad path: {err}")).into()
}

pub fn payload_error(err: actix_web::error::PayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::PayloadTooLarge(err.to_string()).into()
}

/// Rewrites any error response that is not already a problem or an HTML page (actix's own 404,
/// 405, 413 …) into problem+json with the same status.
pub fn problem_for_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with(PROBLEM_JSON) || content_type.starts_with("text/html") {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let api = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound("no such route".into()),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge("the body is too large".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("unsupported content type".into())
        }
        s if s.is_client_error() => {
            ApiError::BadRequest(s.canonical_reason().unwrap_or("bad request").into())
        }
        _ => ApiError::Internal("unhandled error response".into()),
    };
    let mut problem = api.problem();
    problem.status = status.as_u16();
    let body = serde_json::to_string(&problem).unwrap_or_default();
    let (req, mut response) = res.into_parts();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    let response = response
        .set_body(body)
        .map_into_boxed_body()
        .map_into_right_body();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(
        req, response,
    )))
}
