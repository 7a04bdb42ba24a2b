//! The `services` catalog: `[[service]]` TOML tables naming services and what they depend on.
//!
//! Rules: a catalog is parsed whole; the first bad table fails it, naming the table, and
//! nothing of it is returned. The service rules are the domain's (`Service::from_fields`), the
//! same that `PUT /api/v1/services/{slug}` applies.

use serde::Deserialize;

use super::reports::LineError;
use crate::domain::{Service, ServiceFields, ServiceSlug, ValidationError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    #[serde(default)]
    service: Vec<CatalogEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogEntry {
    slug: String,
    name: String,
    provider: Option<String>,
    region: Option<String>,
    kind: String,
    depends_on: Option<Vec<String>>,
    status_page_url: Option<String>,
}

/// Parses a `services` catalog: `[[service]]` tables.
pub fn parse_catalog(bytes: &[u8]) -> Result<Vec<Service>, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|_| LineError {
        line: 1,
        message: "not valid UTF-8".into(),
    })?;
    let catalog: Catalog = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |s| 1 + text[..s.start].matches('\n').count());
        LineError {
            line,
            message: e.message().to_string(),
        }
    })?;
    let mut out = Vec::new();
    for (i, e) in catalog.service.into_iter().enumerate() {
        let err = |message: String| LineError {
            line: i + 1,
            message: format!("[[service]] #{}: {message}", i + 1),
        };
        let slug = ServiceSlug::parse("slug", &e.slug).map_err(|e| err(e.to_string()))?;
        let service = Service::from_fields(
            slug,
            &ServiceFields {
                name: &e.name,
                provider: e.provider.as_deref(),
                region: e.region.as_deref(),
                kind: Some(&e.kind),
                depends_on: e.depends_on.as_deref().unwrap_or_default(),
                status_page_url: e.status_page_url.as_deref(),
            },
        )
        .map_err(|errors| err(joined(&errors)))?;
        out.push(service);
    }
    if out.is_empty() {
        return Err(LineError {
            line: 1,
            message: "no [[service]] tables in the catalog".into(),
        });
    }
    Ok(out)
}

fn joined(errors: &[ValidationError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
