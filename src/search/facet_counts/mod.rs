//! Facet counts (services, providers, impact, year) collected from fast fields in the same pass
//! as the hits.
//!
//! Why not tantivy's `FacetCollector`: it resolves every facet ordinal it met back to its path,
//! per segment and per query. With a few thousand services that was a third of a query's time.
//! Here each segment counts term ordinals in a flat array and turns only its
//! `RESOLVED_PER_SEGMENT` largest into text. The merge then counts those candidates exactly in
//! every segment (a dictionary lookup each), and checks the threshold rule: a value that no
//! segment resolved has at most the sum of each segment's smallest resolved count. When the
//! tenth candidate is above that, the top ten is exact; otherwise every value is resolved, as
//! `FacetCollector` would. The counts shown are always exact.

use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnIndex, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::query::Facets;

/// Values shown per facet.
pub const FACET_SIZE: usize = 10;
/// Values turned into text per segment and facet before the exact pass.
const RESOLVED_PER_SEGMENT: usize = 64;

/// The text facets, by fast field name, in the order of [`Facets`].
const TEXT_FACETS: [&str; 3] = ["service", "provider", "impact"];

pub struct FacetCounter;

/// One text facet of one segment: its dictionary, the ordinals of each document, the counts.
struct TextCounts {
    column: StrColumn,
    ords: Column<u64>,
    counts: Vec<u32>,
}

/// Years counted per hit in a flat array from this year on (a hash map per hit cost a tenth of a
/// query); years outside it are too odd to be worth a facet.
const FIRST_YEAR: u64 = 1970;
const YEARS: usize = 256;

pub struct SegmentFacetCounter {
    text: Vec<Option<TextCounts>>,
    year: Option<Column<u64>>,
    years: Vec<u64>,
    /// Values of a block of hits, and the rows behind them, reused from block to block.
    block: Vec<u64>,
    rows: Vec<u32>,
    docs_out: Vec<DocId>,
}

/// What one segment found: per text facet, the resolved values with their counts, and for a
/// segment that did not resolve all of them, its counts and its smallest resolved count.
pub struct SegmentFacets {
    resolved: [HashMap<String, u64>; 3],
    unresolved: [Option<(TextCounts, u64)>; 3],
    years: Vec<u64>,
}

impl Collector for FacetCounter {
    type Fruit = Facets;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let fast = reader.fast_fields();
        let mut text = Vec::with_capacity(TEXT_FACETS.len());
        for name in TEXT_FACETS {
            text.push(fast.str(name)?.map(|column: StrColumn| TextCounts {
                counts: vec![0; column.num_terms()],
                ords: column.ords().clone(),
                column,
            }));
        }
        Ok(SegmentFacetCounter {
            text,
            year: fast.u64("year").ok(),
            years: vec![0; YEARS],
            block: Vec::new(),
            rows: Vec::new(),
            docs_out: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<SegmentFacets>) -> tantivy::Result<Facets> {
        let mut merged: [HashMap<String, u64>; 3] = Default::default();
        for (facet, counts) in merged.iter_mut().enumerate() {
            *counts = merge_text_facet(&segments, facet)?;
        }
        let mut years: HashMap<u64, u64> = HashMap::new();
        for segment in &segments {
            for (offset, n) in segment.years.iter().enumerate().filter(|(_, n)| **n > 0) {
                *years.entry(FIRST_YEAR + offset as u64).or_default() += n;
            }
        }
        let [services, providers, impact] = merged.map(largest);
        let mut year: Vec<(String, u64)> =
            largest(years.into_iter().map(|(y, n)| (y.to_string(), n)).collect());
        // Years read best in order, newest first.
        year.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(Facets {
            services,
            providers,
            impact,
            year,
        })
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = SegmentFacets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for facet in self.text.iter_mut().flatten() {
            for ord in facet.ords.values_for_doc(doc) {
                count(&mut facet.counts, ord);
            }
        }
        if let Some(year) = self.year.as_ref().and_then(|c| c.first(doc)) {
            count_year(&mut self.years, year);
        }
    }

    /// Unscored passes hand over hits in blocks. A column with exactly one value per document
    /// (most are: one impact, one year, usually one service) is then read a block at a time.
    fn collect_block(&mut self, docs: &[DocId]) {
        let block = &mut self.block;
        for facet in self.text.iter_mut().flatten() {
            if matches!(facet.ords.index, ColumnIndex::Full) {
                block.resize(docs.len(), 0);
                facet.ords.values.get_vals(docs, block);
                for ord in block.iter() {
                    count(&mut facet.counts, *ord);
                }
            } else {
                // Optional or several values: translate the block to rows, then read the rows.
                self.docs_out.clear();
                self.rows.clear();
                facet
                    .ords
                    .row_ids_for_docs(docs, &mut self.docs_out, &mut self.rows);
                block.resize(self.rows.len(), 0);
                facet.ords.values.get_vals(&self.rows, block);
                for ord in block.iter() {
                    count(&mut facet.counts, *ord);
                }
            }
        }
        if let Some(column) = &self.year {
            if matches!(column.index, ColumnIndex::Full) {
                block.resize(docs.len(), 0);
                column.values.get_vals(docs, block);
                for year in block.iter() {
                    count_year(&mut self.years, *year);
                }
            } else {
                for year in docs.iter().filter_map(|doc| column.first(*doc)) {
                    count_year(&mut self.years, year);
                }
            }
        }
    }

    fn harvest(self) -> SegmentFacets {
        let mut resolved: [HashMap<String, u64>; 3] = Default::default();
        let mut unresolved: [Option<(TextCounts, u64)>; 3] = Default::default();
        for (facet, counts) in self.text.into_iter().enumerate() {
            let Some(counts) = counts else { continue };
            let mut nonzero: Vec<(u32, u64)> = counts
                .counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(ord, n)| (*n, ord as u64))
                .collect();
            let complete = nonzero.len() <= RESOLVED_PER_SEGMENT;
            if !complete {
                nonzero.select_nth_unstable_by(RESOLVED_PER_SEGMENT - 1, |a, b| b.cmp(a));
                nonzero.truncate(RESOLVED_PER_SEGMENT);
            }
            let mut ords: Vec<u64> = nonzero.iter().map(|(_, ord)| *ord).collect();
            ords.sort_unstable();
            let mut names = Vec::with_capacity(ords.len());
            // Reading the dictionary fails only on a corrupt index; such a value is left out.
            let _ = counts
                .column
                .dictionary()
                .sorted_ords_to_term_cb(&ords, |bytes| {
                    names.push(String::from_utf8_lossy(bytes).into_owned());
                });
            for (ord, name) in ords.iter().zip(names) {
                let n = counts.counts.get(*ord as usize).copied().unwrap_or(0);
                resolved[facet].insert(name, u64::from(n));
            }
            if !complete {
                let smallest = nonzero
                    .iter()
                    .map(|(n, _)| u64::from(*n))
                    .min()
                    .unwrap_or(0);
                unresolved[facet] = Some((counts, smallest));
            }
        }
        SegmentFacets {
            resolved,
            unresolved,
            years: self.years,
        }
    }
}

fn count(counts: &mut [u32], ord: u64) {
    if let Some(n) = counts.get_mut(ord as usize) {
        *n += 1;
    }
}

fn count_year(years: &mut [u64], year: u64) {
    if let Some(n) = year
        .checked_sub(FIRST_YEAR)
        .and_then(|offset| years.get_mut(offset as usize))
    {
        *n += 1;
    }
}

/// Exact counts of one text facet over all segments: at least every value of its top ten.
fn merge_text_facet(
    segments: &[SegmentFacets],
    facet: usize,
) -> tantivy::Result<HashMap<String, u64>> {
    let mut merged: HashMap<String, u64> = HashMap::new();
    for segment in segments {
        for (value, n) in &segment.resolved[facet] {
            *merged.entry(value.clone()).or_default() += n;
        }
    }
    // Count each candidate in the segments that did not resolve it.
    let mut bound = 0u64;
    for segment in segments {
        let Some((skipped, smallest)) = &segment.unresolved[facet] else {
            continue;
        };
        bound += smallest;
        for (value, n) in merged.iter_mut() {
            if segment.resolved[facet].contains_key(value) {
                continue;
            }
            if let Some(ord) = skipped.column.dictionary().term_ord(value.as_bytes())? {
                *n += u64::from(skipped.counts.get(ord as usize).copied().unwrap_or(0));
            }
        }
    }
    let mut counts: Vec<u64> = merged.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let tenth = counts.get(FACET_SIZE - 1).copied().unwrap_or(0);
    if bound == 0 || tenth > bound {
        return Ok(merged);
    }
    // Some value no segment resolved might still belong: resolve them all.
    let candidates: std::collections::HashSet<String> = merged.keys().cloned().collect();
    for segment in segments {
        let Some((skipped, _)) = &segment.unresolved[facet] else {
            continue;
        };
        let ords: Vec<u64> = (0..skipped.counts.len() as u64)
            .filter(|ord| skipped.counts[*ord as usize] > 0)
            .collect();
        let mut names = Vec::with_capacity(ords.len());
        skipped
            .column
            .dictionary()
            .sorted_ords_to_term_cb(&ords, |bytes| {
                names.push(String::from_utf8_lossy(bytes).into_owned());
            })?;
        for (ord, name) in ords.iter().zip(names) {
            if segment.resolved[facet].contains_key(&name) || candidates.contains(&name) {
                continue;
            }
            *merged.entry(name).or_default() += u64::from(skipped.counts[*ord as usize]);
        }
    }
    Ok(merged)
}

/// The [`FACET_SIZE`] largest counts, ties by name so pages do not reshuffle.
fn largest(values: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = values.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(FACET_SIZE);
    out
}

#[cfg(test)]
mod tests;
