//! Report charts as server-rendered SVG (plotters, SVG backend only): counts against the
//! baseline. Served as `image/svg+xml` and shown with `<img>`, so a browser never runs anything
//! inside them; they contain numbers and times only, no user text.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use plotters::prelude::*;
use serde::Deserialize;

use crate::correlate::spikes::{ChartBin, chart_bins};
use crate::db;
use crate::http::AppState;
use crate::http::api::incidents::parse_id;

const SIZE: (u32, u32) = (760, 240);

/// The longest span one chart covers.
pub const MAX_SPAN: Duration = Duration::days(31);

/// Draws the bins; `label` formats a bin's start for the x axis.
pub fn render(
    bins: &[ChartBin],
    label: &dyn Fn(DateTime<Utc>) -> String,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let top = bins
            .iter()
            .map(|b| b.count.max(b.baseline))
            .fold(1.0_f64, f64::max)
            * 1.1;
        let n = bins.len().max(2);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(0..n - 1, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|i| bins.get(*i).map(|b| label(b.start)).unwrap_or_default())
            .y_desc("reports")
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                bins.iter().enumerate().map(|(i, b)| (i, b.baseline)),
                BLUE.mix(0.6).stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                bins.iter().enumerate().map(|(i, b)| (i, b.count)),
                RED.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn svg_response(result: Result<String, String>) -> HttpResponse {
    match result {
        Ok(svg) => HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header(("Cache-Control", "max-age=60"))
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'",
            ))
            .body(svg),
        Err(e) => {
            tracing::error!(error = %e, "chart failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[derive(Deserialize)]
pub struct RangeQuery {
    range: Option<String>,
}

/// `/services/{slug}/reports.svg?range=24h|7d`.
pub async fn service_chart(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> HttpResponse {
    let (span, bin) = match q.range.as_deref() {
        Some("7d") => (Duration::days(7), 60),
        _ => (Duration::hours(24), 10),
    };
    let to = crate::correlate::spikes::closed_until(Utc::now()) + Duration::minutes(1);
    let from = to - span;
    let slug = slug.into_inner();
    let result = state
        .db_run(move |conn| {
            if !db::reports::service_exists(conn, &slug)? {
                return Err(db::DbError::NotFound);
            }
            chart_bins(conn, &slug, from, to, bin)
        })
        .await;
    match result {
        Ok(bins) => {
            let fmt = if span > Duration::days(1) {
                "%a %H:%M"
            } else {
                "%H:%M"
            };
            svg_response(render(&bins, &|t| t.format(fmt).to_string()))
        }
        Err(crate::http::problem::ApiError::NotFound(_)) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// `/incidents/{id}/reports.svg`: each spike's service over the incident's window (summed).
pub async fn incident_chart(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    let Ok(id) = parse_id(&id) else {
        return HttpResponse::NotFound().finish();
    };
    let result = state
        .db_run(move |conn| {
            let spikes = db::spikes::spikes_of_incident(conn, &id)?;
            let detail = db::incidents::get(conn, id)?;
            let m = detail.incident.milestones;
            let onset = spikes.iter().map(|s| s.onset()).min();
            let start = match (m.started, onset) {
                (Some(s), Some(o)) => s.min(o),
                (s, o) => s.or(o).unwrap_or(detail.incident.created_at),
            };
            let end = spikes
                .iter()
                .map(|s| s.ended().unwrap_or_else(Utc::now))
                .chain(m.resolved)
                .max()
                .unwrap_or_else(Utc::now);
            let from = start - Duration::hours(1);
            // However long the incident, the chart covers at most its first 31 days, so one
            // request's work is bounded (a start in 1990 must not mean 36 years of bins).
            let to = (end + Duration::hours(1)).min(from + MAX_SPAN);
            let bin = ((to - from).num_minutes() / 150).max(1);
            let mut services: Vec<String> = spikes.iter().map(|s| s.service_slug.clone()).collect();
            if services.is_empty() {
                services = detail.incident.services.clone();
            }
            services.sort();
            services.dedup();
            let mut total: Vec<ChartBin> = Vec::new();
            for s in services {
                let bins = chart_bins(conn, &s, from, to, bin)?;
                if total.is_empty() {
                    total = bins;
                } else {
                    for (t, b) in total.iter_mut().zip(bins) {
                        t.count += b.count;
                        t.baseline += b.baseline;
                    }
                }
            }
            Ok(total)
        })
        .await;
    match result {
        Ok(bins) => svg_response(render(&bins, &|t| t.format("%m-%d %H:%M").to_string())),
        Err(crate::http::problem::ApiError::NotFound(_)) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
