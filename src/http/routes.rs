//! Roles: the one declared table of every route and the scope it needs ([`ROUTES`]), and the one
//! middleware that enforces it ([`guard`]) before any handler runs.
//!
//! Rules:
//! - Every `web::resource` the app registers has one row per method here, with the full pattern
//!   as written (`tests/api/security/roles.rs` reads the source to check it, and calls every row
//!   with no token and with a `read`, `write` and `admin` one). Nothing is open by omission: a
//!   matched pattern missing from the table is refused with 500, and a method the table does not
//!   list for a known pattern gets 405.
//! - Scopes are ordered `read < write < admin`. [`Need::Public`] is always open (health, the
//!   report form, sign-in, webhooks, whose secret is in their path); [`Need::Read`] is open while
//!   reads are public (`AFTERMATH_PUBLIC_READ`, the default) and needs `read` otherwise.
//! - Who calls: a request with an `Authorization` header is judged by its bearer token alone.
//!   Without one, a page (any path outside `/api/`, the feeds, `/metrics` and `/healthz`) is
//!   judged by the signed-in session's token; the API never reads the session cookie, so a
//!   cross-site form can not borrow it.
//! - Refusals: the API (and any request with a bearer header) answers problem+json, 401 without
//!   a live token and 403 with too low a scope. A page sends a signed-out GET to
//!   `/signin?next=…`, and answers any other refusal with a 403 error page.
//! - The route is matched on the same (re-quoted) path actix routes on, so `/admin/%73ources`
//!   is judged as `/admin/sources`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};

use super::AppState;
use super::auth::{self, Verified};
use super::pages::{Layout, error_page};
use super::problem::ApiError;
use crate::db::tokens::{self, Scope, TokenInfo};

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Open to everyone, always.
    Public,
    /// Open while reads are public; a `read` token otherwise.
    Read,
    Write,
    Admin,
}

impl Need {
    /// The scope a caller needs, given whether reads are public; `None` when anyone may call.
    pub fn scope(self, public_read: bool) -> Option<Scope> {
        match self {
            Need::Public => None,
            Need::Read if public_read => None,
            Need::Read => Some(Scope::Read),
            Need::Write => Some(Scope::Write),
            Need::Admin => Some(Scope::Admin),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// One method of one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: Verb,
    /// The pattern exactly as `web::resource` registers it.
    pub path: &'static str,
    pub need: Need,
}

impl Route {
    /// Whether refusals are pages (a sign-in redirect, an HTML 403) rather than problem+json.
    pub fn is_page(&self) -> bool {
        is_page(self.path)
    }
}

fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || super::feeds::is_feed(path)
        || matches!(path, "/metrics" | "/healthz"))
}

const fn r(method: Verb, path: &'static str, need: Need) -> Route {
    Route { method, path, need }
}

use Need::{Admin, Public, Read, Write};
use Verb::{Delete, Get, Patch, Post, Put};

/// Every route of the app and what it needs, in the order the app registers them.
pub const ROUTES: &[Route] = &[
    // The JSON API (src/http/api/mod.rs).
    r(Get, "/api/v2/summary.json", Read),
    r(Get, "/api/v2/status.json", Read),
    r(Get, "/api/v2/components.json", Read),
    r(Get, "/api/v2/incidents.json", Read),
    r(Get, "/api/v2/incidents/unresolved.json", Read),
    r(Get, "/api/v2/scheduled-maintenances.json", Read),
    r(Get, "/api/v2/scheduled-maintenances/upcoming.json", Read),
    r(Get, "/api/v2/scheduled-maintenances/active.json", Read),
    r(Get, "/api/v1/incidents", Read),
    r(Post, "/api/v1/incidents", Write),
    r(Get, "/api/v1/incidents/{id}", Read),
    r(Patch, "/api/v1/incidents/{id}", Write),
    r(Post, "/api/v1/incidents/{id}/updates", Write),
    r(Get, "/api/v1/incidents/{id}/postmortem", Read),
    r(Post, "/api/v1/incidents/{id}/postmortem", Write),
    r(Get, "/api/v1/incidents/{id}/postmortem/revisions", Read),
    r(Get, "/api/v1/incidents/{id}/postmortem/diff", Read),
    r(Post, "/api/v1/incidents/{id}/postmortem/regenerate", Write),
    r(Get, "/api/v1/services", Read),
    r(Get, "/api/v1/search", Read),
    r(Get, "/api/v1/search/suggest", Read),
    r(Get, "/api/v1/incidents/{id}/similar", Read),
    r(Post, "/api/v1/reports", Public),
    r(Post, "/api/v1/ingest/reports-jsonl", Write),
    r(Post, "/api/v1/ingest/services", Write),
    r(Post, "/api/v1/incidents/{id}/links/{other}/confirm", Write),
    r(Delete, "/api/v1/incidents/{id}/links/{other}", Write),
    r(Post, "/api/v1/ingest/{format}", Write),
    // The source's secret in the path is the credential (Statuspage sends no headers).
    r(Post, "/api/v1/hooks/{source_id}/{secret}", Public),
    r(Get, "/api/v1/services/{slug}", Read),
    r(Put, "/api/v1/services/{slug}", Write),
    // Administration (src/http/api/admin.rs): webhook addresses carry their secret.
    r(Get, "/api/v1/sources", Admin),
    r(Post, "/api/v1/sources", Admin),
    r(Delete, "/api/v1/sources/{id}", Admin),
    r(Get, "/api/v1/tokens", Admin),
    r(Post, "/api/v1/tokens", Admin),
    r(Delete, "/api/v1/tokens/{id}", Admin),
    // Notifications out (src/http/api/subscriptions.rs): a write token manages its own.
    r(Get, "/api/v1/subscriptions", Write),
    r(Post, "/api/v1/subscriptions", Write),
    r(Get, "/api/v1/subscriptions/{id}", Write),
    r(Delete, "/api/v1/subscriptions/{id}", Write),
    r(Post, "/api/v1/subscriptions/{id}/rotate-secret", Write),
    r(Post, "/api/v1/subscriptions/{id}/resume", Write),
    r(Post, "/api/v1/subscriptions/{id}/test", Write),
    r(Get, "/api/v1/subscriptions/{id}/deliveries", Write),
    // Feeds and operations (src/http/feeds.rs, src/http/ops.rs).
    r(Get, "/feed.atom", Read),
    r(Get, "/history.rss", Read),
    r(Get, "/services/{slug}/feed.atom", Read),
    r(Get, "/healthz", Public),
    r(Get, "/metrics", Read),
    r(Get, "/api/openapi.json", Read),
    // Pages (src/http/pages/mod.rs).
    r(Get, "/", Read),
    r(Get, "/static/style.css", Public),
    r(Get, "/static/suggest.js", Public),
    r(Get, "/static/favicon.svg", Public),
    r(Get, "/incidents", Read),
    r(Get, "/search", Read),
    r(Get, "/incidents/new", Write),
    r(Post, "/incidents/new", Write),
    r(Get, "/incidents/{id}", Read),
    r(Get, "/incidents/{id}/edit", Write),
    r(Post, "/incidents/{id}/edit", Write),
    r(Get, "/incidents/{id}/postmortem.md", Read),
    r(Get, "/incidents/{id}/postmortem.html", Read),
    r(Get, "/incidents/{id}/postmortem", Read),
    r(Post, "/incidents/{id}/postmortem", Write),
    r(Post, "/incidents/{id}/postmortem/regenerate", Write),
    r(Post, "/incidents/{id}/updates", Write),
    r(Get, "/services/{slug}", Read),
    r(Get, "/signin", Public),
    r(Post, "/signin", Public),
    r(Post, "/signout", Public),
    r(Get, "/admin/sources", Admin),
    r(Post, "/admin/sources", Admin),
    r(Post, "/admin/sources/{id}/remove", Admin),
    r(Get, "/admin/tokens", Admin),
    r(Post, "/admin/tokens", Admin),
    r(Post, "/admin/tokens/{id}/revoke", Admin),
    r(Get, "/admin/audit", Admin),
    r(Get, "/report", Public),
    r(Post, "/report", Public),
    r(Get, "/services/{slug}/reports.svg", Read),
    r(Get, "/incidents/{id}/reports.svg", Read),
    r(Post, "/incidents/{id}/links/{other}/{action}", Write),
    // Links in notification mail (src/http/pages/subscription_links.rs): the key is the
    // credential.
    r(Get, "/subscriptions/{id}/confirm", Public),
    r(Post, "/subscriptions/{id}/confirm", Public),
    r(Get, "/subscriptions/{id}/unsubscribe", Public),
    r(Post, "/subscriptions/{id}/unsubscribe", Public),
    // Subscriptions for signed-in users (src/http/pages/subscriptions.rs).
    r(Get, "/subscriptions", Write),
    r(Post, "/subscriptions", Write),
    r(Get, "/subscriptions/{id}", Write),
    r(Post, "/subscriptions/{id}/test", Write),
    r(Post, "/subscriptions/{id}/resume", Write),
    r(Post, "/subscriptions/{id}/delete", Write),
];

/// What the table says about a matched pattern and a method.
enum Lookup {
    Route(Route),
    /// The pattern is declared, not with this method.
    OtherMethod,
    /// The pattern is not declared at all: a route added without saying what it needs.
    Undeclared,
}

fn lookup(pattern: &str, method: &str) -> Lookup {
    let mut declared = false;
    for route in ROUTES.iter().filter(|r| r.path == pattern) {
        declared = true;
        if route.method.as_str() == method {
            return Lookup::Route(*route);
        }
    }
    if declared {
        Lookup::OtherMethod
    } else {
        Lookup::Undeclared
    }
}

type Answer = Result<ServiceResponse<BoxBody>, actix_web::Error>;

/// Middleware (`actix_web::middleware::from_fn`, inside the session middleware) that lets a
/// request through only when its caller has the scope [`ROUTES`] asks for.
pub async fn guard(mut req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    let pattern = req.resource_map().match_pattern(req.match_info().as_str());
    let Some(pattern) = pattern else {
        // No route matches: the app's 404 answers, and no handler runs.
        return pass(req, next).await;
    };
    let route = match lookup(&pattern, req.method().as_str()) {
        Lookup::Route(route) => route,
        Lookup::OtherMethod => return Ok(method_not_allowed(req, &pattern)),
        Lookup::Undeclared => {
            tracing::error!(%pattern, "route missing from http::routes::ROUTES; refused");
            let e = ApiError::Internal(format!("route {pattern} has no declared scope").into());
            return Ok(problem(req, &e));
        }
    };
    let public_read = req
        .app_data::<web::Data<AppState>>()
        .is_none_or(|s| s.config.public_read);
    let Some(needed) = route.need.scope(public_read) else {
        return pass(req, next).await;
    };
    if auth::has_authorization(req.request()) {
        let token = match auth::bearer_token(req.request()).await {
            Ok(token) => token,
            Err(e) => return Ok(problem(req, &e)),
        };
        return match auth::require(token, needed) {
            Ok(token) => {
                req.extensions_mut().insert(Verified(token));
                pass(req, next).await
            }
            Err(e) => Ok(problem(req, &e)),
        };
    }
    if !route.is_page() {
        let e = ApiError::Unauthorized("this endpoint needs Authorization: Bearer TOKEN");
        return Ok(problem(req, &e));
    }
    let layout = req.extract::<Layout>().await?;
    match session_token(&req, &layout).await {
        Ok(Some(token)) if token.scope.includes(needed) => pass(req, next).await,
        Ok(Some(token)) => {
            let message = format!(
                "This page needs the {} scope; you are signed in with a {} token.",
                needed.as_str(),
                token.scope.as_str()
            );
            Ok(page(req, layout, message))
        }
        Ok(None) if route.method == Verb::Get => Ok(to_signin(req)),
        Ok(None) => Ok(page(req, layout, "Sign in to do this.".into())),
        Err(e) => Ok(problem(req, &e)),
    }
}

async fn pass(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The signed-in session's live token, looked up by the id the session remembers.
async fn session_token(
    req: &ServiceRequest,
    layout: &Layout,
) -> Result<Option<TokenInfo>, ApiError> {
    let (Some(id), Some(state)) = (
        layout.token_id.clone(),
        req.app_data::<web::Data<AppState>>(),
    ) else {
        return Ok(None);
    };
    state
        .db_run(move |conn| tokens::live_by_id(conn, &id))
        .await
}

/// 405 with the `Allow` header RFC 9110 asks for: the methods the table declares (and `HEAD`
/// wherever `GET` is, see [`super::head`]).
fn method_not_allowed(req: ServiceRequest, pattern: &str) -> ServiceResponse<BoxBody> {
    let mut allowed: Vec<&str> = ROUTES
        .iter()
        .filter(|r| r.path == pattern)
        .map(|r| r.method.as_str())
        .collect();
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    let mut res = ApiError::MethodNotAllowed.error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
        res.headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    req.into_response(res)
}

fn problem(req: ServiceRequest, e: &ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(e.error_response())
}

fn page(req: ServiceRequest, layout: Layout, message: String) -> ServiceResponse<BoxBody> {
    req.into_response(error_page(layout, StatusCode::FORBIDDEN, message))
}

/// A signed-out GET of a page goes to sign in, and comes back after.
fn to_signin(req: ServiceRequest) -> ServiceResponse<BoxBody> {
    let next = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    let location = format!("/signin?next={}", query_value(&next));
    req.into_response(
        HttpResponse::SeeOther()
            .insert_header(("Location", location))
            .finish(),
    )
}

/// Percent-encodes what would end or split a query value, keeping a path readable.
fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$'()*,;:@?".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_declared_once() {
        let mut seen = std::collections::BTreeSet::new();
        for route in ROUTES {
            assert!(
                seen.insert((route.path, route.method.as_str())),
                "{} {} is declared twice",
                route.method.as_str(),
                route.path
            );
        }
    }

    #[test]
    fn read_routes_open_when_reads_are_public_and_nothing_else_does() {
        assert_eq!(Need::Read.scope(true), None);
        assert_eq!(Need::Read.scope(false), Some(Scope::Read));
        assert_eq!(Need::Public.scope(false), None);
        assert_eq!(Need::Write.scope(true), Some(Scope::Write));
        assert_eq!(Need::Admin.scope(true), Some(Scope::Admin));
    }

    /// A route registered without a row is refused, never opened; an undeclared method of a
    /// declared route gets 405.
    #[actix_web::test]
    async fn what_the_table_does_not_declare_is_refused() {
        use actix_web::{App, test};
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(guard))
                .route("/undeclared", web::get().to(|| async { "open" }))
                .route("/healthz", web::post().to(|| async { "open" })),
        )
        .await;
        let res = test::call_service(
            &app,
            test::TestRequest::get().uri("/undeclared").to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let res =
            test::call_service(&app, test::TestRequest::post().uri("/healthz").to_request()).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn a_next_address_keeps_its_query_in_one_value() {
        assert_eq!(query_value("/incidents/new"), "/incidents/new");
        assert_eq!(
            query_value("/search?q=a b&sort=date"),
            "/search?q%3Da%20b%26sort%3Ddate"
        );
    }
}
