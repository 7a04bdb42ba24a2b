//! Postmortems. For now: writing Markdown safely from untrusted text.

pub mod md_escape;
