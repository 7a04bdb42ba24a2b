//! Incident versions and what a write may expect of them.
//!
//! Rules:
//! - An incident's version grows with every committed change to what it shows (its fields, a
//!   new or edited timeline entry, a link, its services, its report count). It is only ever
//!   compared for equality: it may grow by more than one for one change.
//! - A write that names the versions it expects ([`Precondition::OneOf`]) applies only if the
//!   incident is still at one of them; otherwise nothing changes and the caller learns the
//!   version now current. A write that expects nothing applies to the incident as it is now.

/// What a write expects of the incident's version when it is applied (HTTP `If-Match`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Precondition {
    /// Any version (no `If-Match`, or `*`): the write applies to the incident as it is now.
    #[default]
    Any,
    /// One of these versions; any other means someone changed the incident meanwhile. An empty
    /// list (tags that name no version of ours) admits none.
    OneOf(Vec<i64>),
}

impl Precondition {
    /// Whether a write may apply to an incident at version `current`.
    pub fn admits(&self, current: i64) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&current),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_applies_at_any_version_unless_it_names_the_ones_it_expects() {
        assert!(Precondition::Any.admits(7));
        assert!(Precondition::OneOf(vec![6, 7]).admits(7));
        assert!(!Precondition::OneOf(vec![6]).admits(7));
        assert!(!Precondition::OneOf(vec![]).admits(1));
    }
}
