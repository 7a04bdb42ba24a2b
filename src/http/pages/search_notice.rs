//! What the search page says about how it read a query: relaxed matching, and the words it
//! dropped or widened.
//!
//! Rule: the page never relaxes, corrects or reads a date silently; each is said in words, with a
//! way back (strict matching, the corrected query as a link, a chip that removes the date).

use crate::search::SearchResults;

pub struct Notice {
    /// Shown when the hits match only some of the words.
    pub relaxed: bool,
    /// One phrase per word dropped or widened, e.g. `"in" (a common word) left out`.
    pub words: Vec<String>,
    /// The same search with every word required as typed.
    pub strict_href: String,
}

/// The notice for `r`, or `None` when the query was read exactly as typed.
pub fn notice(r: &SearchResults, strict_href: &str) -> Option<Notice> {
    let mut words: Vec<String> = Vec::new();
    for w in &r.dropped {
        words.push(format!("“{w}” (a common word) left out"));
    }
    for w in &r.plan.unmatched {
        words.push(format!("“{w}” matches nothing and was left out"));
    }
    for c in &r.plan.concepts {
        if let Some((kind, to)) = &c.expanded {
            let shown: Vec<&str> = to.iter().take(5).map(String::as_str).collect();
            let how = if *kind == "typo" {
                "spelt as"
            } else {
                "also as"
            };
            words.push(format!("“{}” searched {how} {}", c.typed, shown.join(", ")));
        }
    }
    (r.relaxed || !words.is_empty()).then(|| Notice {
        relaxed: r.relaxed,
        words,
        strict_href: strict_href.to_string(),
    })
}

/// `q` without the words of `text` (a date the query named), spaces tidied.
pub fn without_words(q: &str, text: &str) -> String {
    let lower = q.to_lowercase();
    let needle = text.to_lowercase();
    match lower.find(&needle) {
        // Lowercasing can change byte lengths; cut only where it did not.
        Some(at) if lower.len() == q.len() => {
            let rest = format!("{} {}", &q[..at], &q[at + needle.len()..]);
            rest.split_whitespace().collect::<Vec<_>>().join(" ")
        }
        _ => q
            .split_whitespace()
            .filter(|w| !needle.split_whitespace().any(|n| n == w.to_lowercase()))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_chip_removes_its_words_only() {
        assert_eq!(
            without_words("outage October 20 2025 dns", "october 20 2025"),
            "outage dns"
        );
        assert_eq!(without_words("2021", "2021"), "");
    }
}
