//! `aftermath search --explain`: how a query was read, one line per decision, before the hits.

use aftermath::search::{SearchResults, understand};

/// The reading of `q` as `results` carry it, as lines of text.
pub fn explain(q: &str, results: &SearchResults) -> String {
    let mut out = format!("query: {q}\n");
    if understand::is_advanced(q) {
        out.push_str("  read exactly by the query parser (quotes, field:value or operators)\n");
    }
    for f in &results.filters_applied {
        out.push_str(&format!(
            "  {} \"{}\" → started from {} until {} (UTC)\n",
            f.kind,
            f.text,
            f.since.format("%Y-%m-%d %H:%M"),
            f.until.format("%Y-%m-%d %H:%M")
        ));
    }
    for w in &results.dropped {
        out.push_str(&format!("  stop word \"{w}\" left out\n"));
    }
    for c in &results.plan.concepts {
        match &c.expanded {
            Some((kind, to)) => {
                out.push_str(&format!("  {kind} \"{}\" → {}\n", c.typed, to.join(" | ")))
            }
            None => out.push_str(&format!("  word \"{}\"\n", c.typed)),
        }
    }
    for w in &results.plan.unmatched {
        out.push_str(&format!(
            "  \"{w}\" matches nothing, even misspelt: left out\n"
        ));
    }
    if let Some(d) = &results.did_you_mean {
        out.push_str(&format!("  did you mean: {d}\n"));
    }
    if results.relaxed {
        out.push_str(&format!(
            "  fewer than 10 incidents have every word: hits have {} of the {} words\n",
            results.plan.minimum,
            results.plan.concepts.len()
        ));
    } else if !results.plan.concepts.is_empty() {
        out.push_str("  every word required\n");
    }
    out.push('\n');
    out
}
