//! Links to the outside world: the only URLs Aftermath stores as links or prints as `href`.
//!
//! Rule: a link is an absolute `http` or `https` URL with a host, at most 2,000 bytes, with no
//! white space, control character, backslash or quote anywhere. Anything else — `javascript:`,
//! `data:`, `vbscript:`, a scheme hidden by case, tabs or entities, a relative path, a
//! protocol-relative `//host` — is not a link: parsers keep it in the raw observation, the
//! stored incident gets none, and the API answers 422. Pages check again when they render, so a
//! link stored by an older version cannot reach an `href` either.

/// Longer than any status page link; a bound on what a stranger can make us store.
pub const MAX_LINK_BYTES: usize = 2_000;

/// The link, with its scheme lower-cased, when `raw` is one (see the module rule).
pub fn web_link(raw: &str) -> Option<String> {
    let url = raw.trim();
    if url.is_empty() || url.len() > MAX_LINK_BYTES {
        return None;
    }
    let forbidden = |c: char| {
        c.is_whitespace() || c.is_control() || matches!(c, '\\' | '"' | '\'' | '<' | '>' | '`')
    };
    if url.chars().any(forbidden) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // The host is what follows any `user@`; it must be there.
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return None;
    }
    Some(format!("{scheme}://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_links_are_kept_with_a_lower_case_scheme() {
        assert_eq!(
            web_link(" https://status.example.com/incidents/abc ").as_deref(),
            Some("https://status.example.com/incidents/abc")
        );
        assert_eq!(
            web_link("HTTP://Example.com/a?b=1#c").as_deref(),
            Some("http://Example.com/a?b=1#c")
        );
        assert!(web_link("https://user@example.com:8443/").is_some());
    }

    #[test]
    fn every_other_scheme_and_every_disguise_is_refused() {
        for hostile in [
            "javascript:alert(document.domain)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            " javascript:alert(1)",
            "&#106;avascript:alert(1)",
            "javascript&colon;alert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://example.com/",
            "//evil.example/",
            "/incidents/1",
            "https:/\\evil.example",
            "https:\\\\evil.example",
            "https:///evil.example",
            "https://",
            "https://:443/",
            "https://exa mple.com/",
            "https://example.com/\"onmouseover=alert(1)",
            "https://example.com/<script>",
            "",
        ] {
            assert_eq!(web_link(hostile), None, "{hostile:?}");
        }
        assert_eq!(
            web_link(&format!("https://e.com/{}", "a".repeat(2_000))),
            None
        );
    }
}
