//! Typo expansion: the indexed terms within a small edit distance of a word that matches
//! nothing.
//!
//! Rules: the distance is measured on the word as typed (lowercased and folded, before any
//! stemming): 1 from 5 characters, 2 from 9, none below 5 (short words have too many
//! neighbours); a swap of two letters counts as one edit. At most [`MAX_EXPANSIONS`] terms are
//! kept, however many the dictionaries hold, so a query's cost stays bounded. Only called for
//! words with no match, so common words are never expanded.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use tantivy::Searcher;
use tantivy::schema::{Field, Term};

pub const MAX_EXPANSIONS: usize = 50;

/// One term of the index close to the typed word.
#[derive(Debug, Clone)]
pub struct Near {
    pub field: Field,
    pub term: String,
    pub doc_freq: u64,
}

/// The edit distance allowed for a word of `chars` characters.
pub fn distance_for(chars: usize) -> Option<u8> {
    match chars {
        9.. => Some(2),
        5.. => Some(1),
        _ => None,
    }
}

fn builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    // Building one precomputes its parametric automaton: do it once per distance.
    static ONE: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static TWO: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    match distance {
        1 => ONE.get_or_init(|| LevenshteinAutomatonBuilder::new(1, true)),
        _ => TWO.get_or_init(|| LevenshteinAutomatonBuilder::new(2, true)),
    }
}

/// Terms of `fields` near `typed` (lowercased and folded) or near one of its `stems` (the
/// index holds stems: "webhoks" is two edits from "webhook" but its stem "webhok" one), most
/// frequent first. The distance allowed follows the length of `typed`.
pub fn near(
    searcher: &Searcher,
    fields: &[Field],
    typed: &str,
    stems: &[String],
) -> tantivy::Result<Vec<Near>> {
    let Some(distance) = distance_for(typed.chars().count()) else {
        return Ok(Vec::new());
    };
    let mut forms: Vec<&str> = vec![typed];
    forms.extend(stems.iter().map(String::as_str).filter(|s| *s != typed));
    let mut found: BTreeMap<(Field, String), ()> = BTreeMap::new();
    'forms: for form in forms {
        let dfa = builder(distance).build_dfa(form);
        for segment in searcher.segment_readers() {
            for &field in fields {
                let index = segment.inverted_index(field)?;
                let mut stream = index.terms().search(Dfa(&dfa)).into_stream()?;
                while stream.advance() {
                    if let Ok(term) = std::str::from_utf8(stream.key()) {
                        found.insert((field, term.to_string()), ());
                    }
                    if found.len() >= MAX_EXPANSIONS {
                        break 'forms;
                    }
                }
            }
        }
    }
    let mut near = Vec::with_capacity(found.len());
    for (field, term) in found.into_keys() {
        let doc_freq = searcher.doc_freq(&Term::from_field_text(field, &term))?;
        near.push(Near {
            field,
            term,
            doc_freq,
        });
    }
    near.sort_by_key(|n| std::cmp::Reverse(n.doc_freq));
    Ok(near)
}

/// A Levenshtein automaton as the term dictionaries walk it (tantivy's own wrapper is private).
struct Dfa<'a>(&'a DFA);

impl tantivy_fst::Automaton for Dfa<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_words_allow_more_edits_and_short_ones_none() {
        assert_eq!(distance_for(4), None);
        assert_eq!(distance_for(5), Some(1));
        assert_eq!(distance_for(8), Some(1));
        assert_eq!(distance_for(9), Some(2));
    }
}
