//! A component's change of status, stored as data (component, from, to) and put into words
//! only when it is read, so that the words follow the vocabulary and never the source's codes.
//!
//! Rules:
//! - `from` and `to` are `None` when the source gave no status or one we do not know; the raw
//!   code stays in the observation's provenance.
//! - One change reads "Amazon DynamoDB: service disruption (was operational)"; several changes
//!   at one instant read one line each, in the source's order.

use super::status::ComponentStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentChange {
    pub component: String,
    pub from: Option<ComponentStatus>,
    pub to: Option<ComponentStatus>,
}

impl ComponentChange {
    /// "Amazon DynamoDB: service disruption (was operational)".
    pub fn words(&self) -> String {
        let to = self.to.map_or("unknown status", ComponentStatus::words);
        match self.from {
            Some(from) => format!("{}: {to} (was {})", self.component, from.words()),
            None => format!("{}: {to}", self.component),
        }
    }
}

/// The text of an entry holding `changes`: one line per change.
pub fn words(changes: &[ComponentChange]) -> String {
    changes
        .iter()
        .map(ComponentChange::words)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads back the text AWS component changes were stored as before they were kept as data:
/// one `NAME: OLD -> NEW` line per service, each code read by `code`. `None` unless every line
/// has that shape, so a text of any other kind is never taken for one.
pub fn from_code_lines(
    text: &str,
    code: impl Fn(&str) -> Option<ComponentStatus>,
) -> Option<Vec<ComponentChange>> {
    let changes = text
        .lines()
        .map(|line| {
            let (component, codes) = line.rsplit_once(": ")?;
            let (from, to) = codes.split_once(" -> ")?;
            let known = |c: &str| c == "?" || code(c).is_some();
            (known(from) && known(to)).then(|| ComponentChange {
                component: component.to_string(),
                from: code(from),
                to: code(to),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    (!changes.is_empty()).then_some(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComponentStatus::*;

    fn aws(code: &str) -> Option<ComponentStatus> {
        crate::domain::codes::aws_service(code)
    }

    #[test]
    fn a_change_reads_as_words_with_what_it_was() {
        let change = ComponentChange {
            component: "Amazon DynamoDB".into(),
            from: Some(Operational),
            to: Some(ServiceDisruption),
        };
        assert_eq!(
            change.words(),
            "Amazon DynamoDB: service disruption (was operational)"
        );
        let unknown = ComponentChange {
            component: "X".into(),
            from: None,
            to: None,
        };
        assert_eq!(unknown.words(), "X: unknown status");
    }

    #[test]
    fn old_code_lines_read_back_as_changes() {
        let changes = from_code_lines("Amazon DynamoDB: 0 -> 3\nAWS Lambda: ? -> 2", aws).unwrap();
        assert_eq!(
            words(&changes),
            "Amazon DynamoDB: service disruption (was operational)\n\
             AWS Lambda: degraded performance"
        );
    }

    #[test]
    fn other_texts_are_not_taken_for_code_lines() {
        assert_eq!(from_code_lines("We are investigating.", aws), None);
        assert_eq!(from_code_lines("A: 0 -> 3\nand more", aws), None);
        assert_eq!(from_code_lines("A: up -> down", aws), None);
        assert_eq!(from_code_lines("", aws), None);
    }
}
