//! The links in notification mail: confirm an email subscription, and unsubscribe.
//!
//! Rules:
//! - The key in the link is the credential (like a webhook's secret in its path), so these are
//!   open to everyone and need no session or CSRF token; a wrong key is 404.
//! - A GET only shows a button: mail scanners fetch links, and must not confirm or
//!   unsubscribe anyone. The POST acts; the unsubscribe POST is RFC 8058's one-click, which
//!   mail providers send with the body `List-Unsubscribe=One-Click`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Layout, html, page_error};
use crate::db::subscriptions;
use crate::http::AppState;

/// Registers the routes (each declared in `http::routes::ROUTES`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/subscriptions/{id}/confirm")
            .route(web::get().to(confirm_form))
            .route(web::post().to(confirm)),
    )
    .service(
        web::resource("/subscriptions/{id}/unsubscribe")
            .route(web::get().to(unsubscribe_form))
            .route(web::post().to(unsubscribe)),
    );
}

#[derive(Template)]
#[template(path = "subscription_link.html")]
struct LinkPage {
    layout: Layout,
    heading: String,
    message: String,
    /// Where the button posts; no button when `None`.
    action: Option<String>,
    button: String,
}

#[derive(Debug, Deserialize)]
pub struct Key {
    key: String,
}

fn action(id: &str, what: &str, key: &str) -> String {
    // The id and key are checked before they are echoed: a UUID and hex.
    format!("/subscriptions/{id}/{what}?key={key}")
}

fn plausible(id: &str, key: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
        && key.len() == 64
        && key.bytes().all(|b| b.is_ascii_hexdigit())
}

fn not_found(layout: Layout) -> HttpResponse {
    super::error_page(
        layout,
        StatusCode::NOT_FOUND,
        "This link is not valid (any more).",
    )
}

pub async fn confirm_form(
    layout: Layout,
    id: web::Path<String>,
    key: web::Query<Key>,
) -> HttpResponse {
    if !plausible(&id, &key.key) {
        return not_found(layout);
    }
    let page = LinkPage {
        action: Some(action(&id, "confirm", &key.key)),
        layout,
        heading: "Confirm notifications".into(),
        message: "Confirm that this address should receive Aftermath's incident notifications."
            .into(),
        button: "Confirm".into(),
    };
    html(StatusCode::OK, &page)
}

pub async fn confirm(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    key: web::Query<Key>,
) -> HttpResponse {
    let (id, key) = (id.into_inner(), key.into_inner().key);
    if !plausible(&id, &key) {
        return not_found(layout);
    }
    match state
        .db_write(move |conn| subscriptions::confirm(conn, &id, &key))
        .await
    {
        Ok(_) => done(
            layout,
            "Confirmed",
            "This address now receives the notifications.",
        ),
        Err(crate::http::problem::ApiError::NotFound(_)) => not_found(layout),
        Err(e) => page_error(layout, e),
    }
}

pub async fn unsubscribe_form(
    layout: Layout,
    id: web::Path<String>,
    key: web::Query<Key>,
) -> HttpResponse {
    if !plausible(&id, &key.key) {
        return not_found(layout);
    }
    let page = LinkPage {
        action: Some(action(&id, "unsubscribe", &key.key)),
        layout,
        heading: "Unsubscribe".into(),
        message: "Stop sending Aftermath's incident notifications to this address.".into(),
        button: "Unsubscribe".into(),
    };
    html(StatusCode::OK, &page)
}

pub async fn unsubscribe(
    state: web::Data<AppState>,
    layout: Layout,
    id: web::Path<String>,
    key: web::Query<Key>,
) -> HttpResponse {
    let (id, key) = (id.into_inner(), key.into_inner().key);
    if !plausible(&id, &key) {
        return not_found(layout);
    }
    match state
        .db_write(move |conn| subscriptions::unsubscribe(conn, &id, &key))
        .await
    {
        Ok(()) => done(layout, "Unsubscribed", "Nothing more will be sent."),
        Err(crate::http::problem::ApiError::NotFound(_)) => not_found(layout),
        Err(e) => page_error(layout, e),
    }
}

fn done(layout: Layout, heading: &str, message: &str) -> HttpResponse {
    html(
        StatusCode::OK,
        &LinkPage {
            layout,
            heading: heading.into(),
            message: message.into(),
            action: None,
            button: String::new(),
        },
    )
}
