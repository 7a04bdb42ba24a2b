//! Searching a plain query (no syntax) as people type it: every concept required first, then,
//! when that finds fewer than [`RELAX_BELOW`] incidents, about two thirds of them; names with
//! their aliases; words that match nothing expanded to their near spellings; the period a date
//! named as a filter.
//!
//! Rules: a concept is one word or one alias name, searched in the titles, bodies and component
//! names with the analyzer of each field (so stemming and folding apply) and the parser's
//! boosts. A concept with no match, even after typo expansion, cannot be satisfied: it is left
//! out and said so. Strict requests skip relaxing, typos, aliases and dates (see `understand`).

use tantivy::Searcher;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Term};

use super::fuzzy;
use super::query::{AppliedFilter, SearchRequest, SearchResults, count, execute};
use super::understand::{Concept, Reading, is_generic, is_region};
use super::{Live, SearchError};

/// The strict query's total under which the relaxed one is used.
pub const RELAX_BELOW: usize = 10;

/// What the reading became.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Concepts searched, each with how it was expanded.
    pub concepts: Vec<Planned>,
    /// Concepts that match nothing in the index, as typed.
    pub unmatched: Vec<String>,
    /// The query with each typo replaced by its likeliest spelling.
    pub did_you_mean: Option<String>,
    /// How many of the concepts a relaxed search requires (0 when it cannot relax).
    pub minimum: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub typed: String,
    /// `alias` or `typo` when the concept was widened, with what it was widened to.
    pub expanded: Option<(&'static str, Vec<String>)>,
}

/// The text queries of a reading: every concept required, and (when there are two or more)
/// the relaxed form. `None` when nothing is left to search.
pub struct Built {
    pub strict: Option<Box<dyn Query>>,
    pub relaxed: Option<Box<dyn Query>>,
    pub plan: Plan,
}

/// Searched fields and their boosts, as the parser has them.
pub(super) fn fields(live: &Live) -> [(Field, f32); 6] {
    let f = &live.fields;
    [
        (f.title_en, 2.0),
        (f.title_fr, 2.0),
        (f.body_en, 1.0),
        (f.body_fr, 1.0),
        (f.component, super::query::COMPONENT_BOOST),
        (f.cascade, super::query::CASCADE_BOOST),
    ]
}

pub fn build(
    live: &Live,
    searcher: &Searcher,
    reading: &Reading,
    strict: bool,
    q: &str,
) -> Result<Built, SearchError> {
    // Each required clause with its weight in a relaxed search.
    let mut clauses: Vec<(Box<dyn Query>, f32)> = Vec::new();
    let mut soft: Vec<Box<dyn Query>> = Vec::new();
    let mut plan = Plan::default();
    let mut replacements: Vec<(String, String)> = Vec::new();
    // Words that only say something broke are optional beside others or a date (not when
    // strict): "panne 20 octobre" lists that day's incidents, those saying "panne" first.
    let specific = reading.concepts.iter().any(|c| !is_generic(c)) || reading.period.is_some();
    for concept in &reading.concepts {
        let (clause, planned) = concept_clause(live, searcher, concept, strict)?;
        match clause {
            Some(clause) => {
                if let Some(("typo", to)) = &planned.expanded
                    && let Some(best) = to.first()
                {
                    replacements.push((planned.typed.clone(), best.clone()));
                }
                match !strict && specific && is_generic(concept) {
                    true => {
                        soft.push(clause);
                        soft.extend(super::proximity::said_by_providers(live, searcher)?);
                    }
                    false => clauses.push(super::proximity::weighed(clause, is_region(concept))),
                }
                plan.concepts.push(planned);
            }
            // Strict asks for every word: one that matches nothing matches no incident.
            None if strict => return Ok(nothing(plan)),
            None => plan.unmatched.push(planned.typed),
        }
    }
    plan.did_you_mean = did_you_mean(q, &replacements);
    if clauses.is_empty() && !soft.is_empty() && reading.period.is_some() {
        clauses.push((Box::new(AllQuery), 1.0));
    }
    if clauses.is_empty() {
        clauses.extend(soft.drain(..).map(|c| (c, 1.0)));
    }
    if clauses.is_empty() {
        return Ok(nothing(plan));
    }
    // Bonuses only: they change the order, never what matches.
    soft.extend(super::proximity::pairs(live, searcher, &reading.concepts)?);
    Ok(assemble(clauses, soft, plan, strict))
}

/// The strict query (every clause) and, unless strict, the relaxed one (about two thirds of
/// them), each with the bonuses beside it.
fn assemble(
    clauses: Vec<(Box<dyn Query>, f32)>,
    soft: Vec<Box<dyn Query>>,
    mut plan: Plan,
    strict: bool,
) -> Built {
    let n = clauses.len();
    // About two thirds, rounded down: half of four words, two of three, four of six.
    let minimum = (n * 2 / 3).max(1);
    let with_soft = |core: Box<dyn Query>| -> Box<dyn Query> {
        let mut all = vec![(Occur::Must, core)];
        all.extend(soft.iter().map(|s| (Occur::Should, s.box_clone())));
        Box::new(BooleanQuery::new(all))
    };
    let relaxed = (!strict && minimum < n).then(|| {
        let should = clauses
            .iter()
            .map(|(c, weight)| {
                (
                    Occur::Should,
                    super::proximity::counted(c.as_ref(), *weight),
                )
            })
            .collect();
        with_soft(Box::new(BooleanQuery::with_minimum_required_clauses(
            should, minimum,
        )))
    });
    if relaxed.is_some() {
        plan.minimum = minimum;
    }
    let must = clauses.into_iter().map(|(c, _)| (Occur::Must, c)).collect();
    Built {
        strict: Some(with_soft(Box::new(BooleanQuery::new(must)))),
        relaxed,
        plan,
    }
}

fn nothing(plan: Plan) -> Built {
    Built {
        strict: None,
        relaxed: None,
        plan,
    }
}

/// One concept's query, or `None` when nothing in the index can match it.
fn concept_clause(
    live: &Live,
    searcher: &Searcher,
    concept: &Concept,
    strict: bool,
) -> Result<(Option<Box<dyn Query>>, Planned), SearchError> {
    let typed = concept.typed().to_string();
    match concept {
        Concept::Alias { group, .. } => {
            let mut alternatives = Vec::new();
            for name in &group.names {
                alternatives.extend(words_clause(live, searcher, name)?);
            }
            if let Some(region) = &group.region {
                let term = Term::from_field_text(live.fields.region, region);
                if searcher.doc_freq(&term)? > 0 {
                    let q = TermQuery::new(term, IndexRecordOption::Basic);
                    alternatives.push(Box::new(q) as Box<dyn Query>);
                }
            }
            let expanded = Some(("alias", group.names.clone()));
            Ok((any_of(alternatives), Planned { typed, expanded }))
        }
        Concept::Word(word) => {
            if let Some(q) = words_clause(live, searcher, word)? {
                return Ok((
                    Some(q),
                    Planned {
                        typed,
                        expanded: None,
                    },
                ));
            }
            if strict {
                return Ok((
                    None,
                    Planned {
                        typed,
                        expanded: None,
                    },
                ));
            }
            let (q, to) = typo_clause(live, searcher, word)?;
            let expanded = (!to.is_empty()).then_some(("typo", to));
            Ok((q, Planned { typed, expanded }))
        }
    }
}

/// `text` in every field, analyzed as that field is; `None` when no field has it.
pub(super) fn words_clause(
    live: &Live,
    searcher: &Searcher,
    text: &str,
) -> Result<Option<Box<dyn Query>>, SearchError> {
    let mut per_field: Vec<Box<dyn Query>> = Vec::new();
    for (field, boost) in fields(live) {
        let terms = analyzed(live, field, text)?;
        let mut present = true;
        for (_, term) in &terms {
            present &= searcher.doc_freq(term)? > 0;
        }
        if terms.is_empty() || !present {
            continue;
        }
        let query: Box<dyn Query> = match terms.as_slice() {
            [(_, term)] => Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
            _ => Box::new(PhraseQuery::new_with_offset(terms)),
        };
        per_field.push(Box::new(BoostQuery::new(query, boost)));
    }
    Ok(any_of(per_field))
}

/// The tokens of `text` under `field`'s analyzer, with their positions.
pub(super) fn analyzed(
    live: &Live,
    field: Field,
    text: &str,
) -> Result<Vec<(usize, Term)>, SearchError> {
    let mut analyzer = live.index.tokenizer_for_field(field)?;
    let mut stream = analyzer.token_stream(text);
    let mut terms = Vec::new();
    while stream.advance() {
        let token = stream.token();
        terms.push((token.position, Term::from_field_text(field, &token.text)));
    }
    Ok(terms)
}

/// A word's query, widened, and the words it was widened to (best first).
type Widened = (Option<Box<dyn Query>>, Vec<String>);

/// The near spellings of a word that matches nothing, and what they are (best first).
fn typo_clause(live: &Live, searcher: &Searcher, word: &str) -> Result<Widened, SearchError> {
    // Folded and lowercased as the component names are, but not stemmed: "as typed".
    let folded = analyzed(live, live.fields.component, word)?;
    let [(_, term)] = folded.as_slice() else {
        return Ok((None, Vec::new()));
    };
    let Some(folded) = term.value().as_str().map(str::to_string) else {
        return Ok((None, Vec::new()));
    };
    let fields = fields(live);
    let names: Vec<Field> = fields.iter().map(|(f, _)| *f).collect();
    let mut stems = Vec::new();
    for field in [live.fields.title_en, live.fields.title_fr] {
        if let [(_, t)] = analyzed(live, field, word)?.as_slice()
            && let Some(stem) = t.value().as_str()
        {
            stems.push(stem.to_string());
        }
    }
    let near = fuzzy::near(searcher, &names, &folded, &stems)?;
    let boost = |field: Field| {
        fields
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(1.0, |b| b.1)
    };
    let queries: Vec<Box<dyn Query>> = near
        .iter()
        .map(|n| {
            let q = TermQuery::new(
                Term::from_field_text(n.field, &n.term),
                IndexRecordOption::WithFreqs,
            );
            Box::new(BoostQuery::new(Box::new(q), boost(n.field))) as Box<dyn Query>
        })
        .collect();
    // Component names are not stemmed: their spelling reads best in a suggestion.
    let component = live.fields.component;
    let mut words: Vec<String> = near
        .iter()
        .filter(|n| n.field == component)
        .chain(near.iter().filter(|n| n.field != component))
        .map(|n| n.term.clone())
        .collect();
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    Ok((any_of(queries), words))
}

pub(super) fn any_of(mut queries: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    match queries.len() {
        0 => None,
        1 => queries.pop(),
        _ => Some(Box::new(BooleanQuery::new(
            queries.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))),
    }
}

/// `q` with each typo replaced, or `None` when there was none.
fn did_you_mean(q: &str, replacements: &[(String, String)]) -> Option<String> {
    if replacements.is_empty() {
        return None;
    }
    let words: Vec<String> = q
        .split_whitespace()
        .map(|w| {
            let normal = super::understand::normalize(w);
            replacements
                .iter()
                .find(|(typed, _)| *typed == normal)
                .map_or_else(|| w.to_string(), |(_, best)| best.clone())
        })
        .collect();
    Some(words.join(" "))
}

/// Searches a plain query: strict, then relaxed when strict finds too little.
pub fn run(
    live: &Live,
    request: &SearchRequest,
    reading: &Reading,
) -> Result<SearchResults, SearchError> {
    let searcher = live.reader.searcher();
    let mut request = request.clone();
    let mut filters_applied = Vec::new();
    if let Some(p) = &reading.period {
        request.since = Some(request.since.map_or(p.since, |s| s.max(p.since)));
        request.until = Some(request.until.map_or(p.until, |u| u.min(p.until)));
        filters_applied.push(AppliedFilter {
            kind: "date",
            text: p.text.clone(),
            since: p.since,
            until: p.until,
        });
    }
    let built = build(live, &searcher, reading, request.strict, &request.q)?;
    let said = |mut r: SearchResults, plan: Plan| {
        r.did_you_mean = plan.did_you_mean.clone();
        r.plan = plan;
        r.filters_applied = filters_applied.clone();
        r.dropped = reading.dropped.clone();
        r
    };
    if reading.concepts.is_empty() {
        // Nothing but a date (or punctuation): the period's incidents, newest first.
        return Ok(said(execute(live, &searcher, &request, None)?, built.plan));
    }
    let words = built.strict.as_ref().map(|q| q.box_clone());
    let mut results = match (built.strict, built.relaxed) {
        (None, _) => SearchResults::default(),
        (Some(strict), None) => execute(live, &searcher, &request, Some(strict))?,
        (Some(strict), Some(relaxed)) => {
            let found = count(live, &searcher, &request, strict.box_clone())?;
            if found >= RELAX_BELOW {
                execute(live, &searcher, &request, Some(strict))?
            } else {
                let mut wider = execute(live, &searcher, &request, Some(relaxed))?;
                wider.relaxed = wider.total > found;
                wider
            }
        }
    };
    if results.total == 0 && reading.period.is_some() && !request.strict {
        results = within_period(live, &searcher, &request, words)?;
    }
    Ok(said(results, built.plan))
}

/// Nothing the period holds has the words ("connexion novembre 2025"): the period's incidents,
/// those with the words first, said as relaxed. The date is the surer half of such a query.
fn within_period(
    live: &Live,
    searcher: &Searcher,
    request: &SearchRequest,
    words: Option<Box<dyn Query>>,
) -> Result<SearchResults, SearchError> {
    let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(AllQuery))];
    all.extend(words.map(|w| (Occur::Should, w)));
    let mut results = execute(
        live,
        searcher,
        request,
        Some(Box::new(BooleanQuery::new(all))),
    )?;
    results.relaxed = results.total > 0;
    Ok(results)
}
