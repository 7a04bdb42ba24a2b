//! The JSON API under `/api/v1`, and its OpenAPI description generated from the handlers' types.

pub mod admin;
pub mod dto;
pub mod incidents;
pub mod ingest;
// User reports and links.
pub mod links;
pub mod openapi;
mod parse;
pub mod postmortems;
pub mod reports;
pub mod search;
pub mod services;
pub mod statuspage_v2;
pub mod suggest;
// Notifications out.
pub mod subscriptions;
pub mod versions;

use actix_web::web;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Registers the routes. Each path is one resource, so a wrong method answers 405, not 404.
/// Every path is written whole (no `web::scope`), so each `web::resource` string is exactly the
/// pattern [`super::routes::ROUTES`] declares with its scope.
// Whole on purpose: this is the API's route table, one entry per resource; split up, a reader
// could no longer see every path and method of the API in one place.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v2/summary.json").route(web::get().to(statuspage_v2::summary)))
        .service(web::resource("/api/v2/status.json").route(web::get().to(statuspage_v2::status)))
        .service(
            web::resource("/api/v2/components.json")
                .route(web::get().to(statuspage_v2::components)),
        )
        .service(
            web::resource("/api/v2/incidents.json")
                .route(web::get().to(statuspage_v2::incidents_recent)),
        )
        .service(
            web::resource("/api/v2/incidents/unresolved.json")
                .route(web::get().to(statuspage_v2::incidents_unresolved)),
        )
        .service(
            web::resource("/api/v2/scheduled-maintenances.json")
                .route(web::get().to(statuspage_v2::maintenances::all)),
        )
        .service(
            web::resource("/api/v2/scheduled-maintenances/upcoming.json")
                .route(web::get().to(statuspage_v2::maintenances::upcoming)),
        )
        .service(
            web::resource("/api/v2/scheduled-maintenances/active.json")
                .route(web::get().to(statuspage_v2::maintenances::active)),
        );
    cfg.service(
        web::resource("/api/v1/incidents")
            .route(web::get().to(incidents::list_incidents))
            .route(web::post().to(incidents::create_incident)),
    )
    .service(
        web::resource("/api/v1/incidents/{id}")
            .route(web::get().to(incidents::get_incident))
            .route(web::patch().to(incidents::patch_incident)),
    )
    .service(
        web::resource("/api/v1/incidents/{id}/updates")
            .route(web::post().to(incidents::post_update)),
    )
    .service(
        web::resource("/api/v1/incidents/{id}/postmortem")
            .app_data(
                web::JsonConfig::default()
                    .limit(postmortems::MARKDOWN_MAX_BYTES + 4096)
                    .error_handler(crate::http::problem::json_error),
            )
            .route(web::get().to(postmortems::get_postmortem))
            .route(web::post().to(postmortems::save_postmortem)),
    )
    .service(
        web::resource("/api/v1/incidents/{id}/postmortem/revisions")
            .route(web::get().to(postmortems::list_revisions)),
    )
    .service(
        web::resource("/api/v1/incidents/{id}/postmortem/diff")
            .route(web::get().to(postmortems::diff_revisions)),
    )
    .service(
        web::resource("/api/v1/incidents/{id}/postmortem/regenerate")
            .route(web::post().to(postmortems::regenerate)),
    )
    .service(web::resource("/api/v1/services").route(web::get().to(services::list_services)))
    .service(web::resource("/api/v1/search").route(web::get().to(search::search)))
    .service(web::resource("/api/v1/search/suggest").route(web::get().to(suggest::suggest)))
    .service(web::resource("/api/v1/incidents/{id}/similar").route(web::get().to(search::similar)))
    // User reports and links; registered before /ingest/{format}, which
    // would otherwise take these formats as unknown names.
    .service(web::resource("/api/v1/reports").route(web::post().to(reports::file_report)))
    .service(
        web::resource("/api/v1/ingest/reports-jsonl")
            .app_data(web::PayloadConfig::default().limit(ingest::INGEST_LIMIT))
            .route(web::post().to(reports::backfill_reports)),
    )
    .service(
        web::resource("/api/v1/ingest/services")
            .app_data(web::PayloadConfig::default().limit(ingest::WEBHOOK_LIMIT))
            .route(web::post().to(reports::ingest_catalog)),
    )
    .service(
        web::resource("/api/v1/incidents/{id}/links/{other}/confirm")
            .route(web::post().to(links::confirm_link)),
    )
    .service(
        web::resource("/api/v1/incidents/{id}/links/{other}")
            .route(web::delete().to(links::remove_link)),
    )
    .service(
        web::resource("/api/v1/ingest/{format}")
            .app_data(web::PayloadConfig::default().limit(ingest::INGEST_LIMIT))
            .route(web::post().to(ingest::ingest_document)),
    )
    .service(
        web::resource("/api/v1/hooks/{source_id}/{secret}")
            .app_data(web::PayloadConfig::default().limit(ingest::WEBHOOK_LIMIT))
            .route(web::post().to(ingest::receive_webhook)),
    )
    .service(
        web::resource("/api/v1/services/{slug}")
            .route(web::get().to(services::get_service))
            .route(web::put().to(services::put_service)),
    );
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Aftermath", description = "Incident timelines, services and postmortems."),
    paths(
        incidents::list_incidents,
        incidents::create_incident,
        incidents::get_incident,
        incidents::patch_incident,
        incidents::post_update,
        services::list_services,
        services::get_service,
        services::put_service,
        ingest::ingest_document,
        postmortems::get_postmortem,
        postmortems::save_postmortem,
        postmortems::list_revisions,
        postmortems::diff_revisions,
        postmortems::regenerate,
        ingest::receive_webhook,
        crate::http::ops::healthz,
        crate::http::ops::metrics_doc,
        crate::http::ops::openapi_json,
        statuspage_v2::summary,
        statuspage_v2::incidents_recent,
        statuspage_v2::incidents_unresolved,
        crate::http::feeds::feed_atom,
        statuspage_v2::parity::status,
        statuspage_v2::parity::components,
        statuspage_v2::maintenances::all,
        statuspage_v2::maintenances::upcoming,
        statuspage_v2::maintenances::active,
        crate::http::feeds::rss::history_rss,
        crate::http::feeds::service::service_atom,
        search::search,
        search::similar,
        suggest::suggest,
        reports::file_report,
        reports::backfill_reports,
        reports::ingest_catalog,
        links::confirm_link,
        links::remove_link,
        admin::list_sources,
        admin::add_source,
        admin::remove_source,
        admin::list_tokens,
        admin::create_token,
        admin::revoke_token,
        subscriptions::create_subscription,
        subscriptions::list_subscriptions,
        subscriptions::get_subscription,
        subscriptions::delete_subscription,
        subscriptions::rotate_secret,
        subscriptions::resume,
        subscriptions::send_test,
        subscriptions::list_deliveries,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;
