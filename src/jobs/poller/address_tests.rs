//! The address classifier, range by range, and the allowance's reading of `host:port` pairs.

use std::net::IpAddr;

use reqwest::Url;

use super::*;

fn kind(ip: &str) -> Option<&'static str> {
    non_public(ip.parse::<IpAddr>().unwrap())
}

#[test]
fn every_refused_ipv4_range_is_refused_at_both_ends() {
    let ranges = [
        ("0.0.0.0", "0.255.255.255"),
        ("10.0.0.0", "10.255.255.255"),
        ("100.64.0.0", "100.127.255.255"),
        ("127.0.0.0", "127.255.255.255"),
        ("169.254.0.0", "169.254.255.255"),
        ("172.16.0.0", "172.31.255.255"),
        ("192.0.0.0", "192.0.0.255"),
        ("192.0.2.0", "192.0.2.255"),
        ("192.168.0.0", "192.168.255.255"),
        ("198.18.0.0", "198.19.255.255"),
        ("198.51.100.0", "198.51.100.255"),
        ("203.0.113.0", "203.0.113.255"),
        ("224.0.0.0", "239.255.255.255"),
        ("240.0.0.0", "255.255.255.255"),
    ];
    for (first, last) in ranges {
        assert!(kind(first).is_some(), "{first}");
        assert!(kind(last).is_some(), "{last}");
    }
    assert_eq!(kind("169.254.169.254"), Some("link-local"));
    assert_eq!(kind("100.64.0.1"), Some("shared address space (CGNAT)"));
    assert_eq!(kind("10.0.0.1"), Some("private (RFC 1918)"));
    assert_eq!(kind("255.255.255.255"), Some("reserved or broadcast"));
}

#[test]
fn the_neighbours_of_the_ipv4_ranges_are_public() {
    for ip in [
        "1.1.1.1",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
    ] {
        assert_eq!(kind(ip), None, "{ip}");
    }
}

#[test]
fn every_refused_ipv6_range_is_refused() {
    for (ip, expected) in [
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::10.0.0.1", "IPv4-compatible (deprecated)"),
        ("64:ff9b:1::1", "local NAT64"),
        ("100::1", "discard-only"),
        ("2001::1", "Teredo"),
        ("2001:db8::1", "documentation"),
        ("fc00::1", "unique-local"),
        ("fdff:ffff::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("febf::1", "link-local"),
        ("fec0::1", "site-local (deprecated)"),
        ("ff02::1", "multicast"),
    ] {
        assert_eq!(kind(ip), Some(expected), "{ip}");
    }
}

#[test]
fn ipv6_that_carries_an_ipv4_address_is_judged_by_it() {
    assert_eq!(kind("::ffff:10.0.0.1"), Some("private (RFC 1918)"));
    assert_eq!(kind("::ffff:127.0.0.1"), Some("loopback"));
    assert_eq!(kind("::ffff:169.254.169.254"), Some("link-local"));
    assert_eq!(kind("64:ff9b::10.0.0.1"), Some("private (RFC 1918)"));
    assert_eq!(kind("2002:a00:1::1"), Some("private (RFC 1918)"));
    assert_eq!(kind("::ffff:8.8.8.8"), None);
    assert_eq!(kind("64:ff9b::8.8.8.8"), None);
    assert_eq!(kind("2002:808:808::1"), None);
}

#[test]
fn public_ipv6_is_public() {
    for ip in [
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "2001:4860::8888",
    ] {
        assert_eq!(kind(ip), None, "{ip}");
    }
}

fn check(private: &PrivateSources, url: &str) -> Result<(), Refused> {
    Allowance::new(private).check_url(&Url::parse(url).unwrap())
}

#[test]
fn literals_are_refused_by_default_and_names_are_left_to_the_resolver() {
    let none = PrivateSources::Refused;
    for url in [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[::ffff:10.0.0.1]/",
        "https://0x7f.1/",
        "http://2130706433/",
        "http://0.0.0.0/",
    ] {
        assert!(
            matches!(check(&none, url), Err(Refused::Private { .. })),
            "{url}"
        );
    }
    assert_eq!(check(&none, "https://1.1.1.1/"), Ok(()));
    assert_eq!(check(&none, "https://status.example.com/x"), Ok(()));
    assert_eq!(check(&none, "file:///etc/passwd"), Err(Refused::NotHttp));
    assert_eq!(check(&none, "gopher://1.1.1.1/"), Err(Refused::NotHttp));
}

#[test]
fn only_allows_exactly_the_listed_pairs() {
    let only = PrivateSources::parse("127.0.0.1:8080, [::1]:9090, intranet.example:8443").unwrap();
    assert_eq!(check(&only, "http://127.0.0.1:8080/x"), Ok(()));
    assert_eq!(check(&only, "http://[::ffff:127.0.0.1]:8080/x"), Ok(()));
    assert!(check(&only, "http://127.0.0.1:8081/x").is_err());
    assert!(check(&only, "http://127.0.0.2:8080/x").is_err());
    assert_eq!(check(&only, "http://[::1]:9090/"), Ok(()));
    assert!(check(&only, "http://[::1]:8080/").is_err());
    // A listed name: its own port only; the resolver may return private answers for it.
    assert_eq!(check(&only, "https://intranet.example:8443/"), Ok(()));
    assert_eq!(check(&only, "https://INTRANET.example:8443/"), Ok(()));
    assert!(check(&only, "https://intranet.example/").is_err());
    let allowance = Allowance::new(&only);
    assert!(allowance.allows_private_name("intranet.example"));
    assert!(!allowance.allows_private_name("other.example"));
    assert!(!allowance.allows_private_name("127.0.0.1"));
}

#[test]
fn all_allows_every_address_and_refused_allows_none() {
    let all = PrivateSources::All;
    assert_eq!(check(&all, "http://10.0.0.1/"), Ok(()));
    assert_eq!(check(&all, "http://[fe80::1]/"), Ok(()));
    assert!(Allowance::new(&all).allows_private_name("localhost"));
    assert!(!Allowance::new(&PrivateSources::Refused).allows_private_name("localhost"));
}

#[test]
fn the_refusal_names_no_address_but_its_explanation_does() {
    let refused = check(&PrivateSources::Refused, "http://169.254.169.254/").unwrap_err();
    assert_eq!(refused.to_string(), "refused: private address");
    assert_eq!(refused.explain(), "169.254.169.254:80 is link-local");
}

#[test]
fn source_add_says_how_to_allow_what_it_refuses() {
    let message = check_source_url("http://10.0.0.1/feed", &PrivateSources::Refused).unwrap_err();
    assert!(
        message.contains("10.0.0.1:80 is private (RFC 1918)"),
        "{message}"
    );
    assert!(message.contains("--allow-private-sources"), "{message}");
    assert!(check_source_url("http://10.0.0.1/feed", &PrivateSources::All).is_ok());
    assert!(check_source_url("https://status.example.com/", &PrivateSources::Refused).is_ok());
}
