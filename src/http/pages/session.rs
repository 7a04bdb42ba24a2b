//! Signing in with a token, and CSRF protection for every form.
//!
//! The session is a signed, HttpOnly, SameSite=Lax cookie (actix-session's cookie store) holding
//! the token's id (never the secret) and a random CSRF token. Every request re-checks that the
//! token is still live, so revoking a token signs its sessions out. Every POST form carries the
//! CSRF token in a hidden field and is refused with 403 when it does not match.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use rand::RngCore;
use serde::Deserialize;

use super::{error_page, html};
use crate::db::tokens;
use crate::http::AppState;

const CSRF_KEY: &str = "csrf";
const TOKEN_ID_KEY: &str = "token_id";

/// What every page needs: who is signed in, and the CSRF token for its forms.
#[derive(Clone, Default)]
pub struct Layout {
    pub signed_in: Option<String>,
    pub token_id: Option<String>,
    pub csrf: String,
    session: Option<Session>,
}

fn new_csrf() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Layout {
    /// Whether a submitted form carries this session's CSRF token (compared in constant time).
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        let expected = self.csrf.as_bytes();
        let given = submitted.as_bytes();
        !expected.is_empty()
            && expected.len() == given.len()
            && expected
                .iter()
                .zip(given)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }
}

impl FromRequest for Layout {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let csrf = match session.get::<String>(CSRF_KEY).ok().flatten() {
                Some(t) => t,
                None => {
                    let t = new_csrf();
                    // A failed insert only means forms on this page will be refused; say so in the logs.
                    if let Err(e) = session.insert(CSRF_KEY, &t) {
                        tracing::warn!(error = %e, "could not store the CSRF token in the session");
                    }
                    t
                }
            };
            let mut layout = Layout {
                csrf,
                session: Some(session.clone()),
                ..Default::default()
            };
            let token_id = session.get::<String>(TOKEN_ID_KEY).ok().flatten();
            if let (Some(id), Some(state)) = (token_id, state) {
                let lookup = id.clone();
                match state
                    .db_run(move |conn| tokens::live_by_id(conn, &lookup))
                    .await
                {
                    Ok(Some(token)) => {
                        layout.signed_in = Some(token.name);
                        layout.token_id = Some(id);
                    }
                    Ok(None) => session.remove(TOKEN_ID_KEY).map(|_| ()).unwrap_or(()),
                    Err(e) => tracing::warn!(error = %e, "could not check the session's token"),
                }
            }
            Ok(layout)
        })
    }
}

/// Only local paths, so a crafted link cannot bounce a fresh session to another site.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".into()
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    layout: Layout,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn signin_form(layout: Layout, q: web::Query<NextQuery>) -> HttpResponse {
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    html(
        StatusCode::OK,
        &SigninPage {
            layout,
            next,
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

pub async fn signin(
    state: web::Data<AppState>,
    layout: Layout,
    form: web::Form<SigninForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let next = safe_next(&form.next);
    let raw = form.token.trim().to_string();
    let found = if raw.is_empty() {
        Ok(None)
    } else {
        state.db_run(move |conn| tokens::verify(conn, &raw)).await
    };
    match found {
        Ok(Some(token)) => {
            let Some(session) = layout.session() else {
                return forged(layout);
            };
            // A new session id on privilege change, and a new CSRF token with it.
            session.renew();
            let stored = session
                .insert(TOKEN_ID_KEY, &token.id)
                .and_then(|_| session.insert(CSRF_KEY, new_csrf()));
            if let Err(e) = stored {
                tracing::error!(error = %e, "could not store the session");
                return error_page(
                    layout,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Could not start a session.",
                );
            }
            HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .finish()
        }
        Ok(None) => html(
            StatusCode::UNAUTHORIZED,
            &SigninPage {
                layout,
                next,
                error: Some("This token is unknown or has been revoked.".into()),
            },
        ),
        Err(e) => super::page_error(layout, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

pub async fn signout(layout: Layout, form: web::Form<CsrfOnly>) -> HttpResponse {
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    if let Some(session) = layout.session() {
        session.purge();
    }
    HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .finish()
}

/// The answer to a form post without this session's CSRF token.
pub fn forged(layout: Layout) -> HttpResponse {
    error_page(
        layout,
        StatusCode::FORBIDDEN,
        "This form was not sent from an Aftermath page in your session (the CSRF token is missing or wrong). Reload the page and try again.",
    )
}
