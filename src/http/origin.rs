//! Our own origin, for the absolute links of `/feed.atom` and `/api/v2`: the one place it is read.
//!
//! Rules:
//! - `AFTERMATH_PUBLIC_URL`, when set, is the origin, whatever the request says.
//! - Otherwise the request's own `Host` (or, over HTTP/2, its authority), accepted only as
//!   `host[:port]`: a name of letters, digits, `-`, `.` and `_`, or a bracketed IPv6 address,
//!   with an optional numeric port. Anything else (`/`, `@`, spaces, controls, quotes) would
//!   let a request shape our links, so it is refused and the address we listen on is used.
//! - `X-Forwarded-Host` and `X-Forwarded-Proto` are believed only when the TCP peer is a trusted
//!   proxy, and then only their last value (the one that proxy wrote), validated the same way.
//!   actix's `ConnectionInfo` is never used here: it believes them from anyone.
//! - Without a trusted `X-Forwarded-Proto` the scheme is the listener's: `http`, since Aftermath
//!   serves plain HTTP and TLS is done in front of it.

use std::net::Ipv6Addr;

use actix_web::HttpRequest;
use actix_web::http::header::HOST;

use crate::config::Config;
use crate::http::client::{is_trusted, peer_address};

/// Where a request's absolute links point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `scheme://host[:port][/path]`, without a trailing slash: links are `{base}/path`.
    pub base: String,
    /// The `host[:port]` of `base`, for identifiers such as the feed's `tag:` URIs.
    pub host: String,
}

impl Origin {
    fn of_base(base: String) -> Self {
        let after_scheme = base
            .split_once("://")
            .map_or(base.as_str(), |(_, rest)| rest);
        let host = after_scheme
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        Self { base, host }
    }
}

/// The origin a request's absolute links use.
pub fn origin(req: &HttpRequest, config: &Config) -> Origin {
    if let Some(url) = &config.public_url {
        return Origin::of_base(url.clone());
    }
    let proxied = is_trusted(peer_address(req), &config.trusted_proxies);
    let forwarded = |name: &str| proxied.then(|| last_value(req, name)).flatten();
    let host = forwarded("x-forwarded-host")
        .and_then(|h| valid_host(&h))
        .or_else(|| {
            req.headers()
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .and_then(valid_host)
        })
        .or_else(|| req.uri().authority().and_then(|a| valid_host(a.as_str())))
        .unwrap_or_else(|| req.app_config().local_addr().to_string());
    let scheme = forwarded("x-forwarded-proto")
        .map(|p| p.to_ascii_lowercase())
        .filter(|p| p == "http" || p == "https")
        .unwrap_or_else(|| {
            if req.app_config().secure() {
                "https".into()
            } else {
                "http".into()
            }
        });
    Origin {
        base: format!("{scheme}://{host}"),
        host,
    }
}

/// The last element of a header's comma-separated values, over all its lines.
fn last_value(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(name)
        .last()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `host[:port]`, lower-cased, or `None` when it is anything else.
pub fn valid_host(raw: &str) -> Option<String> {
    if raw.len() > 255 {
        return None;
    }
    let (name_ok, port) = match raw.strip_prefix('[') {
        Some(rest) => {
            let (inside, port) = rest.split_once(']')?;
            (inside.parse::<Ipv6Addr>().is_ok(), port)
        }
        None => match raw.find(':') {
            Some(colon) => (is_name(&raw[..colon]), &raw[colon..]),
            None => (is_name(raw), ""),
        },
    };
    // Digits only: `u16::from_str` alone would take `+80`.
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|d| {
            !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && d.parse::<u16>().is_ok()
        });
    (name_ok && port_ok).then(|| raw.to_ascii_lowercase())
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::path::PathBuf;

    use actix_web::test::TestRequest;

    use super::*;

    fn config(public_url: Option<&str>, trusted: &[&str]) -> Config {
        let mut c = Config::for_dir("sqlite://unused".into(), PathBuf::new());
        c.public_url = public_url.map(str::to_string);
        c.trusted_proxies = trusted.iter().map(|n| n.parse().unwrap()).collect();
        c
    }

    fn origin_of(headers: &[(&str, &str)], config: &Config) -> Origin {
        let peer = SocketAddr::from(([127, 0, 0, 1], 4000));
        let mut req = TestRequest::default().peer_addr(peer);
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        origin(&req.to_http_request(), config)
    }

    #[test]
    fn the_public_url_wins_over_anything_the_request_says() {
        let c = config(
            Some("https://status.example.com/aftermath"),
            &["127.0.0.1/32"],
        );
        let o = origin_of(
            &[
                ("host", "evil.example"),
                ("x-forwarded-host", "evil.example"),
            ],
            &c,
        );
        assert_eq!(o.base, "https://status.example.com/aftermath");
        assert_eq!(o.host, "status.example.com");
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_peer() {
        let headers = [
            ("host", "aftermath.internal:8080"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
        ];
        let untrusted = origin_of(&headers, &config(None, &["10.0.0.0/8"]));
        assert_eq!(untrusted.base, "http://aftermath.internal:8080");
        let headers = [
            ("host", "aftermath.internal:8080"),
            ("x-forwarded-host", "evil.example, status.example.com"),
            ("x-forwarded-proto", "https"),
        ];
        let trusted = origin_of(&headers, &config(None, &["127.0.0.1/32"]));
        assert_eq!(trusted.base, "https://status.example.com");
        assert_eq!(trusted.host, "status.example.com");
    }

    #[test]
    fn a_host_that_is_not_host_and_port_is_refused() {
        let c = config(None, &["127.0.0.1/32"]);
        for bad in [
            "evil.example/path",
            "user@evil.example",
            "evil example",
            "evil.example:80x",
            "evil.example:+80",
            "evil.example:99999",
            "[::1",
            "[not-v6]:80",
            "\"quoted\"",
            "",
        ] {
            let o = origin_of(&[("host", bad)], &c);
            assert_eq!(
                o.base, "http://127.0.0.1:8080",
                "{bad:?}: the listener's address"
            );
            let o = origin_of(&[("host", "ok.example"), ("x-forwarded-host", bad)], &c);
            assert_eq!(o.base, "http://ok.example", "{bad:?}");
        }
        assert_eq!(
            valid_host("[2001:DB8::1]:443").as_deref(),
            Some("[2001:db8::1]:443")
        );
        assert_eq!(
            valid_host("Status.Example.com").as_deref(),
            Some("status.example.com")
        );
        assert_eq!(
            valid_host("127.0.0.1:8080").as_deref(),
            Some("127.0.0.1:8080")
        );
    }

    #[test]
    fn a_forwarded_proto_is_http_or_https_or_ignored() {
        let c = config(None, &["127.0.0.1/32"]);
        let o = origin_of(
            &[("host", "a.example"), ("x-forwarded-proto", "javascript")],
            &c,
        );
        assert_eq!(o.base, "http://a.example");
    }
}
