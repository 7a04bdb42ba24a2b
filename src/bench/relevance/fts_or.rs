//! SQLite FTS5 in its fair form for sentences: stop words dropped, the other words joined with
//! OR, ranked by `bm25()`. FTS5's implicit AND finds nothing for most sentences.

use diesel::SqliteConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use aftermath::search::is_stop_word;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The MATCH expression for `q`, or `None` when nothing is left to match.
pub fn or_match(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !is_stop_word(w))
        .map(|w| format!("\"{}\"", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" OR "))
}

/// The rowids of the top `k` by bm25.
pub fn top(conn: &mut SqliteConnection, q: &str, k: i64) -> anyhow::Result<Vec<i64>> {
    let Some(matched) = or_match(q) else {
        return Ok(Vec::new());
    };
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT rowid AS id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
    )
    .bind::<Text, _>(&matched)
    .bind::<BigInt, _>(k)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_become_a_disjunction_of_their_content_words() {
        assert_eq!(
            or_match("errors in the webhooks").as_deref(),
            Some("\"errors\" OR \"webhooks\"")
        );
        assert_eq!(or_match("the of"), None);
        assert_eq!(
            or_match("\"x\" OR zed").as_deref(),
            Some("\"x\" OR \"zed\"")
        );
    }
}
