//! Ranking bonuses of a plain query that never change what matches: neighbouring words found
//! side by side, and (when relaxed) hits that have more of the words.
//!
//! Rules:
//! - Each pair of neighbouring words of the query ("api requests", "github pages") found as a
//!   phrase, within [`SLOP`] positions, in a title, a component or a body adds to the score with
//!   that field's boost: people type names and phrases, and a document that has them together
//!   is about them more than one that has the words apart.
//! - A relaxed search ranks by how many of the words a hit has before how well it has them:
//!   each word a hit has adds [`PER_WORD`], more than one word's text score usually is, so a hit
//!   with both words of "application indisponible" ranks above one with "application" alone.
//! - A region ("oregon", "eu-west-2") says where, not what: beside a product or a word, its
//!   clause weighs [`REGION_WEIGHT`] of theirs, so "lambda oregon" relaxed lists Lambda's
//!   incidents elsewhere before Oregon's incidents of other products.
//! - A generic word ("outage") beside others also ranks first the hits with the words
//!   providers write instead ([`SAID_BY_PROVIDERS`]), by a constant [`SAID_BONUS`]: enough to
//!   order hits that have the query's words equally well, never to pass one that has them
//!   better.

use tantivy::Searcher;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query};

use super::plain::{analyzed, any_of, fields, words_clause};
use super::understand::{Concept, SAID_BY_PROVIDERS};
use super::{Live, SearchError};

/// Positions a pair's words may stand apart and still count as together.
const SLOP: u32 = 1;
/// A word's weight in the ranking of a relaxed search.
const PER_WORD: f32 = 20.0;
/// What saying it broke in a provider's words adds: a constant, since their rarest words
/// ("impaired") would otherwise outweigh what the query names.
const SAID_BONUS: f32 = 2.0;
/// A region's weight beside the other concepts of a query.
const REGION_WEIGHT: f32 = 0.25;

/// Optional clauses for each pair of neighbouring words found together somewhere.
pub fn pairs(
    live: &Live,
    searcher: &Searcher,
    concepts: &[Concept],
) -> Result<Vec<Box<dyn Query>>, SearchError> {
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    for pair in concepts.windows(2) {
        let (Concept::Word(a), Concept::Word(b)) = (&pair[0], &pair[1]) else {
            continue;
        };
        let text = format!("{a} {b}");
        for (field, boost) in fields(live) {
            let terms = analyzed(live, field, &text)?;
            if terms.len() != 2 {
                continue;
            }
            let mut present = true;
            for (_, term) in &terms {
                present &= searcher.doc_freq(term)? > 0;
            }
            if !present {
                continue;
            }
            let mut phrase = PhraseQuery::new_with_offset(terms);
            phrase.set_slop(SLOP);
            out.push(Box::new(BoostQuery::new(Box::new(phrase), boost)));
        }
    }
    Ok(out)
}

/// `clause` as one of a relaxed search's words: it matches as it does, and scores
/// [`PER_WORD`] (times its `weight`) more.
pub fn counted(clause: &dyn Query, weight: f32) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, clause.box_clone()),
        (
            Occur::Should,
            Box::new(ConstScoreQuery::new(clause.box_clone(), PER_WORD * weight)),
        ),
    ]))
}

/// A required concept's clause with its weight: a region's scaled down to [`REGION_WEIGHT`].
pub fn weighed(clause: Box<dyn Query>, region: bool) -> (Box<dyn Query>, f32) {
    match region {
        true => (
            Box::new(BoostQuery::new(clause, REGION_WEIGHT)),
            REGION_WEIGHT,
        ),
        false => (clause, 1.0),
    }
}

/// An optional clause for any of the words providers write when something broke, where the
/// index has them.
pub fn said_by_providers(
    live: &Live,
    searcher: &Searcher,
) -> Result<Option<Box<dyn Query>>, SearchError> {
    let mut any = Vec::new();
    for word in SAID_BY_PROVIDERS {
        any.extend(words_clause(live, searcher, word)?);
    }
    Ok(any_of(any).map(|q| Box::new(ConstScoreQuery::new(q, SAID_BONUS)) as Box<dyn Query>))
}
