//! Identifiers. Ids are UUID v7: ordered by creation time, so inserts stay local in the primary key
//! index (random v4 keys cut SQLite insert throughput fivefold on this machine).

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Hyphenated lower case: the one spelling stored in the database.
                write!(f, "{}", self.0.hyphenated())
            }
        }
    };
}

uuid_id!(
    /// An incident.
    IncidentId
);
uuid_id!(
    /// A timeline entry.
    EntryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_sort_in_creation_order() {
        let first = IncidentId::generate();
        let second = IncidentId::generate();
        assert!(first.to_string() < second.to_string());
    }

    #[test]
    fn an_id_round_trips_through_its_text() {
        let id = EntryId::generate();
        assert_eq!(id.to_string().parse::<EntryId>().ok(), Some(id));
        assert!("not-a-uuid".parse::<EntryId>().is_err());
    }
}
