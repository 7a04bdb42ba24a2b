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
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed: String = out.trim_end_matches('-').chars().take(64).collect();
        Self::parse("slug", trimmed.trim_end_matches('-')).ok()
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
}
