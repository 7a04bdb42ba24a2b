//! Splitting a plain query into words.
//!
//! Rules: words are separated by white space; a word loses the punctuation around it (but keeps
//! "-", "/" and "." inside: "us-east-1", "pub/sub", "n. virginia" reads "n." as "n."), is
//! lowercased, and loses a French elision ("l'application" → "application").

/// French elided articles and pronouns, before an apostrophe.
const ELISIONS: &[&str] = &[
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu",
];

/// One word as typed, normalized for matching.
pub fn normalize(word: &str) -> String {
    let lower = word.to_lowercase().replace('’', "'");
    let trimmed = lower.trim_matches(|c: char| !c.is_alphanumeric() && c != '.');
    let trimmed = trimmed.trim_start_matches('.');
    // A trailing period ends a sentence unless the word is an abbreviation such as "n.".
    let trimmed = match trimmed.strip_suffix('.') {
        Some(rest) if rest.chars().count() > 1 => rest,
        _ => trimmed,
    };
    match trimmed.split_once('\'') {
        Some((head, tail)) if ELISIONS.contains(&head) && !tail.is_empty() => tail.to_string(),
        _ => trimmed.to_string(),
    }
}

/// The words of `q` that have a letter or digit, as typed and normalized.
pub fn split(q: &str) -> Vec<(String, String)> {
    q.split_whitespace()
        .map(|w| (w.to_string(), normalize(w)))
        .filter(|(_, n)| n.chars().any(char::is_alphanumeric))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_lose_what_surrounds_them_and_keep_what_joins_them() {
        assert_eq!(normalize("US-EAST-1,"), "us-east-1");
        assert_eq!(normalize("l'application"), "application");
        assert_eq!(normalize("N."), "n.");
        assert_eq!(normalize("outage."), "outage");
        assert_eq!(normalize("(pub/sub)"), "pub/sub");
        assert_eq!(normalize("aujourd'hui"), "aujourd'hui");
        assert!(split("?? !! ...").is_empty());
    }
}
