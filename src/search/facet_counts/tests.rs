use std::collections::HashMap;

use tantivy::TantivyDocument;
use tantivy::query::{AllQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Term};

use super::super::Live;
use super::*;

/// An index whose segments each hold `per_segment` incidents; `service_of(segment, i)` names
/// each one's service.
fn index_of(
    segments: usize,
    per_segment: usize,
    service_of: impl Fn(usize, usize) -> String,
) -> (Live, HashMap<String, u64>) {
    let live = Live::in_memory().unwrap();
    let f = live.fields;
    let mut writer: tantivy::IndexWriter = live.index.writer(15_000_000).unwrap();
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    let mut expected: HashMap<String, u64> = HashMap::new();
    for segment in 0..segments {
        for i in 0..per_segment {
            let service = service_of(segment, i);
            let mut doc = TantivyDocument::default();
            doc.add_text(f.service, &service);
            doc.add_text(f.impact, if i % 3 == 0 { "major" } else { "minor" });
            doc.add_u64(f.year, 2020 + (i % 4) as u64);
            writer.add_document(doc).unwrap();
            *expected.entry(service).or_default() += 1;
        }
        writer.commit().unwrap();
    }
    live.reader.reload().unwrap();
    (live, expected)
}

fn top_ten(expected: &HashMap<String, u64>) -> Vec<(String, u64)> {
    largest(expected.clone())
}

#[test]
fn counts_match_a_full_count_when_each_segment_has_few_values() {
    let (live, expected) = index_of(3, 40, |s, i| format!("svc-{}", (s + i) % 12));
    let facets = facets_of(&live);
    assert_eq!(facets.services, top_ten(&expected));
    assert_eq!(
        facets.impact,
        vec![("minor".into(), 78), ("major".into(), 42)]
    );
    let years: Vec<&str> = facets.year.iter().map(|(y, _)| y.as_str()).collect();
    assert_eq!(
        years,
        ["2023", "2022", "2021", "2020"],
        "years newest first"
    );
}

fn facets_of(live: &Live) -> Facets {
    live.reader
        .searcher()
        .search(&AllQuery, &FacetCounter)
        .unwrap()
}

#[test]
fn a_value_large_in_one_segment_is_counted_in_the_others_too() {
    // Hundreds of services per segment, so each resolves only its largest. `shifting` is
    // large in the first segment only; elsewhere it is one of the rare ones and must be
    // looked up there to be counted exactly.
    let (live, expected) = index_of(6, 600, |s, i| match i {
        0..=59 => format!("popular-{}", i % 10),
        60..=79 => "everywhere".into(),
        80..=139 if s == 0 => "shifting".into(),
        80 => "shifting".into(),
        _ => format!("rare-{s}-{i}"),
    });
    let facets = facets_of(&live);
    assert_eq!(facets.services, top_ten(&expected));
    assert_eq!(facets.services[1], ("shifting".into(), 65));
}

#[test]
fn when_the_tail_could_reach_the_top_ten_every_value_is_resolved() {
    // Only seven values stand out; the last three places go to services seen once, which
    // no segment resolved in full, so the counter must fall back to resolving them all.
    let (live, expected) = index_of(6, 600, |s, i| match i {
        0..=59 => format!("popular-{}", i % 6),
        60..=79 => "everywhere".into(),
        _ => format!("rare-{s}-{i}"),
    });
    let facets = facets_of(&live);
    assert_eq!(facets.services, top_ten(&expected));
    assert_eq!(facets.services[9], ("rare-0-102".into(), 1));
}

#[test]
fn counts_only_the_matching_documents() {
    let (live, _) = index_of(2, 100, |_, i| format!("svc-{}", i % 150));
    let query = TermQuery::new(
        Term::from_field_text(live.fields.impact, "major"),
        IndexRecordOption::Basic,
    );
    let facets = live
        .reader
        .searcher()
        .search(&query, &FacetCounter)
        .unwrap();
    assert_eq!(facets.impact, vec![("major".into(), 68)]);
    assert_eq!(facets.services.iter().map(|(_, n)| n).sum::<u64>(), 20);
}
