//! Text analysis for English and French.
//!
//! Rules:
//! - Tokenizers are not stored in the index; [`register`] runs on every open, with these names.
//! - The names carry a version: changing a chain means a new name, and a new schema version,
//!   which rebuilds the index by itself.
//! - Order matters: lowercase, then stop words (the French list holds accented words and the
//!   elided "l", "d", "qu"), then stemming (Snowball French relies on accents), then ASCII
//!   folding last, so "resolu" meets "résolu" and "pannes" meets "panne".

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer,
};

pub const ENGLISH: &str = "en_v1";
pub const FRENCH: &str = "fr_v1";
/// Whole values such as slugs and statuses, matched without regard to case.
pub const KEYWORD: &str = "keyword_v1";
/// Names such as "Amazon Kinesis Data Streams (N. Virginia)": words, no stemming, no stop words.
pub const NAME: &str = "name_v1";

pub fn register(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(ENGLISH, analyzer(Language::English));
    tokenizers.register(FRENCH, analyzer(Language::French));
    tokenizers.register(
        NAME,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    tokenizers.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

pub fn analyzer(language: Language) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(language) {
        Some(stop) => builder
            .filter(stop)
            .filter(Stemmer::new(language))
            .filter(AsciiFoldingFilter)
            .build(),
        None => builder
            .filter(Stemmer::new(language))
            .filter(AsciiFoldingFilter)
            .build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(language: Language, text: &str) -> Vec<String> {
        let mut analyzer = analyzer(language);
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn english_sentences_reduce_to_stems() {
        insta::assert_debug_snapshot!(tokens(
            Language::English,
            "We are investigating elevated error rates; outages of DynamoDB endpoints in US-EAST-1 were resolved."
        ));
    }

    #[test]
    fn french_sentences_drop_elisions_and_accents() {
        insta::assert_debug_snapshot!(tokens(
            Language::French,
            "L'incident est résolu : les pannes de l'API ont été corrigées et nous surveillons la récupération."
        ));
    }

    #[test]
    fn unaccented_and_plural_forms_meet_the_written_ones() {
        assert_eq!(
            tokens(Language::French, "resolu"),
            tokens(Language::French, "résolu")
        );
        assert_eq!(
            tokens(Language::French, "pannes"),
            tokens(Language::French, "panne")
        );
        assert_eq!(
            tokens(Language::English, "outages"),
            tokens(Language::English, "outage")
        );
    }
}
