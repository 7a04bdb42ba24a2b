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

/// Rendered bodies a thread remembers. Snapshots of one page (AWS `data.json` history, Atom
/// feeds) repeat the same posts file after file, and html2text is most of their parse time;
/// the rendering is a pure function of the text, so a repeat is looked up, not rendered again.
/// Memory stays under MEMO_ENTRIES × 2 × MEMO_MAX_BYTES (status posts are far smaller; a long
/// postmortem body is rendered every time).
const MEMO_ENTRIES: usize = 4_096;
const MEMO_MAX_BYTES: usize = 8 * 1024;

thread_local! {
    static RENDERED: std::cell::RefCell<std::collections::HashMap<String, String>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Render HTML to plain text (lists as `* item`, emphasis as `*text*`, links as footnotes).
pub fn html_to_text(s: &str) -> String {
    if s.len() > MEMO_MAX_BYTES {
        return render(s);
    }
    if let Some(text) = RENDERED.with(|m| m.borrow().get(s).cloned()) {
        return text;
    }
    let text = render(s);
    RENDERED.with(|m| {
        let mut m = m.borrow_mut();
        // Bounded: a long run forgets everything at once rather than tracking recency.
        if m.len() >= MEMO_ENTRIES {
            m.clear();
        }
        m.insert(s.to_string(), text.clone());
    });
    text
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
