//! A source someone asks Aftermath to follow: a status page to poll, or a Statuspage webhook to
//! receive. `aftermath source add`, `POST /api/v1/sources` and the admin page all parse what
//! they were given through [`SourceSpec::parse`], so they accept and refuse the same things.
//!
//! Rules:
//! - A polled source's kind is a document format name (the caller passes the names it knows)
//!   and it has an absolute `http(s)` URL; it is polled at most every [`MIN_INTERVAL_SECS`] and
//!   at least every [`MAX_INTERVAL_SECS`]. An interval out of those bounds is refused, never
//!   clamped to another value.
//! - A webhook (`statuspage-webhook`) has neither URL nor interval: it is pushed to us.

use super::ServiceSlug;
use super::text::ValidationError;

/// The kind of source that is pushed to us, never fetched.
pub const WEBHOOK_KIND: &str = "statuspage-webhook";
/// How often a polled source is fetched unless told otherwise (5 minutes).
pub const DEFAULT_INTERVAL_SECS: u32 = 300;
/// Politeness: no source is polled more often than this.
pub const MIN_INTERVAL_SECS: u32 = 10;
/// A page polled less often than daily misses whole incidents; and the interval is stored as a
/// 32-bit integer, so a larger one would have been stored as another value.
pub const MAX_INTERVAL_SECS: u32 = 86_400;
const MAX_URL_LEN: usize = 2048;

/// A valid request to follow a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub kind: String,
    pub url: Option<String>,
    pub service: ServiceSlug,
    /// `None` for a webhook.
    pub interval_secs: Option<u32>,
}

impl SourceSpec {
    /// `formats` are the names a polled source's kind may take.
    pub fn parse(
        kind: &str,
        url: Option<&str>,
        service: ServiceSlug,
        interval_secs: Option<u32>,
        formats: &[&str],
    ) -> Result<Self, ValidationError> {
        let kind = kind.trim();
        if kind == WEBHOOK_KIND {
            return Ok(Self {
                kind: kind.to_string(),
                url: None,
                service,
                interval_secs: None,
            });
        }
        if !formats.contains(&kind) {
            return Err(ValidationError::new(
                "kind",
                format!(
                    "unknown kind {kind:?}; use a format name ({}) or {WEBHOOK_KIND}",
                    formats.join(", ")
                ),
            ));
        }
        // The one link rule (`domain::link`), and a source's own length bound.
        let url = url
            .and_then(super::link::web_link)
            .filter(|u| u.len() <= MAX_URL_LEN)
            .ok_or_else(|| {
                ValidationError::new("url", "a polled source needs an absolute http(s) URL")
            })?;
        let interval = interval_secs.unwrap_or(DEFAULT_INTERVAL_SECS);
        check_interval(interval).map_err(|e| ValidationError::new("interval", e))?;
        Ok(Self {
            kind: kind.to_string(),
            url: Some(url.to_string()),
            service,
            interval_secs: Some(interval),
        })
    }

    pub fn is_webhook(&self) -> bool {
        self.kind == WEBHOOK_KIND
    }
}

/// An interval as people write it: `30s`, `5m`, `1h`, or bare seconds.
pub fn parse_interval(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let bad = || format!("{text:?} is not an interval like 30s, 5m or 1h");
    let n: u32 = number.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" | "" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(bad()),
    };
    check_interval(secs)?;
    Ok(secs)
}

fn check_interval(secs: u32) -> Result<(), String> {
    if secs < MIN_INTERVAL_SECS {
        return Err(format!("poll at most every {MIN_INTERVAL_SECS} seconds"));
    }
    if secs > MAX_INTERVAL_SECS {
        return Err(format!(
            "poll at least every {MAX_INTERVAL_SECS} seconds (daily)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug() -> ServiceSlug {
        ServiceSlug::parse("service", "acme").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_polled_source_needs_a_known_kind_and_an_absolute_url() {
        let formats = ["atom", "statuspage"];
        let ok = SourceSpec::parse(
            "atom",
            Some("https://s.example/h.atom"),
            slug(),
            None,
            &formats,
        );
        assert_eq!(ok.map(|s| s.interval_secs), Ok(Some(DEFAULT_INTERVAL_SECS)));
        for (kind, url) in [
            ("gopher", Some("https://s.example")),
            ("atom", None),
            ("atom", Some("ftp://s.example")),
            ("atom", Some("https://s.example/a b")),
        ] {
            assert!(
                SourceSpec::parse(kind, url, slug(), None, &formats).is_err(),
                "{kind} {url:?}"
            );
        }
        assert!(
            SourceSpec::parse("atom", Some("https://s.example"), slug(), Some(5), &formats)
                .is_err()
        );
    }

    #[test]
    fn a_webhook_drops_url_and_interval() {
        let spec = SourceSpec::parse(WEBHOOK_KIND, Some("https://x"), slug(), Some(60), &[]);
        let spec = spec.unwrap_or_else(|e| panic!("{e}"));
        assert!(spec.is_webhook() && spec.url.is_none() && spec.interval_secs.is_none());
    }

    #[test]
    fn intervals_read_as_people_write_them() {
        assert_eq!(parse_interval("30s"), Ok(30));
        assert_eq!(parse_interval("5m"), Ok(300));
        assert_eq!(parse_interval("1h"), Ok(3600));
        assert_eq!(parse_interval("90"), Ok(90));
        assert!(parse_interval("5s").is_err());
        assert!(parse_interval("5d").is_err());
        assert_eq!(parse_interval("24h"), Ok(MAX_INTERVAL_SECS));
        assert!(parse_interval("25h").is_err());
        assert!(parse_interval("4294967295h").is_err());
        assert!(parse_interval("m").is_err());
    }
}
