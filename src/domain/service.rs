//! Services: what fails. Providers' regions are infrastructure; apps built on them are applications.

use std::fmt;

use super::status::ServiceKind;
use super::text::ValidationError;

/// A service slug: lower-case ASCII letters, digits and single hyphens, 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceSlug(String);

impl ServiceSlug {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if raw.is_empty()
            || raw.len() > 64
            || !ok_chars
            || raw.starts_with('-')
            || raw.ends_with('-')
            || raw.contains("--")
        {
            return Err(ValidationError::new(
                field,
                format!(
                    "{raw:?} is not a service slug (lower-case letters, digits and single hyphens, at most 64)"
                ),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    /// Turns any name into a slug ("Nimbus Cloud (EU)" → "nimbus-cloud-eu"); `None` when nothing is left.
    pub fn slugify(name: &str) -> Option<Self> {
        Self::parse("slug", &super::slug::slugify(name, super::slug::SERVICE)).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub slug: ServiceSlug,
    pub name: String,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub kind: ServiceKind,
    pub depends_on: Vec<ServiceSlug>,
    pub status_page_url: Option<String>,
}

impl Service {
    /// The service a slug names before anyone has described it: an application named after its slug.
    pub fn unnamed(slug: ServiceSlug) -> Self {
        Self {
            name: slug.as_str().to_string(),
            slug,
            provider: None,
            region: None,
            kind: ServiceKind::Application,
            depends_on: Vec::new(),
            status_page_url: None,
        }
    }
}

/// A service as a person or a catalog describes it, before the rules are checked.
#[derive(Debug, Clone, Copy)]
pub struct ServiceFields<'a> {
    pub name: &'a str,
    pub provider: Option<&'a str>,
    pub region: Option<&'a str>,
    /// `infrastructure` or `application`; `None` means application.
    pub kind: Option<&'a str>,
    pub depends_on: &'a [String],
    pub status_page_url: Option<&'a str>,
}

const NAME_MAX_CHARS: usize = 200;
const LABEL_MAX_CHARS: usize = 100;
const URL_MAX_BYTES: usize = 500;

impl Service {
    /// The one place the service rules live, for the API and the catalog alike: a one-line
    /// name of 1 to 200 characters; provider and region one line of at most 100 (blank means
    /// none); a known kind; valid dependency slugs (sorted, without repeats); a status page URL
    /// that is `http(s)` and at most 500 bytes. Every broken rule is reported, not only the first.
    pub fn from_fields(
        slug: ServiceSlug,
        fields: &ServiceFields<'_>,
    ) -> Result<Self, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let name = fields.name.trim().to_string();
        if name.is_empty()
            || name.chars().count() > NAME_MAX_CHARS
            || name.chars().any(char::is_control)
        {
            errors.push(ValidationError::new(
                "name",
                "must be one line of 1 to 200 characters",
            ));
        }
        let provider = label("provider", fields.provider, &mut errors);
        let region = label("region", fields.region, &mut errors);
        let kind = match fields.kind.map(str::parse::<ServiceKind>) {
            None => ServiceKind::Application,
            Some(Ok(kind)) => kind,
            Some(Err(e)) => {
                errors.push(ValidationError::new("kind", e.to_string()));
                ServiceKind::Application
            }
        };
        let mut depends_on: Vec<ServiceSlug> = fields
            .depends_on
            .iter()
            .filter_map(|d| {
                ServiceSlug::parse("depends_on", d)
                    .map_err(|e| errors.push(e))
                    .ok()
            })
            .collect();
        depends_on.sort();
        depends_on.dedup();
        let given_url = fields
            .status_page_url
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let status_page_url = given_url.and_then(super::link::web_link);
        if given_url.is_some()
            && (status_page_url.is_none() || given_url.map_or(0, str::len) > URL_MAX_BYTES)
        {
            errors.push(ValidationError::new(
                "status_page_url",
                "must be an http(s) URL",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            slug,
            name,
            provider,
            region,
            kind,
            depends_on,
            status_page_url,
        })
    }
}

/// A short one-line label; blank means none.
fn label(
    field: &'static str,
    raw: Option<&str>,
    errors: &mut Vec<ValidationError>,
) -> Option<String> {
    let value = raw.map(str::trim).filter(|s| !s.is_empty())?;
    if value.chars().count() > LABEL_MAX_CHARS || value.chars().any(char::is_control) {
        errors.push(ValidationError::new(
            field,
            "must be one line of at most 100 characters",
        ));
    }
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_strict() {
        assert!(ServiceSlug::parse("s", "aws-us-east-1").is_ok());
        for bad in ["", "AWS", "a b", "-a", "a-", "a--b", "ä"] {
            assert!(
                ServiceSlug::parse("s", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn names_slugify() {
        assert_eq!(
            ServiceSlug::slugify("Nimbus Cloud (EU)").map(|s| s.0),
            Some("nimbus-cloud-eu".into())
        );
        assert_eq!(
            ServiceSlug::slugify("GitHub"),
            Some(ServiceSlug("github".into()))
        );
        assert_eq!(ServiceSlug::slugify("!!!"), None);
    }

    fn fields<'a>(name: &'a str, depends_on: &'a [String]) -> ServiceFields<'a> {
        ServiceFields {
            name,
            provider: Some(" nimbus "),
            region: Some(""),
            kind: None,
            depends_on,
            status_page_url: None,
        }
    }

    fn slug(s: &str) -> ServiceSlug {
        ServiceSlug(s.into())
    }

    #[test]
    fn a_service_is_trimmed_defaults_to_an_application_and_sorts_its_dependencies() {
        let deps = ["b".to_string(), "a".to_string(), "b".to_string()];
        let s = Service::from_fields(slug("app"), &fields("  App  ", &deps)).unwrap();
        assert_eq!(s.name, "App");
        assert_eq!(s.provider.as_deref(), Some("nimbus"));
        assert_eq!(s.region, None, "a blank region is no region");
        assert_eq!(s.kind, ServiceKind::Application);
        assert_eq!(s.depends_on, vec![slug("a"), slug("b")]);
    }

    #[test]
    fn every_broken_rule_is_reported_with_its_field() {
        let deps = ["Not A Slug".to_string()];
        let mut f = fields("", &deps);
        f.provider = Some("line\nbreak");
        f.kind = Some("galaxy");
        f.status_page_url = Some("javascript:alert(1)");
        let errors = Service::from_fields(slug("app"), &f).unwrap_err();
        let named: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            named,
            ["name", "provider", "kind", "depends_on", "status_page_url"]
        );
    }

    #[test]
    fn a_status_page_must_be_an_http_url_of_at_most_500_bytes() {
        let ok = |url: &str| {
            let mut f = fields("App", &[]);
            f.status_page_url = Some(url);
            Service::from_fields(slug("app"), &f).is_ok()
        };
        assert!(ok("https://status.example.com/"));
        assert!(ok("http://status.example.com/"));
        assert!(!ok("ftp://status.example.com/"));
        assert!(!ok(&format!("https://example.com/{}", "a".repeat(500))));
    }
}
