//! Signing in with a token, and CSRF protection for every form.
//!
//! Sessions live on the server (`db::sessions`): the cookie (signed, HttpOnly, SameSite=Lax, and
//! Secure when the public URL is https) holds only a random session id, and the table its
//! SHA-256, the token it signed in with and its CSRF token. A session ends after 12 hours idle
//! or 7 days in all, when its token is revoked, or when its owner signs out (the row is deleted,
//! so a copied cookie is worth nothing afterwards). A visitor who is not signed in gets a CSRF
//! token in the cookie alone, so anonymous pages never write to the database. Every POST form
//! carries the CSRF token in a hidden field and is refused with 403 when it does not match.

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
use crate::db::sessions::{self, Found};
use crate::db::tokens;
use crate::http::AppState;

/// A visitor's CSRF token, for the forms of someone not signed in.
const CSRF_KEY: &str = "csrf";
/// The server-side session's id.
const SID_KEY: &str = "sid";

/// What every page needs: who is signed in, and the CSRF token for its forms.
#[derive(Clone, Default)]
pub struct Layout {
    pub signed_in: Option<String>,
    pub token_id: Option<String>,
    pub csrf: String,
    session: Option<Session>,
    /// The server-side session's id, when signed in.
    sid: Option<String>,
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
            let mut layout = Layout {
                session: Some(session.clone()),
                ..Default::default()
            };
            let sid = session.get::<String>(SID_KEY).ok().flatten();
            if let (Some(sid), Some(state)) = (sid, state) {
                signed_in(&mut layout, &state, &session, sid).await;
            }
            if layout.signed_in.is_none() {
                layout.csrf = visitor_csrf(&session);
            }
            Ok(layout)
        })
    }
}

/// Fills in who is signed in from the server-side session, and forgets a session that ended.
async fn signed_in(layout: &mut Layout, state: &AppState, session: &Session, sid: String) {
    let now = chrono::Utc::now();
    let lookup = sid.clone();
    match state
        .db_run(move |conn| sessions::find(conn, &lookup, now))
        .await
    {
        Ok(Found::Live { session: s, stale }) => {
            if stale {
                let id = sid.clone();
                if let Err(e) = state.db_write(move |c| sessions::touch(c, &id, now)).await {
                    tracing::warn!(error = %e, "could not record that a session was used");
                }
            }
            layout.signed_in = Some(s.token_name);
            layout.token_id = Some(s.token_id);
            layout.csrf = s.csrf;
            layout.sid = Some(sid);
        }
        Ok(Found::Ended) => {
            let id = sid.clone();
            if let Err(e) = state.db_write(move |c| sessions::end(c, &id)).await {
                tracing::warn!(error = %e, "could not delete an ended session");
            }
            session.remove(SID_KEY);
        }
        Ok(Found::Missing) => {
            session.remove(SID_KEY);
        }
        Err(e) => tracing::warn!(error = %e, "could not check the session"),
    }
}

/// The CSRF token kept in the cookie of a visitor who is not signed in.
fn visitor_csrf(session: &Session) -> String {
    if let Some(t) = session.get::<String>(CSRF_KEY).ok().flatten() {
        return t;
    }
    let t = new_csrf();
    // A failed insert only means forms on this page will be refused; say so in the logs.
    if let Err(e) = session.insert(CSRF_KEY, &t) {
        tracing::warn!(error = %e, "could not store the CSRF token in the session");
    }
    t
}

/// Only local paths, so a crafted link cannot bounce a fresh session to another site: one `/`,
/// then neither `/` nor `\\`, and no control character anywhere (browsers drop tabs and line
/// breaks, so `/\t/evil.example` would become `//evil.example`).
pub fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next[1..].starts_with(['/', '\\'])
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local { next.to_string() } else { "/".into() }
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
            let Some(session) = layout.session().cloned() else {
                return forged(layout);
            };
            let now = chrono::Utc::now();
            let (id, name) = (token.id.clone(), token.name.clone());
            let started = state
                .db_write(move |conn| sessions::start(conn, &id, &name, now))
                .await;
            // A new cookie on privilege change; the session brings its own CSRF token.
            session.renew();
            session.remove(CSRF_KEY);
            let stored = started
                .map_err(|e| e.to_string())
                .and_then(|(sid, _)| session.insert(SID_KEY, sid).map_err(|e| e.to_string()));
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

pub async fn signout(
    state: web::Data<AppState>,
    layout: Layout,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    if let Some(sid) = layout.sid.clone()
        && let Err(e) = state.db_write(move |c| sessions::end(c, &sid)).await
    {
        tracing::error!(error = %e, "could not end a session");
        return super::page_error(layout, e);
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
