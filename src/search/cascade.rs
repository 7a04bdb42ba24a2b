//! Results grouped by cascade: a hit downstream of another hit (its incident has an `upstream`
//! link to the other) is nested under that hit, so one outage reads as one result.
//!
//! Rules:
//! - Only hits group: an upstream incident that does not match the query is not pulled in, so
//!   `total` still counts the matching incidents. `limit` and `offset` count groups.
//! - A group ranks where its best member ranks. The upstream incident leads it; its downstream
//!   hits follow in their own order. A chain (A upstream of B upstream of C) nests under its
//!   root; a cycle of links (which people could set by hand) groups nothing.
//! - Grouping looks at a window of the best hits a few times deeper than the page, not at every
//!   match: a hit whose upstream ranks beyond the window stays a result of its own. The window
//!   widens once when grouping left the page short.
//! - Requests with `flat` (saved-search matching) skip it and get every hit as its own result.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use tantivy::collector::DocSetCollector;
use tantivy::columnar::StrColumn;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Term};
use tantivy::{DocAddress, Searcher};

use super::query::SearchRequest;
use super::{Live, SearchError};

/// A ranked document: its score (0 when sorted by date) and address.
pub(super) type Ranked = (f32, DocAddress);

/// One result: the lead hit and the hits downstream of it.
pub(super) struct Group {
    pub lead: Ranked,
    pub downstream: Vec<Ranked>,
}

/// How many of the best hits to collect for a page of `request`, on the first try (`wide`
/// false) or the second.
pub(super) fn window(request: &SearchRequest, wide: bool) -> usize {
    let depth = request.offset + request.limit;
    if request.flat {
        depth
    } else if wide {
        depth.saturating_mul(8).saturating_add(100)
    } else {
        depth.saturating_mul(2).saturating_add(20)
    }
}

/// The page of `request` from the ranked window, and whether the window was too shallow to
/// fill it (it was full and grouping left fewer groups than the page reaches).
pub(super) fn page(
    live: &Live,
    searcher: &Searcher,
    request: &SearchRequest,
    ranked: Vec<Ranked>,
    window: usize,
) -> Result<(Vec<Group>, bool), SearchError> {
    let full = ranked.len() >= window;
    let groups = if request.flat {
        ranked
            .into_iter()
            .map(|lead| Group {
                lead,
                downstream: Vec::new(),
            })
            .collect()
    } else {
        group(live, searcher, ranked)?
    };
    let short = full && groups.len() < request.offset + request.limit;
    let page = groups
        .into_iter()
        .skip(request.offset)
        .take(request.limit)
        .collect();
    Ok((page, short))
}

/// The ranked hits as groups, in the order of each group's best member.
fn group(live: &Live, searcher: &Searcher, ranked: Vec<Ranked>) -> Result<Vec<Group>, SearchError> {
    let parents = parents(live, searcher, &ranked)?;
    let roots: Vec<usize> = (0..ranked.len()).map(|i| root(&parents, i)).collect();
    let mut slot_of_root: HashMap<usize, usize> = HashMap::new();
    let mut members: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, &r) in roots.iter().enumerate() {
        let slot = *slot_of_root.entry(r).or_insert_with(|| {
            members.push((r, Vec::new()));
            members.len() - 1
        });
        if i != r {
            members[slot].1.push(i);
        }
    }
    Ok(members
        .into_iter()
        .map(|(lead, downstream)| Group {
            lead: ranked[lead],
            downstream: downstream.into_iter().map(|i| ranked[i]).collect(),
        })
        .collect())
}

/// Where a chain of parents from `i` ends; `i` itself when it loops.
fn root(parents: &[Option<usize>], i: usize) -> usize {
    let mut at = i;
    for _ in 0..=parents.len() {
        match parents[at] {
            Some(p) => at = p,
            None => return at,
        }
    }
    i
}

/// For each ranked hit, the best-ranked other hit it is downstream of.
fn parents(
    live: &Live,
    searcher: &Searcher,
    ranked: &[Ranked],
) -> Result<Vec<Option<usize>>, SearchError> {
    let upstream = upstream_ids(searcher, ranked)?;
    if upstream.iter().all(Vec::is_empty) {
        return Ok(vec![None; ranked.len()]);
    }
    let rank_of: HashMap<DocAddress, usize> = ranked
        .iter()
        .enumerate()
        .map(|(i, (_, a))| (*a, i))
        .collect();
    let mut found: HashMap<String, Option<usize>> = HashMap::new();
    let mut parents = Vec::with_capacity(ranked.len());
    for (i, ids) in upstream.iter().enumerate() {
        let mut best: Option<usize> = None;
        for id in ids {
            let rank = match found.get(id) {
                Some(rank) => *rank,
                None => {
                    let rank = address_of(live, searcher, id)?.and_then(|a| rank_of.get(&a));
                    let rank = rank.copied();
                    found.insert(id.clone(), rank);
                    rank
                }
            };
            best = match (best, rank) {
                (Some(b), Some(r)) if r != i => Some(b.min(r)),
                (None, Some(r)) if r != i => Some(r),
                (b, _) => b,
            };
        }
        parents.push(best);
    }
    Ok(parents)
}

/// The upstream ids of each ranked hit, read from the `upstream` fast column.
fn upstream_ids(searcher: &Searcher, ranked: &[Ranked]) -> Result<Vec<Vec<String>>, SearchError> {
    let mut columns: HashMap<u32, Option<StrColumn>> = HashMap::new();
    let mut out = Vec::with_capacity(ranked.len());
    let mut text = String::new();
    for (_, address) in ranked {
        let segment = address.segment_ord;
        let column = match columns.entry(segment) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(
                searcher
                    .segment_reader(segment)
                    .fast_fields()
                    .str("upstream")?,
            ),
        };
        let mut ids = Vec::new();
        if let Some(column) = column.as_ref() {
            for ord in column.term_ords(address.doc_id) {
                text.clear();
                if column.ord_to_str(ord, &mut text)? {
                    ids.push(text.clone());
                }
            }
        }
        out.push(ids);
    }
    Ok(out)
}

/// Where the live document of incident `id` is, if it is indexed.
fn address_of(
    live: &Live,
    searcher: &Searcher,
    id: &str,
) -> Result<Option<DocAddress>, SearchError> {
    let term = Term::from_field_text(live.fields.id, id);
    let query = TermQuery::new(term, IndexRecordOption::Basic);
    Ok(searcher
        .search(&query, &DocSetCollector)?
        .into_iter()
        .next())
}
