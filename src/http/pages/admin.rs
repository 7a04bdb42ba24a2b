//! `/admin/tokens` (create and revoke tokens) and `/admin/audit` (who did that, and when).
//!
//! Rules: admins only (`http::routes` asks for the admin scope before these handlers run).
//! Every form carries the CSRF token. A new token's secret is printed once, in the answer to
//! the form that made it (never in an address, and `Cache-Control: no-store`). Each change
//! writes the audit log with the signed-in token's name.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;
use serde::Deserialize;

use super::session::forged;
use super::view::utc;
use super::{Layout, html, page_error};
use crate::db::audit::{self, AuditEntry};
use crate::db::tokens::{self, Scope, TokenInfo};
use crate::http::AppState;

/// The most lines the audit page shows.
const AUDIT_LINES: i64 = 500;

struct TokenView {
    id: String,
    name: String,
    scope: &'static str,
    created: String,
    revoked: Option<String>,
}

impl From<&TokenInfo> for TokenView {
    fn from(t: &TokenInfo) -> Self {
        Self {
            id: t.id.clone(),
            name: t.name.clone(),
            scope: t.scope.as_str(),
            created: utc(t.created_at),
            revoked: t.revoked_at.map(utc),
        }
    }
}

/// A token just made: the only time its secret is shown.
struct Created {
    name: String,
    scope: &'static str,
    secret: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenView>,
    scopes: Vec<&'static str>,
    created: Option<Created>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    layout: Layout,
    created: Option<Created>,
    error: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let all = match state.db_run(tokens::list).await {
        Ok(all) => all,
        Err(e) => return page_error(layout, e),
    };
    let page = TokensPage {
        layout,
        tokens: all.iter().map(TokenView::from).collect(),
        scopes: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        created,
        error,
    };
    let mut res = html(status, &page);
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    res
}

pub async fn tokens_page(state: web::Data<AppState>, layout: Layout) -> HttpResponse {
    render(&state, layout, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

/// `POST /admin/tokens`: makes a token and shows its secret, once.
pub async fn create_token(
    state: web::Data<AppState>,
    layout: Layout,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let Some(actor) = layout.signed_in.clone() else {
        return forged(layout);
    };
    let scope: Scope = match form.scope.parse() {
        Ok(scope) => scope,
        Err(e) => {
            return render(
                &state,
                layout,
                None,
                Some(e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let name = form.name;
    match state
        .db_write(move |conn| tokens::create_by(conn, &actor, &name, scope))
        .await
    {
        Ok((token, secret)) => {
            let created = Created {
                name: token.name,
                scope: token.scope.as_str(),
                secret,
            };
            render(&state, layout, Some(created), None, StatusCode::CREATED).await
        }
        Err(e) if e.status_code() == StatusCode::UNPROCESSABLE_ENTITY => {
            let message = e.problem().detail;
            render(
                &state,
                layout,
                None,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page_error(layout, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /admin/tokens/{id}/revoke`: it stops working at once, sessions signed in with it too.
pub async fn revoke_token(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !layout.csrf_ok(&form.csrf_token) {
        return forged(layout);
    }
    let Some(actor) = layout.signed_in.clone() else {
        return forged(layout);
    };
    let id = id.into_inner();
    match state
        .db_write(move |conn| tokens::revoke_id_by(conn, &actor, &id))
        .await
    {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header(("Location", "/admin/tokens"))
            .finish(),
        Err(e) => page_error(layout, e),
    }
}

struct AuditView {
    at: String,
    actor: String,
    action: String,
    subject: String,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        Self {
            at: utc(e.at),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<AuditView>,
    limit: i64,
}

/// `GET /admin/audit`: the newest lines of the audit log, newest first.
pub async fn audit_page(state: web::Data<AppState>, layout: Layout) -> HttpResponse {
    match state.db_run(|conn| audit::recent(conn, AUDIT_LINES)).await {
        Ok(entries) => {
            let entries = entries.into_iter().map(AuditView::from).collect();
            let page = AuditPage {
                layout,
                entries,
                limit: AUDIT_LINES,
            };
            html(StatusCode::OK, &page)
        }
        Err(e) => page_error(layout, e),
    }
}
