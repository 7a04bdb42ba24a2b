//! Settings, from flags or environment variables (the public names are fixed in DESIGN.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/aftermath.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub template_dir: Option<PathBuf>,
    /// Whether `serve` polls the configured sources (off in tests, which poll explicitly).
    pub poll: bool,
    /// Public reports each reporter (an address, IPv6 by /64) may file per minute
    /// (`AFTERMATH_REPORT_RATE`).
    pub report_rate_per_minute: u32,
    /// Where people reach this instance (`AFTERMATH_PUBLIC_URL`), without a trailing slash:
    /// absolute links come from it, and `https` makes the session cookie `Secure`.
    pub public_url: Option<String>,
    /// Peers whose `X-Forwarded-For`, `X-Forwarded-Host` and `X-Forwarded-Proto` are believed
    /// (`AFTERMATH_TRUSTED_PROXIES`); nobody's by default.
    pub trusted_proxies: Vec<IpNet>,
    /// Which private addresses the poller may fetch (`AFTERMATH_ALLOW_PRIVATE_SOURCES`).
    pub private_sources: PrivateSources,
    /// Whether GET routes answer without a token (`AFTERMATH_PUBLIC_READ`, on by default).
    pub public_read: bool,
    /// How long outbox rows outlive the moment every reader passed them, and how long a silent
    /// reader is remembered (`AFTERMATH_OUTBOX_RETENTION`, 24 hours by default).
    pub outbox_retention: Duration,
    /// Notifications out: SMTP, and whether this process sends (issue 21).
    pub notifications: NotifyConfig,
}

/// Settings of notifications out (`jobs::notifications`).
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    /// Whether `serve` runs the fan-out (on the leader) and the delivery worker; off in tests,
    /// which run both explicitly with a clock they control.
    pub run: bool,
    /// The SMTP relay (`AFTERMATH_SMTP_URL`): `smtp://host:port` (STARTTLS when offered),
    /// `smtps://user:pass@host`; email subscriptions fail to deliver without it.
    pub smtp_url: Option<String>,
    /// The sender of notification mail (`AFTERMATH_SMTP_FROM`).
    pub smtp_from: Option<String>,
}

/// The outbox retention unless configured otherwise.
pub const DEFAULT_OUTBOX_RETENTION: &str = "24h";

/// A retention such as `30s`, `15m`, `24h` or `7d` (humantime's syntax, so `1h 30m` too); at
/// least one second, since a reader must be able to beat within it.
pub fn parse_retention(raw: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(raw.trim())
        .map_err(|e| format!("{raw:?} is not a duration such as 30s, 15m, 24h or 7d ({e})"))?;
    if d < Duration::from_secs(1) {
        return Err(format!("{raw:?} is shorter than the least retention, 1s"));
    }
    Ok(d)
}

/// Which non-public addresses (loopback, RFC 1918, link-local, CGNAT, unique-local,
/// multicast, unspecified; `jobs::poller::address` lists every range) the poller may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PrivateSources {
    /// None: the default, so a hostile status page cannot make us fetch internal services.
    #[default]
    Refused,
    /// Every address (`true`): an intranet deployment.
    All,
    /// Exactly these `host:port` pairs. An IP pair allows that address on that port; a host-name
    /// pair lets that name resolve to private addresses, and fetches it on the listed ports only.
    Only(Vec<String>),
}

impl PrivateSources {
    /// `true`/`false`, or a comma-separated list of `host:port` pairs.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "" | "false" => Ok(Self::Refused),
            "true" => Ok(Self::All),
            list => {
                let pairs: Vec<String> = list
                    .split(',')
                    .map(|p| p.trim().to_ascii_lowercase())
                    .filter(|p| !p.is_empty())
                    .collect();
                match pairs.iter().find(|p| !is_host_port(p)) {
                    Some(bad) => Err(format!(
                        "{bad:?} is not host:port (use true, false, or host:port pairs)"
                    )),
                    None => Ok(Self::Only(pairs)),
                }
            }
        }
    }
}

fn is_host_port(pair: &str) -> bool {
    pair.rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

/// Address ranges, as `AFTERMATH_TRUSTED_PROXIES` gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cidrs(pub Vec<IpNet>);

/// A comma-separated list of CIDRs (`10.0.0.0/8, ::1/128`); a bare address is a /32 or /128.
pub fn parse_cidrs(raw: &str) -> Result<Cidrs, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<IpNet>()
                .or_else(|_| c.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{c:?} is not a CIDR such as 10.0.0.0/8"))
        })
        .collect::<Result<_, _>>()
        .map(Cidrs)
}

/// An absolute `http(s)` base URL without a trailing slash.
pub fn parse_public_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{raw:?} is not an http(s) URL"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{raw:?} is not an http(s) URL"));
    }
    Ok(url.to_string())
}

/// Reports a minute per reporter, unless configured otherwise.
pub const DEFAULT_REPORT_RATE: u32 = 20;

impl Config {
    /// Whether links and cookies are for `https`.
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Settings for a test or a tool: everything under one directory.
    pub fn for_dir(database_url: String, data_dir: PathBuf) -> Self {
        Self {
            database_url,
            data_dir,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            template_dir: None,
            poll: false,
            report_rate_per_minute: DEFAULT_REPORT_RATE,
            public_url: None,
            trusted_proxies: Vec::new(),
            private_sources: PrivateSources::Refused,
            public_read: true,
            outbox_retention: Duration::from_secs(24 * 3600),
            notifications: NotifyConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retentions_read_as_people_write_them() {
        for (raw, secs) in [
            ("30s", 30),
            ("15m", 900),
            ("24h", 86_400),
            ("7d", 604_800),
            (" 1h 30m ", 5_400),
        ] {
            assert_eq!(parse_retention(raw), Ok(Duration::from_secs(secs)), "{raw}");
        }
        assert_eq!(
            parse_retention(DEFAULT_OUTBOX_RETENTION),
            Ok(Config::for_dir(String::new(), PathBuf::new()).outbox_retention)
        );
    }

    #[test]
    fn nonsense_and_too_short_retentions_are_refused() {
        for raw in ["", "24", "soon", "-1h", "0s", "500ms", "1x"] {
            assert!(parse_retention(raw).is_err(), "{raw:?} was accepted");
        }
    }
}
