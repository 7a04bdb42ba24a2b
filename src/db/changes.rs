//! A timeline entry's component changes as stored: a JSON array of `{component, from, to}`,
//! the statuses by their names. Nothing stored is trusted: an array that does not read back
//! is treated as no changes, and the entry's body (the same changes in words) is shown instead.

use serde::{Deserialize, Serialize};

use crate::domain::{ComponentChange, ComponentStatus};

#[derive(Serialize, Deserialize)]
struct Stored {
    component: String,
    from: Option<String>,
    to: Option<String>,
}

/// The column's value for `changes`: `None` when there are none.
pub fn to_column(changes: &[ComponentChange]) -> Option<String> {
    if changes.is_empty() {
        return None;
    }
    let stored: Vec<Stored> = changes
        .iter()
        .map(|c| Stored {
            component: c.component.clone(),
            from: c.from.map(|s| s.as_str().to_string()),
            to: c.to.map(|s| s.as_str().to_string()),
        })
        .collect();
    serde_json::to_string(&stored).ok()
}

/// The changes a column holds; empty when it holds none or nothing readable.
pub fn from_column(column: Option<&str>) -> Vec<ComponentChange> {
    let Some(stored) = column.and_then(|c| serde_json::from_str::<Vec<Stored>>(c).ok()) else {
        return Vec::new();
    };
    let status = |s: Option<String>| s.and_then(|s| s.parse::<ComponentStatus>().ok());
    stored
        .into_iter()
        .map(|s| ComponentChange {
            component: s.component,
            from: status(s.from),
            to: status(s.to),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_back_as_written_and_junk_reads_as_none() {
        let changes = vec![ComponentChange {
            component: "Amazon DynamoDB".into(),
            from: Some(ComponentStatus::Operational),
            to: None,
        }];
        let column = to_column(&changes);
        assert_eq!(from_column(column.as_deref()), changes);
        assert_eq!(to_column(&[]), None);
        assert!(from_column(Some("{not json")).is_empty());
    }
}
