//! `GET /feed.atom`: incidents with their updates as Atom 1.0, shaped like Statuspage's
//! `history.atom` (formats.md §1e) so feed readers and the tools that parse Statuspage feeds
//! (our own `ingest::feed` among them) read it unchanged.
//!
//! Rules:
//! - One entry per incident, the [`RECENT`] most recent, scoped by `?service=` like the
//!   Statuspage reads (and loaded by the same code, so both tell the same story).
//! - Entry ids are `tag:` URIs built from the host and the incident id, so they never change.
//!   Host and links come from [`crate::http::origin`]: the public URL when set, else the
//!   request's own Host; `X-Forwarded-Host` only from a trusted proxy.
//! - `content type="html"` holds every update newest first as
//!   `<p><small>Mon D, HH:MM UTC</small><br><strong>Label</strong> - body</p>`; the label is the
//!   status in Title Case when the update moved it, `Update` otherwise. Bodies are plain text or
//!   Markdown, never trusted HTML: they are HTML-escaped (line breaks become `<br />`), and the
//!   XML writer escapes that HTML once more. No string concatenation builds XML.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::db::incidents::IncidentDetail;
use crate::domain::IncidentStatus;
use crate::http::api::statuspage_v2::{self as v2, Loaded, RECENT, ScopeQuery, Which};
use crate::http::origin::origin;
use crate::http::problem::ApiError;
use crate::http::{AppState, caching};

pub mod rss;
pub mod service;

pub const ATOM: &str = "application/atom+xml; charset=utf-8";

/// The feeds, by their registered patterns: public reads like the API's, never pages.
pub const FEEDS: &[&str] = &["/feed.atom", "/history.rss", "/services/{slug}/feed.atom"];

/// Whether `pattern` (as registered) is one of the [`FEEDS`].
pub fn is_feed(pattern: &str) -> bool {
    FEEDS.contains(&pattern)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/feed.atom").route(web::get().to(feed_atom)))
        .service(web::resource("/history.rss").route(web::get().to(rss::history_rss)))
        .service(
            web::resource("/services/{slug}/feed.atom").route(web::get().to(service::service_atom)),
        );
}

#[utoipa::path(get, path = "/feed.atom", params(ScopeQuery), tag = "feeds",
    responses((status = 200, description = "Atom 1.0 feed of incidents", content_type = "application/atom+xml"),
        (status = 400, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)))]
pub async fn feed_atom(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ScopeQuery>,
) -> Result<HttpResponse, ApiError> {
    let service = query.into_inner().service;
    let loaded = v2::load(&state, service.clone(), Which::Recent).await?;
    let origin = origin(&req, &state.config);
    let self_path = match &service {
        Some(slug) => format!("/feed.atom?service={slug}"),
        None => "/feed.atom".to_string(),
    };
    let xml = render(
        &loaded,
        &origin.base,
        &origin.host,
        service.as_deref(),
        &self_path,
    )
    .map_err(ApiError::internal)?;
    Ok(caching::ok(loaded.updated_at).content_type(ATOM).body(xml))
}

/// XML 1.0 cannot carry most control characters even escaped; they are dropped.
pub(crate) fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// A body as HTML: escaped, line breaks as `<br />` (what Statuspage's feed does).
fn body_html(body: &str) -> String {
    partial_escape(xml_safe(body).as_str())
        .replace("\r\n", "\n")
        .replace('\n', "<br />")
}

fn title_case(status: IncidentStatus) -> String {
    let word = status.as_str();
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Every update newest first, in Statuspage's `history.atom` markup.
pub(crate) fn content_html(d: &IncidentDetail) -> String {
    let mut previous = None;
    let mut parts: Vec<String> = Vec::new();
    for (entry, status) in v2::update_statuses(&d.timeline) {
        let label = match status {
            Some(s) if previous != Some(s) => title_case(s),
            _ => "Update".to_string(),
        };
        previous = status;
        let t = entry.occurred_at;
        parts.push(format!(
            "<p><small>{} <var data-var='date'>{}</var>, <var data-var='time'>{}</var> UTC</small><br><strong>{label}</strong> - {}</p>",
            t.format("%b"),
            t.format("%e"),
            t.format("%H:%M"),
            body_html(&entry.body),
        ));
    }
    parts.reverse();
    parts.concat()
}

fn atom_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) type Xml = Writer<Vec<u8>>;

pub(crate) fn text_element(w: &mut Xml, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_safe(text)))?;
    Ok(())
}

fn link(w: &mut Xml, rel: &str, kind: &str, href: &str) -> std::io::Result<()> {
    w.create_element("link")
        .with_attributes([("rel", rel), ("type", kind), ("href", href)])
        .write_empty()?;
    Ok(())
}

fn entry(w: &mut Xml, d: &IncidentDetail, base: &str, host: &str) -> std::io::Result<()> {
    let i = &d.incident;
    w.create_element("entry").write_inner_content(|w| {
        text_element(w, "id", &format!("tag:{host},2025:Incident/{}", i.id))?;
        text_element(
            w,
            "published",
            &atom_time(i.milestones.started.unwrap_or(i.created_at)),
        )?;
        text_element(w, "updated", &atom_time(i.updated_at))?;
        link(
            w,
            "alternate",
            "text/html",
            &format!("{base}/incidents/{}", i.id),
        )?;
        text_element(w, "title", &i.title)?;
        w.create_element("content")
            .with_attribute(("type", "html"))
            .write_text_content(BytesText::new(&content_html(d)))?;
        Ok(())
    })?;
    Ok(())
}

/// The whole feed document; `self_path` is where it is served (its `rel="self"` link).
pub fn render(
    loaded: &Loaded,
    base: &str,
    host: &str,
    service: Option<&str>,
    self_path: &str,
) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let name = loaded
        .service
        .as_ref()
        .map_or_else(|| "Aftermath".to_string(), |s| s.name.clone());
    let self_href = format!("{base}{self_path}");
    let (id, page) = match service {
        Some(slug) => (
            format!("tag:{host},2025:/history?service={slug}"),
            format!("{base}/services/{slug}"),
        ),
        None => (format!("tag:{host},2025:/history"), format!("{base}/")),
    };
    // An empty feed still needs `updated`: the page's last change, or now.
    let updated = loaded.updated_at.unwrap_or_else(Utc::now);
    w.create_element("feed")
        .with_attributes([
            ("xml:lang", "en-US"),
            ("xmlns", "http://www.w3.org/2005/Atom"),
        ])
        .write_inner_content(|w| {
            text_element(w, "id", &id)?;
            link(w, "alternate", "text/html", &page)?;
            link(w, "self", "application/atom+xml", &self_href)?;
            text_element(w, "title", &format!("{name} Status - Incident History"))?;
            text_element(w, "updated", &atom_time(updated))?;
            w.create_element("author")
                .write_inner_content(|w| text_element(w, "name", &name))?;
            for d in loaded.incidents.iter().take(RECENT as usize) {
                entry(w, d, base, host)?;
            }
            Ok(())
        })?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}
