//! HTML bodies to plain text (html2text), with guards against pathological input.

/// Render width: html2text wraps at this width, and a wrapped paragraph would come back with
/// line breaks the source never wrote; no status post is anywhere near this long.
const WIDTH: usize = 1_000_000;
/// Above this many tags, or this nesting depth, fall back to a flat tag stripper: html2text
/// renders recursively and deep nesting could exhaust the stack.
const MAX_TAGS: usize = 20_000;
const MAX_DEPTH: usize = 200;

/// Whether `s` contains something that looks like an HTML tag.
pub fn looks_like_html(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'))
}

/// Plain text of a body: HTML is rendered, plain text is only trimmed.
pub fn body_text(s: &str) -> String {
    if looks_like_html(s) {
        html_to_text(s)
    } else {
        tidy(s)
    }
}

/// Rendered bodies the process remembers. Snapshots of one page (AWS `data.json` history, Atom
/// feeds) repeat the same posts file after file, and html2text is most of their parse time;
/// the rendering is a pure function of the text, so a repeat is looked up, not rendered again.
/// One memo for all threads: the parsing threads of a bulk ingest take alternate snapshots of
/// the same history, and a memo each rendered every post once per thread. Memory stays under
/// MEMO_ENTRIES × 2 × MEMO_MAX_BYTES (status posts are far smaller; a long postmortem body is
/// rendered every time).
const MEMO_ENTRIES: usize = 4_096;
const MEMO_MAX_BYTES: usize = 8 * 1024;

static RENDERED: super::memo::Memo<String> = super::memo::Memo::new(MEMO_ENTRIES);

/// Render HTML to plain text (lists as `* item`, emphasis as `*text*`, links as footnotes).
pub fn html_to_text(s: &str) -> String {
    if is_plain(s) {
        return plain_to_text(s);
    }
    if let Some(text) = before_closing_blocks(s).filter(|text| is_plain(text)) {
        return plain_to_text(text);
    }
    if s.len() > MEMO_MAX_BYTES {
        return render(s);
    }
    if let Some(text) = RENDERED.get(s) {
        return text;
    }
    let text = render(s);
    RENDERED.insert(s.to_string(), text.clone());
    text
}

/// Text without markup or character references: most Atom status posts. html2text would build
/// a whole document tree to return it with HTML's whitespace collapsed, which is all
/// [`plain_to_text`] does (a property test holds the two to the same output). Only scripts and
/// symbols whose characters all have a display width are taken: html2text measures text by
/// width, and trims or drops control, format and zero-width characters in its own way.
fn is_plain(s: &str) -> bool {
    s.chars().all(|c| match c {
        '<' | '&' => false,
        ' ' | '\t' | '\n' | '\x0c' | '!'..='~' => true,
        '\u{a1}'..='\u{ac}'
        | '\u{ae}'..='\u{2af}'
        | '\u{370}'..='\u{3ff}'
        | '\u{400}'..='\u{482}'
        | '\u{48a}'..='\u{4ff}'
        | '\u{2010}'..='\u{2027}'
        | '\u{2030}'..='\u{205e}'
        | '\u{20a0}'..='\u{20c0}'
        | '\u{2100}'..='\u{218b}'
        | '\u{2190}'..='\u{23ff}'
        | '\u{4e00}'..='\u{9fff}' => true,
        _ => false,
    })
}

/// The text before a run of closing block tags that ends `s` (`text</div>`), if that is all
/// the markup: what the AWS `data.json` splitter leaves of nearly every update (1,972 of 2,000
/// on the real corpus). A closing tag with nothing open renders as nothing, so html2text
/// says what it says of the text alone (a property test holds the two together).
fn before_closing_blocks(s: &str) -> Option<&str> {
    let mut text = s.trim_end_matches(|c: char| c.is_ascii_whitespace());
    let mut stripped = false;
    while let Some(rest) = ["</div>", "</p>"]
        .iter()
        .find_map(|tag| strip_suffix_ignoring_case(text, tag))
    {
        text = rest.trim_end_matches(|c: char| c.is_ascii_whitespace());
        stripped = true;
    }
    stripped.then_some(text)
}

fn strip_suffix_ignoring_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let at = s.len().checked_sub(suffix.len())?;
    let tail = s.get(at..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..at])
}

/// HTML's rendering of markup-free text: runs of ASCII whitespace are one space.
fn plain_to_text(s: &str) -> String {
    let mut collapsed = String::with_capacity(s.len());
    for word in s.split_ascii_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    tidy(&collapsed)
}

fn render(s: &str) -> String {
    let (tags, depth) = tag_stats(s);
    if tags > MAX_TAGS || depth > MAX_DEPTH {
        return tidy(&strip_tags(s));
    }
    let config = html2text::config::plain()
        .allow_width_overflow()
        .no_link_wrapping();
    match config.string_from_read(s.as_bytes(), WIDTH) {
        Ok(text) => tidy(&text),
        Err(_) => tidy(&strip_tags(s)),
    }
}

/// Trim line ends, drop leading/trailing blank lines, collapse runs of blank lines to one.
pub fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.replace("\r\n", "\n").replace('\u{a0}', " ").lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

fn tag_stats(s: &str) -> (usize, usize) {
    let bytes = s.as_bytes();
    let (mut tags, mut depth, mut max_depth) = (0usize, 0usize, 0usize);
    for (i, w) in bytes.windows(2).enumerate() {
        if w[0] != b'<' {
            continue;
        }
        if w[1] == b'/' {
            tags += 1;
            depth = depth.saturating_sub(1);
        } else if w[1].is_ascii_alphabetic() {
            tags += 1;
            let close = bytes[i..].iter().position(|b| *b == b'>').map(|p| i + p);
            let self_closing = close.is_some_and(|c| c > 0 && bytes[c - 1] == b'/');
            let name: Vec<u8> = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .copied()
                .collect();
            let void = matches!(
                name.to_ascii_lowercase().as_slice(),
                b"br" | b"hr" | b"img" | b"input" | b"meta" | b"link" | b"wbr" | b"area" | b"col"
            );
            if !self_closing && !void {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
        }
    }
    (tags, max_depth)
}

/// Text of a short inline fragment such as a Statuspage date stamp
/// (`Nov <var data-var='date'>29</var>, …`): tags dropped, common entities decoded. html2text
/// would parse a whole document for each of the thousands of stamps in a feed history.
pub fn inline_text(s: &str) -> String {
    if looks_like_html(s) {
        tidy(&strip_tags(s))
    } else {
        tidy(s)
    }
}

/// Flat fallback: drop tags, turn block ends into newlines, decode the common entities.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match after.find('>') {
            Some(end) => {
                let tag = after[1..end].to_ascii_lowercase();
                let name = tag.trim_start_matches('/');
                if ["p", "div", "br", "li", "ul", "ol", "tr", "h1", "h2", "h3"]
                    .iter()
                    .any(|b| name.split(|c: char| !c.is_ascii_alphanumeric()).next() == Some(b))
                {
                    out.push('\n');
                }
                rest = &after[end + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The shortcut for markup-free text says what html2text says.
        #[test]
        fn plain_text_renders_as_html2text_renders_it(
            s in "([a-zA-Z0-9.,;:'\"!?()\\-]|[ \t\n\x0b\x0c\r]|[\u{a0}-\u{4ff}]|[\u{2000}-\u{24ff}]|[\u{3000}-\u{3100}]|[\u{4e00}-\u{4eff}]|[^<&])*"
        ) {
            // Random characters, less those the shortcut leaves to html2text.
            let s: String = s.chars().filter(|c| is_plain(c.encode_utf8(&mut [0; 4]))).collect();
            prop_assert!(is_plain(&s));
            prop_assert_eq!(plain_to_text(&s), render(&s));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The shortcut for text followed by closing block tags says what html2text says.
        #[test]
        fn text_before_closing_block_tags_renders_as_html2text_renders_it(
            s in "([a-zA-Z0-9.,;:'\"!?()\\-]|[ \t\n]|[\u{a0}-\u{4ff}]|[\u{4e00}-\u{4eff}])*",
            tags in proptest::collection::vec(
                prop_oneof![Just("</div>"), Just("</p>"), Just("</DIV>"), Just(" "), Just("\n")],
                1..5,
            ),
        ) {
            let text: String = s.chars().filter(|c| is_plain(c.encode_utf8(&mut [0; 4]))).collect();
            let html = format!("{text}{}", tags.concat());
            prop_assert_eq!(html_to_text(&html), render(&html));
        }
    }

    #[test]
    fn an_aws_update_ending_in_a_closing_div_is_its_text() {
        let piece = "We are investigating  increased error rates.</div>";
        assert_eq!(
            before_closing_blocks(piece),
            Some("We are investigating  increased error rates.")
        );
        assert_eq!(
            html_to_text(piece),
            "We are investigating increased error rates."
        );
        assert_eq!(html_to_text(piece), render(piece));
        // Anything else in the markup goes to html2text.
        assert_eq!(
            before_closing_blocks("a<br>b</div>").map(is_plain),
            Some(false)
        );
        assert_eq!(before_closing_blocks("<div>a"), None);
    }

    #[test]
    fn a_statuspage_date_stamp_loses_its_var_tags() {
        let stamp = "Nov <var data-var='date'>29</var>, <var data-var='time'>17:05</var> UTC";
        assert_eq!(inline_text(stamp), "Nov 29, 17:05 UTC");
        assert_eq!(inline_text(stamp), render(stamp));
    }

    #[test]
    fn plain_text_collapses_whitespace_as_html_does() {
        for s in [
            "  a \t b\n\nc  ",
            "caf\u{e9} \u{2019}s",
            "",
            " \n ",
            "trailing \x0c",
        ] {
            assert_eq!(plain_to_text(s), render(s), "{s:?}");
        }
    }

    #[test]
    fn renders_lists_and_keeps_plain_text() {
        let text =
            html_to_text("<p>We saw:</p><ul><li><strong>errors</strong></li><li>delays</li></ul>");
        assert!(!text.contains('<'), "{text}");
        assert!(text.contains("errors") && text.contains("delays"), "{text}");
        assert_eq!(body_text("a < b and\n\nc\n"), "a < b and\n\nc");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = "<div>".repeat(100_000) + "x" + &"</div>".repeat(100_000);
        assert_eq!(html_to_text(&deep), "x");
        let wide = "<b>y</b>".repeat(30_000);
        assert!(html_to_text(&wide).starts_with("yyy"));
    }

    #[test]
    fn a_long_paragraph_is_not_wrapped() {
        let words = "word ".repeat(200);
        let text = html_to_text(&format!("<p>{words}</p>"));
        assert!(!text.contains('\n'), "a paragraph stays one line");
        assert_eq!(
            html_to_text("Fish &amp; chips &lt;b&gt;"),
            "Fish & chips <b>"
        );
    }
}
