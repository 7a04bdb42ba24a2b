//! `GET /history.rss`: the incident history as RSS 2.0, as Statuspage's `history.rss` gives it
//! (formats.md §1e): the same items as `/feed.atom`, scoped by `?service=` the same way.
//!
//! Rules:
//! - One `item` per incident: `title`, `description` (the Atom entry's HTML content: every
//!   update newest first, escaped by the XML writer), `pubDate` (when it started, RFC 822),
//!   `link` and `guid` (its page, which never changes).
//! - The channel names the page (`<Name> Status - Incident History`), links to it and to itself
//!   (`atom:link rel="self"`, as RSS validators ask), and dates itself by the last change.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, Event};

use super::{Xml, content_html, text_element};
use crate::db::incidents::IncidentDetail;
use crate::http::api::statuspage_v2::{self as v2, Loaded, RECENT, ScopeQuery, Which};
use crate::http::origin::origin;
use crate::http::problem::{ApiError, Problem};
use crate::http::{AppState, caching};

pub const RSS: &str = "application/rss+xml; charset=utf-8";

#[utoipa::path(get, path = "/history.rss", params(ScopeQuery), tag = "feeds", operation_id = "history_rss",
    responses((status = 200, description = "RSS 2.0 feed of incidents", content_type = "application/rss+xml"),
        (status = 304, description = "Not modified since If-None-Match or If-Modified-Since"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn history_rss(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let service = query.into_inner().service;
    let loaded = v2::load(&state, service.clone(), Which::Recent).await?;
    let base = origin(&req, &state.config).base;
    let xml = render(&loaded, &base, service.as_deref()).map_err(ApiError::internal)?;
    Ok(caching::ok(loaded.updated_at).content_type(RSS).body(xml))
}

fn rfc822(t: DateTime<Utc>) -> String {
    t.to_rfc2822()
}

fn item(w: &mut Xml, d: &IncidentDetail, base: &str) -> std::io::Result<()> {
    let i = &d.incident;
    let page = format!("{base}/incidents/{}", i.id);
    w.create_element("item").write_inner_content(|w| {
        text_element(w, "title", &i.title)?;
        text_element(w, "description", &content_html(d))?;
        let published = i.milestones.started.unwrap_or(i.created_at);
        text_element(w, "pubDate", &rfc822(published))?;
        text_element(w, "link", &page)?;
        text_element(w, "guid", &page)?;
        Ok(())
    })?;
    Ok(())
}

/// The whole RSS document.
pub fn render(loaded: &Loaded, base: &str, service: Option<&str>) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let name = loaded
        .service
        .as_ref()
        .map_or_else(|| "Aftermath".to_string(), |s| s.name.clone());
    let (self_href, page) = match service {
        Some(slug) => (
            format!("{base}/history.rss?service={slug}"),
            format!("{base}/services/{slug}"),
        ),
        None => (format!("{base}/history.rss"), format!("{base}/")),
    };
    // An empty feed still dates itself: the page's last change, or now.
    let updated = loaded.updated_at.unwrap_or_else(Utc::now);
    w.create_element("rss")
        .with_attributes([
            ("version", "2.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
        ])
        .write_inner_content(|w| {
            w.create_element("channel").write_inner_content(|w| {
                text_element(w, "title", &format!("{name} Status - Incident History"))?;
                text_element(w, "link", &page)?;
                text_element(w, "description", &format!("{name} Status"))?;
                w.create_element("atom:link")
                    .with_attributes([
                        ("href", self_href.as_str()),
                        ("rel", "self"),
                        ("type", "application/rss+xml"),
                    ])
                    .write_empty()?;
                text_element(w, "lastBuildDate", &rfc822(updated))?;
                for d in loaded.incidents.iter().take(RECENT as usize) {
                    item(w, d, base)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}
