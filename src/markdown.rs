//! Markdown → sanitised HTML.
//!
//! **The rule: [`SafeHtml`] is the only thing a page may print unescaped.**
//! Every other string (titles, user reports, status-page text, ...) goes
//! through the template engine's normal escaping. `SafeHtml` can only be
//! built by this module, and only from the output of the ammonia sanitiser,
//! so unsanitised HTML cannot reach a page by mistake.
//!
//! Defence in depth for [`render`]:
//! 1. raw HTML in the Markdown (`Event::Html` / `Event::InlineHtml`) is
//!    turned into text, so it is shown, escaped, rather than interpreted;
//! 2. the HTML produced by pulldown-cmark then goes through an ammonia
//!    allow-list: only `http`, `https` and `mailto` URLs (plus relative
//!    ones), `rel="nofollow noopener noreferrer"` on every link, no `style`
//!    anywhere (a table column's alignment becomes an `align-*` class, so
//!    pages keep a Content-Security-Policy without inline styles), `input`
//!    only as the task-list checkbox, and every `id` prefixed with
//!    `user-content-` (fragment links are rewritten to match, so footnotes
//!    keep working).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use ammonia::Builder;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Prefix ammonia puts on every `id`, so user content cannot clobber ours.
pub const ID_PREFIX: &str = "user-content-";

/// HTML that has been through the sanitiser. The only constructors are
/// [`render`] and [`render_plain_text`]; the field is private on purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Askama prints `SafeHtml` without escaping it (no `|safe` needed).
impl askama::filters::HtmlSafe for SafeHtml {}

impl AsRef<str> for SafeHtml {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The Markdown dialect used everywhere (rendering and `md_escape` tests).
pub fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
}

const ALIGN_CLASSES: [&str; 3] = ["align-left", "align-center", "align-right"];

/// pulldown-cmark writes a column's alignment as an inline style on each cell; the page's CSP
/// allows no inline style, so it becomes a class the stylesheet knows. Raw HTML never reaches
/// this point (it is turned into text first), so these strings can only be pulldown's own.
fn alignment_as_class(html: &str) -> String {
    html.replace(" style=\"text-align: left\">", " class=\"align-left\">")
        .replace(" style=\"text-align: center\">", " class=\"align-center\">")
        .replace(" style=\"text-align: right\">", " class=\"align-right\">")
}

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::default();
    b.link_rel(Some("nofollow noopener noreferrer"))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("div", ["id"])
        .add_allowed_classes("th", ALIGN_CLASSES)
        .add_allowed_classes("td", ALIGN_CLASSES)
        .add_allowed_classes("sup", ["footnote-reference", "footnote-definition-label"])
        .add_allowed_classes("div", ["footnote-definition"])
        .id_prefix(Some(ID_PREFIX))
        .attribute_filter(filter_attribute);
    b
});

/// Runs after ammonia's allow-list and id prefixing.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match (element, attribute) {
        // Only the task-list checkbox; never a text field or a button.
        ("input", "type") => (value == "checkbox").then_some(Cow::Borrowed(value)),
        // Keep in-page links (footnotes) pointing at the prefixed ids.
        ("a", "href") => match value.strip_prefix('#') {
            Some(frag) if !frag.starts_with(ID_PREFIX) => {
                Some(Cow::Owned(format!("#{ID_PREFIX}{frag}")))
            }
            _ => Some(Cow::Borrowed(value)),
        },
        _ => Some(Cow::Borrowed(value)),
    }
}

fn sanitize(html: &str) -> SafeHtml {
    SafeHtml(SANITIZER.clean(html).to_string())
}

/// Render untrusted Markdown to sanitised HTML.
pub fn render(md: &str) -> SafeHtml {
    let events = Parser::new_ext(md, parser_options()).map(|event| match event {
        // Raw HTML is shown as text, never interpreted.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        // An HTML block has no wrapper of its own; give its text a paragraph.
        Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
        Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
        other => other,
    });
    let mut html = String::with_capacity(md.len() + md.len() / 2);
    html::push_html(&mut html, events);
    sanitize(&alignment_as_class(&html))
}

/// Render plain text (not Markdown): everything escaped, line breaks kept
/// as `<br>`. `\r\n`, `\r` and `\n` each count as one line break.
pub fn render_plain_text(text: &str) -> SafeHtml {
    let mut html = String::with_capacity(text.len() + text.len() / 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                html.push_str("<br>\n");
            }
            c => html.push(c),
        }
    }
    sanitize(&html)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(md: &str) -> String {
        render(md).into_string()
    }

    #[test]
    fn dangerous_html_is_shown_as_text() {
        for md in [
            "<script>alert(1)</script>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<img src=x onerror=alert(1)>",
            "<p onclick=\"alert(1)\">hi</p>",
            "<scr<script>ipt>alert(1)</scr</script>ipt>",
            "a <b onmouseover=alert(1)>b</b> c",
            "<!-- <script>x</script> -->",
            "<style>body{display:none}</style>",
        ] {
            let html = r(md);
            assert!(!html.contains("<script"), "{md:?} -> {html}");
            assert!(!html.contains("<iframe"), "{md:?} -> {html}");
            assert!(!html.contains("<img"), "{md:?} -> {html}");
            assert!(!html.contains("<style"), "{md:?} -> {html}");
            assert!(!html.contains("<b "), "{md:?} -> {html}");
            assert!(html.contains("&lt;"), "{md:?} -> {html}");
        }
        insta::assert_snapshot!(r("<script>alert(1)</script>"), @"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
        insta::assert_snapshot!(r("x <scr<script>ipt>alert(1)</scr</script>ipt>"), @"<p>x &lt;scr&lt;script&gt;ipt&gt;alert(1)&lt;/scr&lt;/script&gt;ipt&gt;</p>");
        insta::assert_snapshot!(r("<img src=x onerror=alert(1)>"), @"<p>&lt;img src=x onerror=alert(1)&gt;</p>");
    }

    #[test]
    fn dangerous_urls_are_dropped() {
        insta::assert_snapshot!(r("[x](javascript:alert(1))"), @r#"<p><a rel="nofollow noopener noreferrer">x</a></p>"#);
        insta::assert_snapshot!(r("[x](JaVaScRiPt:alert(1))"), @r#"<p><a rel="nofollow noopener noreferrer">x</a></p>"#);
        insta::assert_snapshot!(r("[x](data:text/html;base64,PHNjcmlwdD4=)"), @r#"<p><a rel="nofollow noopener noreferrer">x</a></p>"#);
        insta::assert_snapshot!(r("[x](vbscript:msgbox)"), @r#"<p><a rel="nofollow noopener noreferrer">x</a></p>"#);
        insta::assert_snapshot!(r("<javascript:alert(1)>"), @r#"<p><a rel="nofollow noopener noreferrer">javascript:alert(1)</a></p>"#);
        insta::assert_snapshot!(r("<data:text/html,x>"), @r#"<p><a rel="nofollow noopener noreferrer">data:text/html,x</a></p>"#);
        insta::assert_snapshot!(r("[x][r]\n\n[r]: javascript:alert(1)"), @r#"<p><a rel="nofollow noopener noreferrer">x</a></p>"#);
        insta::assert_snapshot!(r("![a](javascript:alert(1))"), @r#"<p><img alt="a"></p>"#);
        insta::assert_snapshot!(r("![a](data:image/svg+xml,<svg/onload=alert(1)>)"), @r#"<p><img alt="a"></p>"#);
        insta::assert_snapshot!(r("[x](\"onclick=alert(1))"), @r#"<p><a href="%22onclick=alert(1)" rel="nofollow noopener noreferrer">x</a></p>"#);
    }

    #[test]
    fn obfuscated_schemes_are_dropped() {
        for md in [
            "[x](&#106;avascript:alert(1))",
            "[x](java&#x09;script:alert(1))",
            "[x](<javascript:alert(1)>)",
            "[x]( javascript:alert(1) )",
            "[x](\\javascript:alert(1))",
            "[x](%6Aavascript:alert(1))",
            "![x](&#x64;ata:image/png;base64,AAAA)",
            "[![x](javascript:a)](javascript:b)",
        ] {
            let html = r(md).to_ascii_lowercase();
            for bad in ["=\"javascript:", "=\"data:", "=\"java\t"] {
                assert!(!html.contains(bad), "{md:?} -> {html}");
            }
        }
        insta::assert_snapshot!(r("[x](https://a.example \"t\\\" onclick=\\\"alert(1)\")"),
            @r#"<p><a href="https://a.example" title="t&quot; onclick=&quot;alert(1)" rel="nofollow noopener noreferrer">x</a></p>"#);
    }

    #[test]
    fn good_links_are_kept() {
        insta::assert_snapshot!(r("[a](https://example.com/?q=1&r=2) <mailto:x@example.com> [rel](/incidents/4)"), @r#"<p><a href="https://example.com/?q=1&amp;r=2" rel="nofollow noopener noreferrer">a</a> <a href="mailto:x@example.com" rel="nofollow noopener noreferrer">mailto:x@example.com</a> <a href="/incidents/4" rel="nofollow noopener noreferrer">rel</a></p>"#);
        insta::assert_snapshot!(r("<https://example.com>"), @r#"<p><a href="https://example.com" rel="nofollow noopener noreferrer">https://example.com</a></p>"#);
    }

    #[test]
    fn tables() {
        let md = "| a | b | c |\n|:--|:-:|--:|\n| <script>x</script> | <b>y</b> | `<i>` |";
        insta::assert_snapshot!(r(md), @r#"
        <table><thead><tr><th class="align-left">a</th><th class="align-center">b</th><th class="align-right">c</th></tr></thead><tbody>
        <tr><td class="align-left">&lt;script&gt;x&lt;/script&gt;</td><td class="align-center">&lt;b&gt;y&lt;/b&gt;</td><td class="align-right"><code>&lt;i&gt;</code></td></tr>
        </tbody></table>
        "#);
    }

    #[test]
    fn task_lists_and_strikethrough() {
        insta::assert_snapshot!(r("- [ ] todo\n- [x] ~~done~~"), @r#"
        <ul>
        <li><input disabled="" type="checkbox">
        todo</li>
        <li><input disabled="" type="checkbox" checked="">
        <del>done</del></li>
        </ul>
        "#);
    }

    #[test]
    fn footnotes_link_to_prefixed_ids() {
        insta::assert_snapshot!(r("Outage[^db].\n\n[^db]: The database."), @r##"
        <p>Outage<sup class="footnote-reference"><a href="#user-content-db" rel="nofollow noopener noreferrer">1</a></sup>.</p>
        <div class="footnote-definition" id="user-content-db"><sup class="footnote-definition-label">1</sup>
        <p>The database.</p>
        </div>
        "##);
    }

    #[test]
    fn style_and_input_are_locked_down() {
        // Raw HTML never gets this far, but the sanitiser must hold on its own.
        let html = sanitize(
            "<table><tr><td style=\"text-align:left;background:url(javascript:x)\">a</td></tr></table>\
             <input type=\"text\" value=\"x\"><p style=\"color:red\" id=\"x\" class=\"c\">p</p>",
        );
        insta::assert_snapshot!(html, @r#"<table><tbody><tr><td>a</td></tr></tbody></table><input><p>p</p>"#);
    }

    #[test]
    fn plain_text() {
        insta::assert_snapshot!(
            render_plain_text("a < b & \"c\"\r\nd\re\n<script>alert('x')</script>"),
            @r#"
        a &lt; b &amp; "c"<br>
        d<br>
        e<br>
        &lt;script&gt;alert('x')&lt;/script&gt;
        "#
        );
        assert_eq!(render_plain_text("").as_str(), "");
        assert_eq!(SafeHtml::default().to_string(), "");
    }
}
