//! Bearer tokens for the JSON API. Writes need `Authorization: Bearer TOKEN`; the token is
//! checked against its stored hash on every request, so a revoked token stops working at once.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::AppState;
use super::problem::ApiError;
use crate::db::tokens::{self, TokenInfo};

/// A request made with a live token (scope write or admin).
#[derive(Debug, Clone)]
pub struct WriteAccess(pub TokenInfo);

impl WriteAccess {
    /// Who wrote it, for the timeline's author column.
    pub fn author(&self) -> String {
        self.0.name.clone()
    }
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

impl FromRequest for WriteAccess {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token?;
            let state = state.ok_or(ApiError::Unavailable)?;
            let db = state.db.clone();
            let found = crate::http::blocking(move || db.run(|conn| tokens::verify(conn, &token)))
                .await??;
            found.map(WriteAccess).ok_or(ApiError::Unauthorized(
                "the token is unknown or has been revoked",
            ))
        })
    }
}
