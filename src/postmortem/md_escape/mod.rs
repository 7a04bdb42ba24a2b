//! Writing Markdown safely from untrusted text.
//!
//! Every function here takes arbitrary text (incident titles, user reports,
//! status-page messages) and returns Markdown that, parsed with
//! [`crate::markdown::parser_options`], reads back as exactly that text:
//! no emphasis, links, HTML, headings, lists, code or table breaks can be
//! smuggled in.
//!
//! # Normalisation
//!
//! The round trip is exact except for [`normalise`]:
//! - each line break (`\r\n`, `\r` or `\n`) becomes one space, since a
//!   Markdown line break would end the inline context (or the table row);
//! - NUL becomes U+FFFD, which CommonMark mandates for NUL however it is
//!   written.
//!
//! [`heading`] also trims surrounding whitespace, and an input that
//! normalises to nothing gives an empty output (CommonMark has no empty
//! paragraph or code span).
//!
//! # How
//!
//! - ASCII punctuation that can mean something is backslash-escaped
//!   (CommonMark allows a backslash before any of it): emphasis, code,
//!   links, `&` (entities), `<` (HTML, autolinks), `~`, `#` and table pipes
//!   anywhere; any punctuation at the start (list, quote, break and fence
//!   markers); the `.` or `)` of a leading number (ordered lists). The rest
//!   (`-`, `:`, `.`, `(`, quotes…) stays as typed, so drafts read well;
//! - leading and trailing spaces and tabs, which a paragraph, heading or
//!   cell would strip (and four of which would start a code block), are
//!   written as numeric character references (`&#32;`, `&#9;`);
//! - control characters are written as numeric character references, so
//!   none of them can take part in block or inline structure;
//! - in table cells, `|` and `\` are written as `&#124;` and `&#92;`, so the
//!   GFM row splitter never sees a pipe or a backslash-pipe pair.

/// The normalisation applied by every function here (see module docs).
pub fn normalise(s: &str) -> String {
    if !s.contains(['\r', '\n', '\0']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\n' => out.push(' '),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn push_char_ref(out: &mut String, c: char) {
    out.push_str("&#");
    out.push_str(&u32::from(c).to_string());
    out.push(';');
}

/// Punctuation that has a meaning anywhere in a line: emphasis, code, links, HTML, entities,
/// strikethrough, table pipes, heading markers and escapes themselves.
const ALWAYS: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '&', '|', '~', '#'];

/// Whether the punctuation character `c` at byte `i` must be escaped. Escaping only what can
/// mean something keeps drafts readable for the people who edit them ("2025-10-20 14:52",
/// not "2025\-10\-20 14\:52"). Anything at the very start could open a block (list, quote,
/// thematic break, fence, setext line), and the `.` or `)` after leading digits would make an
/// ordered list.
fn needs_escape(s: &str, start: usize, i: usize, c: char) -> bool {
    if ALWAYS.contains(&c) {
        return true;
    }
    if i == start {
        return true;
    }
    let before = &s[start..i];
    matches!(c, '.' | ')')
        && !before.is_empty()
        && before.len() <= 9
        && before.bytes().all(|b| b.is_ascii_digit())
}

/// Escape already-normalised text (no line breaks, no NUL).
fn escape_normalised(s: &str, in_table: bool) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4 + 8);
    let is_blank = |c: char| c == ' ' || c == '\t';
    let lead_end = s.len() - s.trim_start_matches(is_blank).len();
    let trail_start = s.trim_end_matches(is_blank).len();
    for (i, c) in s.char_indices() {
        let at_edge = i < lead_end || i >= trail_start;
        match c {
            ' ' | '\t' if at_edge => push_char_ref(&mut out, c),
            '|' | '\\' if in_table => push_char_ref(&mut out, c),
            c if c.is_ascii_punctuation() && needs_escape(s, lead_end, i, c) => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push('\t'),
            c if c.is_control() => push_char_ref(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for use inside a paragraph (or list item, link text, ...).
///
/// Parsed on its own, the result is one paragraph whose text is
/// `normalise(s)` (or nothing at all if that is empty).
pub fn inline(s: &str) -> String {
    escape_normalised(&normalise(s), false)
}

/// Like [`inline`], and also safe as the content of a GFM table cell
/// (write it as `| {cell} |`).
pub fn table_cell(s: &str) -> String {
    escape_normalised(&normalise(s), true)
}

/// Text for an ATX heading: line breaks become spaces, surrounding
/// whitespace is trimmed, the rest is escaped. Write it as `## {heading}`.
pub fn heading(s: &str) -> String {
    escape_normalised(normalise(s).trim(), false)
}

/// A code span showing `normalise(s)` verbatim: a backtick fence longer than
/// any backtick run inside, with one space of padding each side (which the
/// parser removes again). Empty input gives an empty string. Not for table
/// cells (GFM splits rows on `|` even inside code spans).
pub fn code_span(s: &str) -> String {
    let s = normalise(s);
    if s.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if s.chars().all(|c| c == ' ') {
        // All-space content is never stripped, so it needs no padding.
        format!("{fence}{s}{fence}")
    } else {
        format!("{fence} {s} {fence}")
    }
}

/// The URL as written inside `<...>`: whitespace, control characters,
/// `<`, `>`, `"` and `` ` `` percent-encoded; `\` and `&` backslash-escaped
/// (so no escape or entity is decoded from it).
fn link_destination(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 8);
    for c in url.chars() {
        match c {
            '\\' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`') => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn is_web_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
        && rest.len() > 2
        && rest.starts_with("//")
}

/// A Markdown link to an `http`/`https` URL (`None` for any other scheme).
/// Surrounding ASCII whitespace and control characters are trimmed from the
/// URL. The text is escaped with [`inline`]; if it normalises to blank, the
/// URL itself is the text.
pub fn link(url: &str, text: &str) -> Option<String> {
    let url = url.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
    if !is_web_url(url) {
        return None;
    }
    let text = if normalise(text).trim().is_empty() {
        inline(url)
    } else {
        inline(text)
    };
    Some(format!("[{text}](<{}>)", link_destination(url)))
}

#[cfg(test)]
mod tests;
