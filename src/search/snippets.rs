//! Snippets: the matched passage of a hit, with the matched terms marked.

use tantivy::Searcher;
use tantivy::query::Query;
use tantivy::snippet::{Snippet, SnippetGenerator};

use super::{Live, SearchError};

const SNIPPET_CHARS: usize = 200;

/// Snippet generators for the two languages.
///
/// A stored body can hold hundreds of posts. Running both analyzers over all of it for every
/// hit cost more than the search itself, so only the few lines that contain a query term (as
/// its stem, lowercased) are analyzed; when none does (accents, say), the opening is. Those
/// lines go first to the analyzer whose stems they hold more of, and to the other only when the
/// first highlights nothing (a tenth of a query went to analyzing every passage twice).
pub(super) struct Snippets {
    english: SnippetGenerator,
    french: SnippetGenerator,
    stems: Vec<(String, Language)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    English,
    French,
}

/// The lines picked for a snippet, and how many query stems of each language they hold.
struct Passage {
    text: String,
    english: usize,
    french: usize,
}

/// Lines handed to the snippet generators at most, and characters taken of each.
const SNIPPET_LINES: usize = 3;
const SNIPPET_LINE_CHARS: usize = 1_000;

impl Snippets {
    pub(super) fn new(
        searcher: &Searcher,
        query: &dyn Query,
        live: &Live,
    ) -> Result<Self, SearchError> {
        let mut english = SnippetGenerator::create(searcher, query, live.fields.body_en)?;
        let mut french = SnippetGenerator::create(searcher, query, live.fields.body_fr)?;
        english.set_max_num_chars(SNIPPET_CHARS);
        french.set_max_num_chars(SNIPPET_CHARS);
        let mut stems = Vec::new();
        query.query_terms(&mut |term, _| {
            let language = if term.field() == live.fields.body_en {
                Language::English
            } else if term.field() == live.fields.body_fr {
                Language::French
            } else {
                return;
            };
            if let Some(text) = term.value().as_str()
                && !stems
                    .iter()
                    .any(|(s, l): &(String, Language)| s == text && *l == language)
            {
                stems.push((text.to_string(), language));
            }
        });
        Ok(Self {
            english,
            french,
            stems,
        })
    }

    pub(super) fn cut(&self, body: &str) -> Vec<(String, bool)> {
        let passage = self.passage(body);
        let (first, second) = if passage.french > passage.english {
            (&self.french, &self.english)
        } else {
            (&self.english, &self.french)
        };
        let mut best = first.snippet(&passage.text);
        if best.highlighted().is_empty() {
            best = second.snippet(&passage.text);
        }
        if best.is_empty() || best.highlighted().is_empty() {
            return vec![(opening(body), false)];
        }
        pieces(&best)
    }

    /// Whether every query word has been seen, in one language or the other.
    fn all_seen(&self, seen: &[bool]) -> bool {
        self.stems.iter().enumerate().all(|(i, (stem, _))| {
            seen[i]
                || self
                    .stems
                    .iter()
                    .zip(seen)
                    .any(|((other, _), s)| *s && other == stem)
        })
    }

    /// The lines worth analyzing for a snippet.
    fn passage(&self, body: &str) -> Passage {
        let mut picked: Vec<&str> = Vec::new();
        let (mut english, mut french) = (0, 0);
        if !self.stems.is_empty() {
            // Stop at the line that completes the set of stems: the snippet is one fragment,
            // and more lines would only be analyzed to be left out.
            let mut seen = vec![false; self.stems.len()];
            for line in body.lines() {
                let lower = line.to_lowercase();
                let mut found = false;
                for (i, (stem, language)) in self.stems.iter().enumerate() {
                    if lower.contains(stem.as_str()) {
                        found = true;
                        seen[i] = true;
                        match language {
                            Language::English => english += 1,
                            Language::French => french += 1,
                        }
                    }
                }
                if found {
                    picked.push(clip(line, SNIPPET_LINE_CHARS));
                    if picked.len() == SNIPPET_LINES || self.all_seen(&seen) {
                        break;
                    }
                }
            }
        }
        if picked.is_empty() {
            picked.extend(
                body.lines()
                    .take(SNIPPET_LINES)
                    .map(|l| clip(l, SNIPPET_LINE_CHARS)),
            );
        }
        Passage {
            text: picked.join("\n"),
            english,
            french,
        }
    }
}

/// The start of `text`, at most `chars` characters, cut at a character boundary.
fn clip(text: &str, chars: usize) -> &str {
    match text.char_indices().nth(chars) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

fn pieces(snippet: &Snippet) -> Vec<(String, bool)> {
    let text = snippet.fragment();
    let mut out = Vec::new();
    let mut at = 0;
    for range in snippet.highlighted() {
        if range.start > at {
            out.push((text[at..range.start].to_string(), false));
        }
        out.push((text[range.clone()].to_string(), true));
        at = range.end;
    }
    if at < text.len() {
        out.push((text[at..].to_string(), false));
    }
    out
}

/// The start of a text, cut at a character boundary.
fn opening(body: &str) -> String {
    let line = body.lines().next().unwrap_or_default();
    match line.char_indices().nth(SNIPPET_CHARS) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}
