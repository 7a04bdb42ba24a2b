use super::*;
use crate::markdown::{parser_options, render};
use proptest::prelude::*;
use proptest::sample::select;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "http://x.io", "www.example.com", "a@b.co", "&amp;", "&#32;", "&#0;", "&copy", "<a href=x>",
    "<!--", "<?php", "</p>", "<http://a.b>", "```", "~~~", "[^1]", "[^1]: x", "[ ]", "[x]", "- ",
    "* ", "+ ", "1. ", "2) ", "# ", "###### ", "> ", "    ", "\t\t", "***", "---", "===", "___",
    "\\", "\\\\", "|", "||", "![i](x)", "[l](x)", "[l]: /u", "*a*", "__b__", "~~c~~", "`c`", "$x$",
    "{#id}", "\r\n", "\r", "\n", "  \n", "\\\n", "\u{a0}", "\u{2028}", "\u{3000}", "\u{feff}",
    "\u{85}", "\u{200b}", "\u{202e}", "é", "🔥", "\u{fffd}",
];

fn text() -> impl Strategy<Value = String> {
    let punct: Vec<char> = (0u8..128)
        .map(char::from)
        .filter(char::is_ascii_punctuation)
        .collect();
    let blank_or_control: Vec<char> = (0u32..0x20)
        .chain(0x7f..0xa1)
        .chain([0x20, 0x1680, 0x2000, 0x2028, 0x2029, 0x3000])
        .filter_map(char::from_u32)
        .collect();
    let piece = prop_oneof![
        3 => any::<char>().prop_map(String::from),
        4 => select(punct).prop_map(String::from),
        3 => select(blank_or_control).prop_map(String::from),
        2 => select(TOKENS).prop_map(String::from),
        2 => "[a-z0-9]{1,4}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn events(md: &str) -> Vec<Event<'_>> {
    Parser::new_ext(md, parser_options()).collect()
}

/// Concatenated `Text` of `evs`, or an error naming the first other event.
fn only_text(evs: &[Event<'_>]) -> Result<String, String> {
    let mut out = String::new();
    for e in evs {
        match e {
            Event::Text(t) => out.push_str(t),
            other => return Err(format!("unexpected {other:?} in {evs:?}")),
        }
    }
    Ok(out)
}

/// Text of a single paragraph made only of `Text` events ("" if no events).
fn paragraph_text(md: &str) -> Result<String, String> {
    let evs = events(md);
    match evs.as_slice() {
        [] => Ok(String::new()),
        [
            Event::Start(Tag::Paragraph),
            inner @ ..,
            Event::End(TagEnd::Paragraph),
        ] => only_text(inner),
        _ => Err(format!("not one paragraph: {evs:?}")),
    }
}

fn table_md(cell: &str) -> String {
    format!("| h |\n|---|\n| {cell} |\n")
}

/// Text of the one body cell of `table_md`.
fn body_cell_text(md: &str) -> Result<String, String> {
    let evs = events(md);
    let body = evs
        .iter()
        .position(|e| matches!(e, Event::Start(Tag::TableRow)))
        .map(|i| &evs[i..])
        .ok_or_else(|| format!("no body row: {evs:?}"))?;
    match body {
        [
            Event::Start(Tag::TableRow),
            Event::Start(Tag::TableCell),
            inner @ ..,
            Event::End(TagEnd::TableCell),
            Event::End(TagEnd::TableRow),
            Event::End(TagEnd::Table),
        ] => only_text(inner),
        _ => Err(format!("not one body cell: {evs:?}")),
    }
}

/// What the sanitiser prints for a text node.
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn inline_round_trips(s in text()) {
        let md = inline(&s);
        prop_assert_eq!(paragraph_text(&md), Ok(normalise(&s)), "md: {:?}", md);
        prop_assert!(!md.contains(['\n', '\r', '\0']));
    }

    #[test]
    fn inline_renders_as_escaped_text(s in text()) {
        let n = normalise(&s);
        let want = if n.is_empty() { String::new() } else { format!("<p>{}</p>\n", html_text(&n)) };
        prop_assert_eq!(render(&inline(&s)).into_string(), want);
    }

    #[test]
    fn table_cell_round_trips(s in text()) {
        let md = table_md(&table_cell(&s));
        prop_assert_eq!(body_cell_text(&md), Ok(normalise(&s)), "md: {:?}", md);
    }

    #[test]
    fn heading_round_trips(s in text()) {
        let md = format!("## {}", heading(&s));
        let evs = events(&md);
        let text = match evs.as_slice() {
            [Event::Start(Tag::Heading { .. }), inner @ .., Event::End(TagEnd::Heading(_))] => only_text(inner),
            _ => Err(format!("not one heading: {evs:?}")),
        };
        prop_assert_eq!(text, Ok(normalise(&s).trim().to_owned()), "md: {:?}", md);
    }

    #[test]
    fn code_span_round_trips(s in text()) {
        let md = code_span(&s);
        let n = normalise(&s);
        let evs = events(&md);
        match evs.as_slice() {
            [] => prop_assert_eq!(n, ""),
            [Event::Start(Tag::Paragraph), Event::Code(c), Event::End(TagEnd::Paragraph)] => {
                prop_assert_eq!(c.as_ref(), n.as_str());
            }
            _ => prop_assert!(false, "md {:?} gave {:?}", md, evs),
        }
    }

    #[test]
    fn link_round_trips(scheme in select(&["http", "https", "HTTPS"][..]), rest in text(), t in text()) {
        let url = format!("{scheme}://{rest}");
        let trimmed = url.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
        let Some(md) = link(&url, &t) else {
            prop_assert!(trimmed.len() <= scheme.len() + 3, "rejected {:?}", url);
            return Ok(());
        };
        let evs = events(&md);
        let [Event::Start(Tag::Paragraph), Event::Start(Tag::Link { dest_url, .. }), inner @ .., Event::End(TagEnd::Link), Event::End(TagEnd::Paragraph)] = evs.as_slice() else {
            return Err(TestCaseError::fail(format!("md {md:?} gave {evs:?}")));
        };
        let want_dest: String = trimmed
            .chars()
            .map(|c| {
                if c.is_control() || c.is_whitespace() || "<>\"`".contains(c) {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf).bytes().map(|b| format!("%{b:02X}")).collect()
                } else {
                    c.to_string()
                }
            })
            .collect();
        prop_assert_eq!(dest_url.as_ref(), want_dest.as_str());
        let n = normalise(&t);
        let want_text = if n.trim().is_empty() { normalise(trimmed) } else { n };
        prop_assert_eq!(only_text(inner), Ok(want_text));
    }

    #[test]
    fn non_web_links_are_refused(scheme in select(&["javascript", "JavaScript", "data", "vbscript", "mailto", "file", "ftp", ""][..]), rest in text()) {
        prop_assert_eq!(link(&format!("{scheme}:{rest}"), "x"), None);
        prop_assert_eq!(link(&format!(" \t{scheme}://{rest}"), "x"), None);
    }
}

#[test]
fn examples() {
    assert_eq!(inline("*a* _b_ [x](y) <b>"), r"\*a\* \_b\_ \[x\](y) \<b\>");
    assert_eq!(inline("# 1. &amp; |"), r"\# 1. \&amp; \|");
    assert_eq!(
        inline("12. ordered"),
        r"12\. ordered",
        "a leading number would start a list"
    );
    assert_eq!(inline("- dash"), r"\- dash");
    assert_eq!(
        inline("2025-10-20 14:52 (UTC), \"ok\"!"),
        "2025-10-20 14:52 (UTC), \"ok\"!"
    );
    assert_eq!(
        inline("  lead\ttab \r\nline\n"),
        "&#32;&#32;lead\ttab  line&#32;"
    );
    assert_eq!(inline("a\0b\u{7}"), "a\u{fffd}b&#7;");
    assert_eq!(inline(""), "");
    assert_eq!(table_cell(r"a|b\|c"), r"a&#124;b&#92;&#124;c");
    assert_eq!(heading("  Outage\n# 2 ##  "), r"Outage \# 2 \#\#");
    assert_eq!(code_span("a`b``c"), "``` a`b``c ```");
    assert_eq!(code_span("`"), "`` ` ``");
    assert_eq!(code_span("  "), "`  `");
    assert_eq!(code_span(""), "");
    assert_eq!(
        link("https://e.com/a b<c>?x=1&y=\\", "[t]").as_deref(),
        Some(r"[\[t\]](<https://e.com/a%20b%3Cc%3E?x=1\&y=\\>)")
    );
    assert_eq!(
        link(" http://e.com\n", "").as_deref(),
        Some(r"[http://e.com](<http://e.com>)")
    );
    assert_eq!(link("javascript:alert(1)//https://x", "x"), None);
    assert_eq!(link("http://", "x"), None);
    assert_eq!(link("/relative", "x"), None);
}

#[test]
fn rendered_output_is_inert() {
    let html = |md: String| render(&md).into_string();
    insta::assert_snapshot!(html(inline("<script>alert(1)</script> [x](javascript:alert(1))")),
        @"<p>&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1))</p>");
    insta::assert_snapshot!(html(inline("<img src=x onerror=alert(1)> <javascript:x>")),
        @"<p>&lt;img src=x onerror=alert(1)&gt; &lt;javascript:x&gt;</p>");
    insta::assert_snapshot!(html(table_md(&table_cell("<b>|</b> `x|y`"))), @r"
    <table><thead><tr><th>h</th></tr></thead><tbody>
    <tr><td>&lt;b&gt;|&lt;/b&gt; `x|y`</td></tr>
    </tbody></table>
    ");
    insta::assert_snapshot!(html(format!("## {}", heading("Down <i>again</i>\n=="))),
        @"<h2>Down &lt;i&gt;again&lt;/i&gt; ==</h2>");
    insta::assert_snapshot!(html(code_span("<script>``")), @"<p><code>&lt;script&gt;``</code></p>");
    let md = link("https://status.example.com/a b", "*Status* <b>page</b>").unwrap_or_default();
    insta::assert_snapshot!(html(md),
        @r#"<p><a href="https://status.example.com/a%20b" rel="nofollow noopener noreferrer">*Status* &lt;b&gt;page&lt;/b&gt;</a></p>"#);
}
