//! Aftermath takes input from strangers by design: polled pages, anonymous reports, webhooks.
//! Each test here is a hole an attacker could use, written as the attack, which must get
//! nothing.

mod absolute_urls;
mod headers;
mod holes;
mod links;
mod logs;
mod reporters;
mod roles;
mod sessions;
mod ssrf;
mod times;
