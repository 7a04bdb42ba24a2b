//! Who a request comes from: the one place the client address is read, and what a reporter is.
//!
//! Rules:
//! - The client is the TCP peer. Only when the peer is in `AFTERMATH_TRUSTED_PROXIES` is
//!   `X-Forwarded-For` read, from the right: trusted hops are skipped and the first untrusted hop
//!   is the client, as nginx's `real_ip_recursive` does. Everything left of that hop was written
//!   by the client itself and is never believed. When every hop is trusted, the left-most one is
//!   the client (the request came from inside). A missing header, or a malformed hop reached
//!   before an untrusted one, leaves the peer: our own proxy wrote that part, and if it wrote
//!   nonsense we know no better than the peer.
//! - `Forwarded` (RFC 7239) is not read, and actix's `ConnectionInfo` is never used for the
//!   client: it believes `Forwarded` and `X-Forwarded-For` from anyone.
//! - A reporter is an address: IPv4 as is, IPv6 by its /64 (the smallest prefix a customer is
//!   given, so one household or one VPS is one reporter however many addresses it uses), and an
//!   IPv4-mapped IPv6 address as its IPv4. The user agent is not part of it: the client chooses it.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The address the request came from, believing `X-Forwarded-For` only from a trusted peer.
pub fn client_address(req: &HttpRequest, trusted: &[IpNet]) -> IpAddr {
    let peer = peer_address(req);
    let hops = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| v.to_str().ok());
    forwarded_client(peer, hops, trusted)
}

/// The TCP peer, an IPv4-mapped IPv6 address as its IPv4 (a dual-stack listener's view).
pub fn peer_address(req: &HttpRequest) -> IpAddr {
    // A request without a peer is one made in-process (tests); it is nobody in particular.
    req.peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip().to_canonical())
}

/// Whether an address is one of the trusted proxies.
pub fn is_trusted(addr: IpAddr, trusted: &[IpNet]) -> bool {
    let addr = addr.to_canonical();
    trusted.iter().any(|net| net.contains(&addr))
}

/// The client behind `peer`, given the `X-Forwarded-For` header lines in the order received
/// (`None` for a line that is not text). Several lines are one list, as HTTP says.
fn forwarded_client<'a>(
    peer: IpAddr,
    lines: impl Iterator<Item = Option<&'a str>>,
    trusted: &[IpNet],
) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut hops = Vec::new();
    for line in lines {
        let Some(line) = line else {
            return peer;
        };
        // HTTP list syntax: empty elements (`a,,b`, a trailing comma) are no elements.
        hops.extend(line.split(',').filter(|h| !h.trim().is_empty()));
    }
    let mut leftmost = None;
    for hop in hops.iter().rev() {
        let Some(addr) = parse_hop(hop) else {
            return peer;
        };
        if !is_trusted(addr, trusted) {
            return addr;
        }
        leftmost = Some(addr);
    }
    leftmost.unwrap_or(peer)
}

/// One `X-Forwarded-For` hop: an address, with a port as some proxies add it (`1.2.3.4:5`,
/// `[2001:db8::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|a| a.to_canonical())
}

/// One reporter, whose reports count once per service and window and share one rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reporter(IpAddr);

/// The reporter an address belongs to.
pub fn reporter_key(addr: IpAddr) -> Reporter {
    match addr.to_canonical() {
        IpAddr::V4(v4) => Reporter(IpAddr::V4(v4)),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !(u128::from(u64::MAX));
            Reporter(IpAddr::V6(Ipv6Addr::from(prefix)))
        }
    }
}

/// `203.0.113.5`, or `2001:db8:1:2::/64`: what the reporter hash is made of.
impl fmt::Display for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn client(peer: &str, xff: &[&str], trusted: &[&str]) -> IpAddr {
        let mut req = TestRequest::default().peer_addr(SocketAddr::new(ip(peer), 4000));
        for line in xff {
            req = req.append_header(("x-forwarded-for", *line));
        }
        client_address(&req.to_http_request(), &nets(trusted))
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(
            client("198.51.100.7", &["1.2.3.4"], &[]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("198.51.100.7", &["1.2.3.4"], &["10.0.0.0/8"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = ["10.0.0.0/8", "2001:db8:ffff::/48"];
        // The client wrote "6.6.6.6" itself; our proxies appended the rest.
        assert_eq!(
            client("10.0.0.1", &["6.6.6.6, 203.0.113.9, 10.1.1.1"], &trusted),
            ip("203.0.113.9")
        );
        // Several header lines are one list.
        assert_eq!(
            client(
                "10.0.0.1",
                &["6.6.6.6", "203.0.113.9", "10.1.1.1"],
                &trusted
            ),
            ip("203.0.113.9")
        );
        assert_eq!(
            client(
                "10.0.0.1",
                &["[2001:db8::5]:443, 203.0.113.9:80 ,"],
                &trusted
            ),
            ip("203.0.113.9"),
            "ports are dropped and empty elements are no hops"
        );
        assert_eq!(
            client("10.0.0.1", &["[2001:db8::5]:443"], &trusted),
            ip("2001:db8::5")
        );
        assert_eq!(
            client("::ffff:10.0.0.1", &["::ffff:203.0.113.9"], &trusted),
            ip("203.0.113.9"),
            "IPv4-mapped peers and hops are their IPv4"
        );
    }

    #[test]
    fn a_missing_or_malformed_header_leaves_the_peer() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(client("10.0.0.1", &[], &trusted), ip("10.0.0.1"));
        assert_eq!(client("10.0.0.1", &["not-an-ip"], &trusted), ip("10.0.0.1"));
        assert_eq!(
            client("10.0.0.1", &["203.0.113.9, unknown"], &trusted),
            ip("10.0.0.1")
        );
        // Garbage left of the client is the client's own and does not matter.
        assert_eq!(
            client("10.0.0.1", &["garbage, 203.0.113.9"], &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn when_every_hop_is_trusted_the_left_most_is_the_client() {
        assert_eq!(
            client("10.0.0.1", &["10.9.9.9, 10.1.1.1"], &["10.0.0.0/8"]),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn a_reporter_is_an_ipv4_address_or_an_ipv6_slash_64() {
        assert_eq!(reporter_key(ip("203.0.113.5")).to_string(), "203.0.113.5");
        assert_ne!(
            reporter_key(ip("203.0.113.5")),
            reporter_key(ip("203.0.113.6"))
        );
        let a = reporter_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        assert_eq!(a, reporter_key(ip("2001:db8:1:2::1")));
        assert_eq!(a, reporter_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assert_ne!(a, reporter_key(ip("2001:db8:1:3::1")));
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(
            reporter_key(ip("::ffff:203.0.113.5")),
            reporter_key(ip("203.0.113.5"))
        );
    }
}
