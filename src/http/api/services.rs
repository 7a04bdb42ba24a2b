//! `/api/v1/services`: the service catalog.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{IncidentJson, ReportBucketJson, ServiceDetailJson, ServiceJson, ServiceListJson};
use crate::db::incidents::{self, IncidentFilter};
use crate::db::services::{self, Put};
use crate::domain::{Service, ServiceFields, ServiceSlug};
use crate::http::AppState;
use crate::http::auth::WriteAccess;
use crate::http::problem::{ApiError, Problem};

#[utoipa::path(get, path = "/api/v1/services", tag = "services", responses((status = 200, body = ServiceListJson)))]
pub async fn list_services(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = state.db_run(services::list).await?;
    Ok(HttpResponse::Ok().json(ServiceListJson {
        items: all.iter().map(ServiceJson::from).collect(),
    }))
}

fn parse_slug(raw: &str) -> Result<ServiceSlug, ApiError> {
    ServiceSlug::parse("slug", raw).map_err(|e| ApiError::BadRequest(e.message))
}

#[utoipa::path(get, path = "/api/v1/services/{slug}", tag = "services",
    params(("slug" = String, Path, description = "Service slug")),
    responses((status = 200, body = ServiceDetailJson), (status = 404, body = Problem)))]
pub async fn get_service(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = parse_slug(&slug)?;
    let wanted = slug.clone();
    let (service, dependents, recent, buckets) = state
        .db_run(move |conn| {
            let service = services::get(conn, wanted.as_str())?;
            let dependents: Vec<String> = services::list(conn)?
                .into_iter()
                .filter(|s| s.depends_on.contains(&wanted))
                .map(|s| s.slug.to_string())
                .collect();
            let filter = IncidentFilter {
                service: Some(wanted.to_string()),
                ..Default::default()
            };
            let recent = incidents::list(conn, &filter, 20, None)?.items;
            let now = chrono::Utc::now();
            let buckets = crate::db::reports::buckets_between(
                conn,
                wanted.as_str(),
                now - chrono::Duration::hours(24),
                now + chrono::Duration::minutes(1),
            )?;
            Ok((service, dependents, recent, buckets))
        })
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound(format!("no service {slug}")),
            other => other,
        })?;
    Ok(HttpResponse::Ok().json(ServiceDetailJson {
        service: ServiceJson::from(&service),
        dependents,
        recent_incidents: recent.iter().map(IncidentJson::from).collect(),
        report_buckets: buckets
            .into_iter()
            .map(|(minute, count)| ReportBucketJson {
                minute: super::dto::rfc3339(minute),
                count,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "name": "Nimbus Cloud us-east-1",
    "provider": "nimbus",
    "region": "us-east-1",
    "kind": "infrastructure",
    "depends_on": [],
    "status_page_url": "https://status.nimbus.example/"
})))]
pub struct PutService {
    name: String,
    provider: Option<String>,
    region: Option<String>,
    /// infrastructure | application (default application)
    kind: Option<String>,
    depends_on: Option<Vec<String>>,
    status_page_url: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/services/{slug}", request_body = PutService, tag = "services",
    security(("bearer" = [])), params(("slug" = String, Path, description = "Service slug")),
    responses((status = 201, body = ServiceJson), (status = 200, body = ServiceJson), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn put_service(
    state: web::Data<AppState>,
    _access: WriteAccess,
    slug: web::Path<String>,
    body: web::Json<PutService>,
) -> Result<HttpResponse, ApiError> {
    let slug = parse_slug(&slug)?;
    let p = body.into_inner();
    let service = Service::from_fields(
        slug,
        &ServiceFields {
            name: &p.name,
            provider: p.provider.as_deref(),
            region: p.region.as_deref(),
            kind: p.kind.as_deref(),
            depends_on: p.depends_on.as_deref().unwrap_or_default(),
            status_page_url: p.status_page_url.as_deref(),
        },
    )?;
    let json = ServiceJson::from(&service);
    let outcome = state
        .db_write(move |conn| {
            let outcome = services::put(conn, &service)?;
            if outcome != Put::Unchanged {
                // Kind and dependencies decide cascade links.
                crate::correlate::links::recompute_for_services(conn, &[service.slug.to_string()])?;
            }
            Ok(outcome)
        })
        .await?;
    Ok(match outcome {
        Put::Created => HttpResponse::Created().json(json),
        Put::Replaced | Put::Unchanged => HttpResponse::Ok().json(json),
    })
}
