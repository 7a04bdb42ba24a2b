//! Bearer tokens for the JSON API: `Authorization: Bearer TOKEN`, checked against its stored hash
//! on every request, so a revoked token stops working at once.
//!
//! Rules: which scope a route needs is declared once, in [`super::routes`], and enforced there
//! before any handler runs. The extractors here give handlers the token (its name is the author
//! of what it writes, and the actor in the audit log) and check the scope again, so a handler
//! can never be reached with less than it asks for.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::AppState;
use super::problem::ApiError;
use crate::db::tokens::{self, Scope, TokenInfo};

/// The bearer token the route guard verified for this request, so it is looked up once.
#[derive(Debug, Clone)]
pub(crate) struct Verified(pub TokenInfo);

/// A request made with a live token of scope write or admin.
#[derive(Debug, Clone)]
pub struct WriteAccess(pub TokenInfo);

impl WriteAccess {
    /// Who wrote it, for the timeline's author column.
    pub fn author(&self) -> String {
        self.0.name.clone()
    }
}

/// A request made with a live admin token.
#[derive(Debug, Clone)]
pub struct AdminAccess(pub TokenInfo);

impl AdminAccess {
    /// Who did it, for the audit log.
    pub fn actor(&self) -> String {
        self.0.name.clone()
    }
}

/// Whether the request names a token at all (then it is judged by it, never by a session).
pub(crate) fn has_authorization(req: &HttpRequest) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "this endpoint needs Authorization: Bearer TOKEN",
        ))?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not valid text"))?;
    let (scheme, token) = text.split_once(' ').ok_or(ApiError::Unauthorized(
        "expected Authorization: Bearer TOKEN",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(
            "expected Authorization: Bearer TOKEN",
        ));
    }
    Ok(token.trim().to_string())
}

/// The live token of the request's bearer header: 401 when missing, malformed, unknown or revoked.
pub(crate) async fn bearer_token(req: &HttpRequest) -> Result<TokenInfo, ApiError> {
    if let Some(Verified(token)) = req.extensions().get::<Verified>() {
        return Ok(token.clone());
    }
    let raw = bearer(req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or(ApiError::Unavailable)?;
    let found = state.db_run(move |conn| tokens::verify(conn, &raw)).await?;
    found.ok_or(ApiError::Unauthorized(
        "the token is unknown or has been revoked",
    ))
}

/// 403 unless `token` has at least `needed`.
pub(crate) fn require(token: TokenInfo, needed: Scope) -> Result<TokenInfo, ApiError> {
    if token.scope.includes(needed) {
        Ok(token)
    } else {
        Err(ApiError::Forbidden(format!(
            "this needs a token with scope {}; this token's scope is {}",
            needed.as_str(),
            token.scope.as_str()
        )))
    }
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn extract<T: 'static>(req: &HttpRequest, needed: Scope, wrap: fn(TokenInfo) -> T) -> Extracted<T> {
    let req = req.clone();
    Box::pin(async move {
        let token = bearer_token(&req).await?;
        require(token, needed).map(wrap)
    })
}

impl FromRequest for WriteAccess {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, Scope::Write, WriteAccess)
    }
}

impl FromRequest for AdminAccess {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, Scope::Admin, AdminAccess)
    }
}
