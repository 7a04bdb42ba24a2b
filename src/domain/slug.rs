//! Slugs: names turned into URL- and file-safe words, one module for every caller.
//!
//! The variants differ on purpose, and each caller's output is pinned by a snapshot test:
//! - [`Rule::Unicode`]: any alphanumeric character is kept, lower-cased; every run of other
//!   characters becomes one `-`; no length cap. A source's own name for itself becomes the
//!   service it reports on ("Hugging Face" → `hugging-face`), and an AWS event's summary part
//!   of its grouping key. Stored keys depend on it, so it never changes.
//! - [`Rule::Ascii`]: ASCII letters and digits only, every other run one `-`, cut at
//!   `max_chars` and trimmed of a trailing `-`. Service slugs ([`SERVICE`], 64) and
//!   postmortem file names ([`FILE_NAME`], 60).

/// How a name becomes a slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Unicode,
    Ascii { max_chars: usize },
}

/// Service slugs: at most 64 ASCII characters (`ServiceSlug`'s own limit).
pub const SERVICE: Rule = Rule::Ascii { max_chars: 64 };
/// Postmortem file names: at most 60 characters of title after the date.
pub const FILE_NAME: Rule = Rule::Ascii { max_chars: 60 };
/// A source's own name for itself, and grouping keys.
pub const SOURCE_NAME: Rule = Rule::Unicode;

/// The slug of `name` under `rule`; empty when nothing is left.
pub fn slugify(name: &str, rule: Rule) -> String {
    match rule {
        Rule::Unicode => unicode(name),
        Rule::Ascii { max_chars } => ascii(name, max_chars),
    }
}

fn unicode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

fn ascii(name: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(name.len());
    // Lower-casing first: some capitals lower-case to more than one character ("İ" → "i̇").
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let capped: String = out.trim_end_matches('-').chars().take(max_chars).collect();
    capped.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names that exercise every rule: case, punctuation runs, non-ASCII letters, scripts
    /// without ASCII, capitals that lower-case to two characters, and both caps.
    const NAMES: &[&str] = &[
        "GitHub",
        "  Atlassian Bitbucket! ",
        "Hugging Face",
        "Nimbus Cloud (EU)",
        "!!!",
        "",
        "--",
        "Amazon Web Services — us-east-1",
        "Increased Error Rates and Latencies in US-EAST-1",
        "Panne générale: paiements indisponibles",
        "Øresund Ærø straße",
        "İstanbul DC",
        "東京リージョン障害",
        "Mixed_under_score and.dots/slashes\\back",
        "a-b--c---d",
        "   leading and trailing   ",
        "Ⅻ roman ½ half ² sup",
        "This title is deliberately very long so that it passes sixty characters and then sixty-four characters too",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefg-hijklmnopqrstuvwxyz",
    ];

    #[test]
    fn every_variant_keeps_the_output_its_callers_had() {
        let mut text = String::new();
        for (label, rule) in [
            ("unicode", SOURCE_NAME),
            ("service", SERVICE),
            ("file_name", FILE_NAME),
        ] {
            text.push_str(&format!("== {label}\n"));
            for name in NAMES {
                text.push_str(&format!("{name:?} -> {:?}\n", slugify(name, rule)));
            }
        }
        insta::assert_snapshot!(text);
    }
}
