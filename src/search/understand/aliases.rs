//! The alias table (`aliases.toml`): groups of names for one product or region, read once.
//!
//! Rules: names are compared as lists of normalized words ([`super::words::normalize`]); the
//! longest name that starts at a word wins; a table that does not parse is a bug caught by the
//! tests below, and at run time leaves search without aliases (logged) rather than failing it.

use std::sync::OnceLock;

use serde::Deserialize;

use super::words::normalize;

#[derive(Debug, Deserialize)]
struct Table {
    group: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Group {
    /// Every name of the thing, as written in the table.
    pub names: Vec<String>,
    /// The region code the group stands for, if it is a region.
    pub region: Option<String>,
}

/// A group with its names split into normalized words, longest first.
struct Entry {
    group: Group,
    names: Vec<Vec<String>>,
}

fn table() -> &'static [Entry] {
    static TABLE: OnceLock<Vec<Entry>> = OnceLock::new();
    TABLE.get_or_init(|| match parse(include_str!("aliases.toml")) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "the alias table does not parse; searching without it");
            Vec::new()
        }
    })
}

fn parse(text: &str) -> Result<Vec<Entry>, toml::de::Error> {
    let table: Table = toml::from_str(text)?;
    Ok(table
        .group
        .into_iter()
        .map(|group| {
            let mut names: Vec<Vec<String>> = group
                .names
                .iter()
                .map(|n| n.split_whitespace().map(normalize).collect())
                .collect();
            names.sort_by_key(|n| std::cmp::Reverse(n.len()));
            Entry { group, names }
        })
        .collect())
}

/// The group whose name starts `words` (normalized), with the number of words it spans: the
/// longest match of the table.
pub fn match_at(words: &[String]) -> Option<(&'static Group, usize)> {
    let mut best: Option<(&Group, usize)> = None;
    for entry in table() {
        for name in &entry.names {
            let n = name.len();
            let longer = best.is_none_or(|(_, b)| n > b);
            if longer && n > 0 && words.len() >= n && words[..n] == name[..] {
                best = Some((&entry.group, n));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(normalize).collect()
    }

    #[test]
    fn the_table_parses() {
        assert!(parse(include_str!("aliases.toml")).is_ok_and(|t| t.len() > 40));
    }

    #[test]
    fn abbreviations_and_long_names_meet() {
        let (g, n) = match_at(&words("EC2 instances")).unwrap();
        assert_eq!(n, 1);
        assert!(g.names.contains(&"elastic compute cloud".to_string()));
        let (g, n) = match_at(&words("N. Virginia outage")).unwrap();
        assert_eq!((g.region.as_deref(), n), (Some("us-east-1"), 2));
        assert!(match_at(&words("outage")).is_none());
    }
}
