//! Which addresses the poller may reach: public ones only, unless `--allow-private-sources`
//! (`AFTERMATH_ALLOW_PRIVATE_SOURCES`) says otherwise. A status page is written by a stranger,
//! and a page that answers `302 → http://169.254.169.254/…` must not make us fetch the cloud
//! metadata service or scan the intranet for it.
//!
//! Rules:
//! - Refused IPv4 ranges: `0.0.0.0/8` (this network, with the unspecified `0.0.0.0`),
//!   `10.0.0.0/8`, `172.16.0.0/12` and `192.168.0.0/16` (private, RFC 1918), `100.64.0.0/10`
//!   (shared address space, CGNAT), `127.0.0.0/8` (loopback), `169.254.0.0/16` (link-local, where
//!   cloud metadata lives), `192.0.0.0/24` (IETF protocol assignments), `192.0.2.0/24`,
//!   `198.51.100.0/24` and `203.0.113.0/24` (documentation), `198.18.0.0/15` (benchmarking),
//!   `224.0.0.0/4` (multicast) and `240.0.0.0/4` (reserved, with the broadcast
//!   `255.255.255.255`).
//! - Refused IPv6 ranges: `::/128` (unspecified), `::1/128` (loopback), `::/96` (IPv4-compatible,
//!   deprecated), `64:ff9b:1::/48` (local NAT64), `100::/64` (discard-only), `2001::/32`
//!   (Teredo), `2001:db8::/32` (documentation), `fc00::/7` (unique-local), `fe80::/10`
//!   (link-local), `fec0::/10` (site-local, deprecated) and `ff00::/8` (multicast).
//!   `::ffff:0:0/96` (IPv4-mapped), `64:ff9b::/96` (NAT64) and `2002::/16` (6to4) are judged by
//!   the IPv4 address they carry, so `::ffff:10.0.0.1` is refused like `10.0.0.1`.
//! - Every other address is public.
//! - The allowance: `Refused` (the default) allows no non-public address; `All` allows every
//!   address; `Only(host:port…)` allows exactly those pairs:
//!   - an IP literal pair (`127.0.0.1:8080`, `[::1]:8080`) allows that address on that port;
//!   - a host-name pair (`intranet.example:8443`) lets that name resolve to non-public
//!     addresses, and the name is then fetched on the listed ports only: a URL naming it on
//!     another port is refused before anything is resolved. The resolver is told a name but not
//!     a port, so the port is checked on the URL, before the first request and on every hop.
//! - Only `http` and `https` URLs are fetched.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;

use crate::config::PrivateSources;

/// Refused IPv4 ranges: network, prefix length, what the range is.
const V4_RANGES: [([u8; 4], u8, &str); 14] = [
    ([0, 0, 0, 0], 8, "\"this network\" (0.0.0.0/8)"),
    ([10, 0, 0, 0], 8, "private (RFC 1918)"),
    ([100, 64, 0, 0], 10, "shared address space (CGNAT)"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local"),
    ([172, 16, 0, 0], 12, "private (RFC 1918)"),
    ([192, 0, 0, 0], 24, "IETF protocol assignment"),
    ([192, 0, 2, 0], 24, "documentation"),
    ([192, 168, 0, 0], 16, "private (RFC 1918)"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation"),
    ([203, 0, 113, 0], 24, "documentation"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([240, 0, 0, 0], 4, "reserved or broadcast"),
];

/// Refused IPv6 ranges, after the unspecified and loopback addresses and the prefixes that
/// carry an IPv4 address have been judged.
const V6_RANGES: [([u16; 8], u8, &str); 10] = [
    ([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible (deprecated)"),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local NAT64"),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only"),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo"),
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique-local"),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local"),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (deprecated)"),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
    // Last, so that its embedded IPv4 address is judged first (see `non_public_v6`).
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4"),
];

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let bits = u32::from(ip);
    V4_RANGES.iter().find_map(|&(net, len, what)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
        (bits & mask == u32::from_be_bytes(net)).then_some(what)
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    let s = ip.segments();
    // The prefixes that carry an IPv4 address reach that address: judge it instead.
    let embedded = match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some((hi, lo)),
        [0x2002, hi, lo, ..] => Some((hi, lo)),
        _ => None,
    };
    if let Some((hi, lo)) = embedded {
        let v4 = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
        return non_public_v4(v4);
    }
    let bits = u128::from(ip);
    V6_RANGES.iter().find_map(|&(net, len, what)| {
        let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
        (bits & mask == u128::from(Ipv6Addr::from(net))).then_some(what)
    })
}

/// Why a URL is not fetched. `Display` is what `last_error` stores, and names no address: the
/// admin page must not become a way to map the intranet; [`Refused::explain`] is for the log
/// and for the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("refused: private address")]
    Private {
        /// `host:port` as the URL names it, or the host name that resolved.
        target: String,
        /// What kind of address it is ("loopback", "private (RFC 1918)", …).
        kind: &'static str,
    },
    #[error("refused: not an http(s) URL")]
    NotHttp,
}

impl Refused {
    /// The whole reason, with the address.
    pub fn explain(&self) -> String {
        match self {
            Refused::Private { target, kind } => format!("{target} is {kind}"),
            Refused::NotHttp => "not an http(s) URL".to_string(),
        }
    }
}

/// `PrivateSources` in the form the checks need: the pairs parsed once.
#[derive(Debug, Clone, Default)]
pub struct Allowance {
    all: bool,
    addresses: Vec<(IpAddr, u16)>,
    names: Vec<(String, u16)>,
}

impl Allowance {
    pub fn new(private: &PrivateSources) -> Self {
        let mut allowance = Allowance {
            all: *private == PrivateSources::All,
            ..Allowance::default()
        };
        let PrivateSources::Only(pairs) = private else {
            return allowance;
        };
        for pair in pairs {
            // `PrivateSources::parse` made sure each pair is `host:port`.
            let Some((host, port)) = pair.rsplit_once(':') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            match bare.parse::<IpAddr>() {
                Ok(ip) => allowance.addresses.push((ip.to_canonical(), port)),
                Err(_) => allowance.names.push((host.to_ascii_lowercase(), port)),
            }
        }
        allowance
    }

    /// Whether the address may be connected to on this port.
    pub fn allows_address(&self, ip: IpAddr, port: u16) -> Result<(), Refused> {
        let Some(kind) = non_public(ip) else {
            return Ok(());
        };
        if self.all || self.addresses.contains(&(ip.to_canonical(), port)) {
            return Ok(());
        }
        let target = match ip {
            IpAddr::V4(v4) => format!("{v4}:{port}"),
            IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        };
        Err(Refused::Private { target, kind })
    }

    /// Whether a host name may resolve to non-public addresses: it is listed (on some port).
    pub fn allows_private_name(&self, name: &str) -> bool {
        self.all || self.names.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The checks a URL passes before it is requested, first or after a redirect: `http(s)`,
    /// an IP literal that is public or allowed, a listed name on a listed port. A host name
    /// that passes is checked again on what it resolves to (see `guard`).
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused::NotHttp);
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(Refused::NotHttp);
        };
        // The URL parser has normalised the host: an IP literal (`[…]` for IPv6) or a name.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.allows_address(ip, port);
        }
        let listed = |(n, _): &&(String, u16)| n.eq_ignore_ascii_case(host);
        let mut pairs = self.names.iter().filter(listed).peekable();
        if self.all || pairs.peek().is_none() || pairs.any(|(_, p)| *p == port) {
            Ok(())
        } else {
            Err(Refused::Private {
                target: format!("{host}:{port}"),
                kind: "a name allowed as private on other ports only",
            })
        }
    }
}

/// The check `source add` makes: a URL the poller would refuse before resolving anything (an
/// IP literal that is not public, a listed name on another port) is refused with a message
/// that says how to allow it. A host name is only resolved when it is polled.
pub fn check_source_url(raw: &str, private: &PrivateSources) -> Result<(), String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    Allowance::new(private)
        .check_url(&url)
        .map_err(|refused| match &refused {
            Refused::Private { target, .. } => format!(
                "refusing {raw}: {}, and the poller fetches only public addresses. To poll an \
             intranet, set --allow-private-sources (AFTERMATH_ALLOW_PRIVATE_SOURCES) to {target} \
             for this address only, or to true for every address",
                refused.explain()
            ),
            Refused::NotHttp => format!("a polled source needs --url http(s)://…, not {raw}"),
        })
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
