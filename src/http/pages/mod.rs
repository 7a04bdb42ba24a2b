//! Server-rendered pages (askama). They work without JavaScript and escape every value; the only
//! unescaped output is `SafeHtml`, which only the Markdown sanitiser can make.

mod admin;
mod cascade;
mod charts;
mod edit;
mod forms;
mod incidents;
mod maintenances;
mod postmortem;
mod reports;
mod search;
mod search_notice;
mod services;
pub mod session;
mod sources;
// Notification mail links.
pub mod subscription_links;
pub mod subscriptions;
mod view;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

pub use session::Layout;

const STYLESHEET: &str = include_str!("../../../static/style.css");
/// The search box's suggestions; the page works without it.
const SUGGEST_SCRIPT: &str = include_str!("../../../static/suggest.js");
/// The site's icon: without one, every browser asks for `/favicon.ico` and logs its 404 as a
/// console error on every page.
const FAVICON: &str = include_str!("../../../static/favicon.svg");

// Whole on purpose: this is the pages' route table, one entry per resource; split up, a reader
// could no longer see every page and form of the site in one place.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(incidents::home)))
        .service(web::resource("/static/style.css").route(web::get().to(stylesheet)))
        .service(web::resource("/static/suggest.js").route(web::get().to(suggest_script)))
        .service(web::resource("/static/favicon.svg").route(web::get().to(favicon)))
        .service(web::resource("/incidents").route(web::get().to(incidents::list_page)))
        .service(web::resource("/search").route(web::get().to(search::search_page)))
        // Registered before /incidents/{id}, which would otherwise take "new" as an id.
        .service(
            web::resource("/incidents/new")
                .route(web::get().to(forms::new_incident_form))
                .route(web::post().to(forms::create_incident)),
        )
        .service(web::resource("/incidents/{id}").route(web::get().to(incidents::incident_page)))
        .service(
            web::resource("/incidents/{id}/edit")
                .route(web::get().to(edit::edit_form))
                .route(web::post().to(edit::save_edit)),
        )
        .service(
            web::resource("/incidents/{id}/postmortem.md")
                .route(web::get().to(crate::http::api::postmortems::download_markdown)),
        )
        .service(
            web::resource("/incidents/{id}/postmortem.html")
                .route(web::get().to(crate::http::api::postmortems::download_html)),
        )
        .service(
            web::resource("/incidents/{id}/postmortem")
                .app_data(
                    web::FormConfig::default()
                        .limit(crate::http::api::postmortems::MARKDOWN_MAX_BYTES * 3),
                )
                .route(web::get().to(postmortem::postmortem_page))
                .route(web::post().to(postmortem::save_postmortem)),
        )
        .service(
            web::resource("/incidents/{id}/postmortem/regenerate")
                .route(web::post().to(postmortem::regenerate)),
        )
        .service(web::resource("/incidents/{id}/updates").route(web::post().to(forms::post_update)))
        .service(web::resource("/services/{slug}").route(web::get().to(services::service_page)))
        .service(
            web::resource("/signin")
                .route(web::get().to(session::signin_form))
                .route(web::post().to(session::signin)),
        )
        .service(web::resource("/signout").route(web::post().to(session::signout)))
        // Administration (admin scope): sources, tokens, the audit log.
        .service(
            web::resource("/admin/sources")
                .route(web::get().to(sources::sources_page))
                .route(web::post().to(sources::add_source)),
        )
        .service(
            web::resource("/admin/sources/{id}/remove")
                .route(web::post().to(sources::remove_source)),
        )
        .service(
            web::resource("/admin/tokens")
                .route(web::get().to(admin::tokens_page))
                .route(web::post().to(admin::create_token)),
        )
        .service(
            web::resource("/admin/tokens/{id}/revoke").route(web::post().to(admin::revoke_token)),
        )
        .service(web::resource("/admin/audit").route(web::get().to(admin::audit_page)))
        // User reports, charts and link decisions.
        .service(
            web::resource("/report")
                .route(web::get().to(reports::report_form))
                .route(web::post().to(reports::file_report)),
        )
        .service(
            web::resource("/services/{slug}/reports.svg")
                .route(web::get().to(charts::service_chart)),
        )
        .service(
            web::resource("/incidents/{id}/reports.svg")
                .route(web::get().to(charts::incident_chart)),
        )
        .service(
            web::resource("/incidents/{id}/links/{other}/{action}")
                .route(web::post().to(reports::decide_link)),
        );
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

async fn suggest_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SUGGEST_SCRIPT)
}

async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(FAVICON)
}

/// Renders a page with a status; a template that fails to render is a logged 500.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/html; charset=utf-8")
                .body("<h1>Internal error</h1>")
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
}

pub fn error_page(layout: Layout, status: StatusCode, message: impl Into<String>) -> HttpResponse {
    let heading = status.canonical_reason().unwrap_or("Error").to_string();
    html(
        status,
        &ErrorPage {
            layout,
            heading,
            message: message.into(),
        },
    )
}

/// Maps a storage or validation failure to an HTML error page (pages never answer JSON).
pub fn page_error(layout: Layout, e: crate::http::problem::ApiError) -> HttpResponse {
    use crate::http::problem::ApiError;
    use actix_web::ResponseError;
    let status = e.status_code();
    let message = match &e {
        ApiError::Internal(_) => {
            // Logged by error_response; the page stays generic.
            let _ = e.error_response();
            "Something went wrong on our side; it has been logged.".to_string()
        }
        other => other.problem().detail,
    };
    error_page(layout, status, message)
}
