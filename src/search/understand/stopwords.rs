//! Stop words as a query reads them: words that say how a question is asked, not what it is
//! about.
//!
//! Rules: a word is a stop word when the index's own analyzers drop it (tantivy's English list,
//! Lucene's 33 words, and Snowball's French list), or when it is in [`QUESTION_WORDS`]. Words are
//! compared lowercased, with apostrophes' elisions ("l'", "d'") already split off by the caller.

use std::sync::OnceLock;

use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, StopWordFilter, TextAnalyzer};

/// Words people put in questions that the index's lists keep ("why were git pushes failing",
/// "pourquoi le site est lent"). Written here because tantivy's lists are private, and Lucene's
/// English one is meant for documents, where these words can carry meaning; in a query they
/// never do.
const QUESTION_WORDS: &[&str] = &[
    // English
    "about", "after", "all", "am", "any", "because", "before", "been", "being", "can", "could",
    "did", "do", "does", "doing", "during", "had", "has", "have", "having", "how", "i", "me", "my",
    "our", "ours", "please", "should", "some", "than", "we", "were", "what", "when", "where",
    "which", "who", "why", "would", "you", "your", // French
    "est", "sont", "était", "etait", "ont", "avait", "pourquoi", "quand", "comment", "quel",
    "quelle", "quels", "quelles", "y",
];

/// Whether `word` (one word, any case) is a stop word in English or French.
pub fn is_stop_word(word: &str) -> bool {
    let lower = word.to_lowercase();
    if QUESTION_WORDS.contains(&lower.as_str()) {
        return true;
    }
    let [english, french] = filters();
    dropped_by(english, &lower) || dropped_by(french, &lower)
}

/// The two stop-word chains, built once (building one copies its list into a set).
fn filters() -> &'static [TextAnalyzer; 2] {
    static FILTERS: OnceLock<[TextAnalyzer; 2]> = OnceLock::new();
    FILTERS.get_or_init(|| [chain(Language::English), chain(Language::French)])
}

fn chain(language: Language) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser);
    match StopWordFilter::new(language) {
        Some(stop) => builder.filter(stop).build(),
        None => builder.build(),
    }
}

/// Whether the chain leaves nothing of a word that has letters or digits.
fn dropped_by(analyzer: &TextAnalyzer, word: &str) -> bool {
    // Cloning is cheap (an Arc'd chain) and gives the &mut a token stream needs.
    let mut analyzer = analyzer.clone();
    let mut stream = analyzer.token_stream(word);
    let mut any_token = false;
    while stream.advance() {
        any_token = true;
    }
    !any_token && word.chars().any(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_words_of_both_languages_are_stop_words() {
        for w in [
            "in", "the", "de", "la", "est", "Why", "were", "des", "à", "because",
        ] {
            assert!(is_stop_word(w), "{w}");
        }
    }

    #[test]
    fn content_words_are_not() {
        for w in [
            "webhooks",
            "connexion",
            "outage",
            "down",
            "us-east-1",
            "panne",
            "s3",
        ] {
            assert!(!is_stop_word(w), "{w}");
        }
    }
}
