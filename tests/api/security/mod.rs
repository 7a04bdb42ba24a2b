//! Aftermath takes input from strangers by design: polled pages, anonymous reports, webhooks.
//! Each test here is a hole an attacker could use, written as the attack, which must get
//! nothing.

mod headers;
mod links;
mod roles;
mod times;
