//! The two gates of the poller's HTTP client that keep it on public addresses (the ranges are
//! in `address`).
//!
//! Rules:
//! - Names: the client resolves through [`PublicResolver`], which drops every non-public
//!   answer (unless the name is allowed) and fails with [`Refused`] when none is left. The
//!   client connects only to the addresses it returns, so the address checked is the address
//!   connected to: a DNS answer that changes between a check and the connect (DNS rebinding)
//!   cannot slip through, because there is no second lookup.
//! - IP literals never reach a resolver, so every URL is checked by `Allowance::check_url`
//!   before the first request (in `fetch`) and on every redirect hop ([`redirect_policy`]),
//!   which also refuses a scheme other than `http(s)` and stops after `max` redirects.
//! - The client uses no proxy from the environment: through a proxy, the address checked would
//!   be the proxy's, and the proxy would fetch whatever it was asked.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::{Attempt, Policy};

use super::address::{Allowance, Refused, non_public};

/// Resolves with the system resolver and keeps only the answers the allowance accepts.
pub(super) struct PublicResolver {
    pub(super) allowance: Arc<Allowance>,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let private_ok = self.allowance.allows_private_name(&host);
        Box::pin(async move {
            // Port 0: the client puts the URL's port on each address.
            let answers: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (kept, refused) = keep_public(answers, private_ok);
            match (kept.is_empty(), refused) {
                (false, _) | (true, None) => Ok(Box::new(kept.into_iter()) as Addrs),
                (true, Some(kind)) => {
                    // The poll's warning names the source and the reason; this names the step.
                    tracing::debug!(%host, kind, "refused: the name resolves to non-public addresses only");
                    Err(Box::new(Refused::Private { target: host, kind }) as _)
                }
            }
        })
    }
}

/// The answers that may be connected to, and what the first dropped one was.
fn keep_public(
    answers: Vec<SocketAddr>,
    private_ok: bool,
) -> (Vec<SocketAddr>, Option<&'static str>) {
    let mut refused = None;
    let kept = answers
        .into_iter()
        .filter(|addr| {
            let kind = non_public(addr.ip()).filter(|_| !private_ok);
            refused = refused.or(kind);
            kind.is_none()
        })
        .collect();
    (kept, refused)
}

/// Follows at most `max` redirects, each to an `http(s)` URL the allowance accepts.
pub(super) fn redirect_policy(allowance: Arc<Allowance>, max: usize) -> Policy {
    Policy::custom(move |attempt: Attempt| {
        // `previous` holds the first URL too: it is one longer than the redirects followed.
        if attempt.previous().len() > max {
            return attempt.error(TooManyRedirects(max));
        }
        match allowance.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => {
                tracing::debug!(reason = %refused.explain(), "redirect refused");
                attempt.error(refused)
            }
        }
    })
}

/// An HTTP client held to the poller's address rules, for other jobs that send to addresses
/// strangers give (notification targets): the same resolver, no proxy, and the allowance to
/// check each URL with before the first request (IP literals never reach the resolver).
/// It follows no redirect: a target is where it says.
pub fn guarded_client(
    private: &crate::config::PrivateSources,
    user_agent: &str,
    timeout: std::time::Duration,
) -> reqwest::Result<(reqwest::Client, Arc<Allowance>)> {
    let allowance = Arc::new(Allowance::new(private));
    let resolver = PublicResolver {
        allowance: allowance.clone(),
    };
    let http = reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(Policy::none())
        .dns_resolver(Arc::new(resolver))
        .no_proxy()
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()?;
    Ok((http, allowance))
}

#[derive(Debug, thiserror::Error)]
#[error("more than {0} redirects")]
struct TooManyRedirects(usize);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PrivateSources;

    fn resolver(private: &str) -> PublicResolver {
        let private = PrivateSources::parse(private).unwrap();
        PublicResolver {
            allowance: Arc::new(Allowance::new(&private)),
        }
    }

    // `localhost` resolves from the hosts file, so these need no network.
    #[tokio::test]
    async fn a_name_that_resolves_only_to_loopback_is_refused() {
        let err = resolver("false")
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        let refused = err.downcast_ref::<Refused>().unwrap();
        assert_eq!(refused.to_string(), "refused: private address");
    }

    #[tokio::test]
    async fn a_listed_name_may_resolve_to_loopback() {
        let addrs: Vec<SocketAddr> = resolver("localhost:8080")
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn only_public_answers_are_kept() {
        let answers = [
            "10.0.0.1:0",
            "93.184.216.34:0",
            "[fe80::1]:0",
            "[2606:4700::1]:0",
        ]
        .map(|a| a.parse::<SocketAddr>().unwrap());
        let (kept, refused) = keep_public(answers.to_vec(), false);
        assert_eq!(kept, vec![answers[1], answers[3]]);
        assert_eq!(refused, Some("private (RFC 1918)"));
        assert_eq!(keep_public(answers.to_vec(), true).0, answers.to_vec());
    }
}
