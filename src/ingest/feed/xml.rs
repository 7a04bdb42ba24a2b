//! Small XML helpers for feeds: raw item fragments, a tag's text, positioned errors.

use crate::ingest::ParseError;

/// The raw `<tag ...>...</tag>` fragments in document order (for provenance).
pub fn fragments(text: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = text[from..].find(&open) {
        let start = from + rel;
        let next = text[start + open.len()..].chars().next();
        if !next.is_some_and(|c| c == '>' || c.is_whitespace()) {
            from = start + open.len();
            continue;
        }
        let Some(end_rel) = text[start..].find(&close) else {
            break;
        };
        let end = start + end_rel + close.len();
        out.push(text[start..end].to_string());
        from = end;
    }
    out
}

/// The text of the first `<tag>...</tag>` in a fragment, CDATA unwrapped.
pub fn tag_text(fragment: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}");
    let start = fragment.find(&open)?;
    let after_open = start + fragment[start..].find('>')? + 1;
    let end = after_open + fragment[after_open..].find(&format!("</{tag}>"))?;
    let inner = fragment[after_open..end].trim();
    let inner = inner
        .strip_prefix("<![CDATA[")
        .and_then(|s| s.strip_suffix("]]>"))
        .unwrap_or(inner);
    Some(inner.trim().to_string())
}

/// A feed error with the line and column quick-xml stops at, when it finds one.
pub fn error(bytes: &[u8], message: &str) -> ParseError {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut position = None;
    let mut depth: i64 = 0;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) => {
                if depth > 0 {
                    position = Some(
                        line_column(bytes, bytes.len()) + " (end of input, unclosed elements)",
                    );
                }
                break;
            }
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(bytes.len());
                position = Some(format!("{} ({e})", line_column(bytes, at.min(bytes.len()))));
                break;
            }
        }
        buf.clear();
    }
    ParseError::Xml {
        position,
        message: message.to_string(),
    }
}

fn line_column(bytes: &[u8], offset: usize) -> String {
    let before = &bytes[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    format!("line {line}, column {column} (byte {offset})")
}
