//! The documentation cannot drift from the code:
//! - every `AFTERMATH_*` variable `src/cli.rs` reads is in the README's configuration table, and
//!   every long flag it defines is named in the README's Configuration section;
//! - every relative link in README.md and docs/*.md leads to a file of the repository, and a
//!   `#anchor` to a heading of that file;
//! - the README stays a newcomer's page: short, and opening with the two commands.
//!
//! Flags and variables are read from `src/cli.rs` as text (clap's derive attributes), so adding a
//! flag without documenting it fails here.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// What src/cli.rs defines.

/// The settings a clap-derive source defines: long flags (`--data-dir`) and environment
/// variables (`AFTERMATH_DATA_DIR`).
#[derive(Debug, Default, PartialEq)]
struct Settings {
    flags: BTreeSet<String>,
    env: BTreeSet<String>,
}

/// Reads every `#[arg(...)]` attribute: `long` names the field that follows (underscores become
/// hyphens), `long = "name"` names itself, `env = "NAME"` is a variable. `--help` and
/// `--version` come from clap, not from the source, and are left out.
fn settings_of(source: &str) -> Settings {
    let code = without_comments(source);
    let mut settings = Settings::default();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[arg(") {
        let after = &rest[at + "#[arg(".len()..];
        let Some(len) = closing_paren(after) else {
            break;
        };
        let args = &after[..len];
        let following = &after[len..];
        for item in split_top_level(args) {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (item.trim(), None),
            };
            match (key, value) {
                ("long", None) => {
                    if let Some(field) = field_after(following) {
                        settings
                            .flags
                            .insert(format!("--{}", field.replace('_', "-")));
                    }
                }
                ("long", Some(v)) => {
                    settings.flags.insert(format!("--{}", unquote(v)));
                }
                ("env", Some(v)) => {
                    settings.env.insert(unquote(v).to_string());
                }
                _ => {}
            }
        }
        rest = following;
    }
    settings.flags.remove("--help");
    settings.flags.remove("--version");
    settings
}

/// The source without `//` comments (doc comments included), string literals kept whole.
fn without_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let mut cut = line.len();
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if in_string {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_string = false,
                    _ => {}
                }
            } else if c == '"' && !line[..i].ends_with('\'') {
                in_string = true;
            } else if c == '/' && chars.peek().is_some_and(|(_, n)| *n == '/') {
                cut = i;
                break;
            }
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// The length of `text` up to the `)` that closes an already-open parenthesis, skipping
/// string literals and nested brackets.
fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// `a, b = [x, y], c = f(1, 2)` → `a`, `b = [x, y]`, `c = f(1, 2)`.
fn split_top_level(args: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in args.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&args[start..]);
    items.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// The name of the field an attribute is on: skips the attribute's `)]`, other attributes and
/// a visibility, then takes the identifier before `:`.
fn field_after(text: &str) -> Option<&str> {
    let mut rest = text.strip_prefix(')')?.trim_start().strip_prefix(']')?;
    loop {
        rest = rest.trim_start();
        if let Some(attribute) = rest.strip_prefix("#[") {
            rest = &attribute[closing_bracket(attribute)? + 1..];
        } else if let Some(after) = rest
            .strip_prefix("pub")
            .filter(|a| a.starts_with(|c: char| c.is_whitespace() || c == '('))
        {
            // `pub` and `pub(crate)`, not a field named `public_url`.
            rest = after.trim_start();
            if let Some(scope) = rest.strip_prefix('(') {
                rest = &scope[closing_paren(scope)? + 1..];
            }
        } else {
            break;
        }
    }
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    let (name, after) = rest.split_at(end);
    (!name.is_empty() && after.trim_start().starts_with(':')).then_some(name)
}

fn closing_bracket(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' if depth == 0 => return Some(i),
            ']' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn unquote(value: &str) -> &str {
    value.trim().trim_matches('"')
}

// ---------------------------------------------------------------------------------------------
// What the README says.

/// The lines of the section under `## {title}`, up to the next heading of that level or above.
fn section<'a>(markdown: &'a str, title: &str) -> Vec<&'a str> {
    let heading = format!("## {title}");
    let mut lines = markdown.lines().skip_while(|l| l.trim_end() != heading);
    assert!(
        lines.next().is_some(),
        "the README has no `{heading}` section"
    );
    lines
        .take_while(|l| !(l.starts_with("## ") || l.starts_with("# ")))
        .collect()
}

/// Whether `name` occurs in `text` as a whole word: not inside a longer flag or variable.
fn mentions(text: &str, name: &str) -> bool {
    let part_of_name = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(part_of_name) && !after.is_some_and(part_of_name)
    })
}

fn readme() -> String {
    read(&repo().join("README.md"))
}

fn cli_settings() -> Settings {
    let settings = settings_of(&read(&repo().join("src/cli.rs")));
    // The reader must find what it is there to check, or the tests below check nothing.
    for flag in ["--database-url", "--no-poll", "--report-rate", "--interval"] {
        assert!(
            settings.flags.contains(flag),
            "{flag} not found in src/cli.rs: {settings:?}"
        );
    }
    assert!(
        settings.env.contains("AFTERMATH_REPORT_RATE"),
        "{settings:?}"
    );
    settings
}

#[test]
fn the_flag_reader_finds_derived_explicit_and_multi_line_flags() {
    let source = r#"
        #[derive(Args)]
        struct Global {
            /// Where (a comment with "quotes" and #[arg(long, env = "AFTERMATH_NOT")] inside).
            #[arg(long, env = "AFTERMATH_DATABASE_URL", default_value = DEFAULT, global = true)]
            pub(crate) database_url: String,
            #[arg(
                long,
                env = "AFTERMATH_DATA_DIR",
                default_value = "data",
                global = true
            )]
            #[allow(dead_code)]
            data_dir: PathBuf,
            #[arg(long = "work-dir", value_parser = ["a", "b"])]
            other_name: Option<PathBuf>,
            #[arg(long, default_value_t = f(1, 2))]
            no_poll: bool,
            #[arg(required = true)]
            files: Vec<PathBuf>,
            #[arg(short, long)]
            help: bool,
            #[arg(long)]
            pub public_url: Option<String>,
        }
    "#;
    let settings = settings_of(source);
    let flags: Vec<&str> = settings.flags.iter().map(String::as_str).collect();
    assert_eq!(
        flags,
        [
            "--data-dir",
            "--database-url",
            "--no-poll",
            "--public-url",
            "--work-dir"
        ]
    );
    let env: Vec<&str> = settings.env.iter().map(String::as_str).collect();
    assert_eq!(env, ["AFTERMATH_DATABASE_URL", "AFTERMATH_DATA_DIR"]);
}

#[test]
fn every_aftermath_variable_the_command_line_reads_is_in_the_configuration_table() {
    let readme = readme();
    let table: String = section(&readme, "Configuration")
        .into_iter()
        .filter(|l| l.trim_start().starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    let missing: Vec<String> = cli_settings()
        .env
        .into_iter()
        .filter(|v| v.starts_with("AFTERMATH_"))
        .filter(|v| !mentions(&table, v))
        .collect();
    assert!(
        missing.is_empty(),
        "variables src/cli.rs reads that the README's configuration table leaves out: {missing:?}"
    );
}

#[test]
fn every_flag_the_command_line_defines_is_named_in_the_configuration_section() {
    let readme = readme();
    let configuration = section(&readme, "Configuration").join("\n");
    let missing: Vec<String> = cli_settings()
        .flags
        .into_iter()
        .filter(|f| !mentions(&configuration, f))
        .collect();
    assert!(
        missing.is_empty(),
        "flags src/cli.rs defines that the README's Configuration section never names: {missing:?}"
    );
}

#[test]
fn the_readme_opens_with_the_two_commands_and_fits_in_250_lines() {
    let readme = readme();
    let lines: Vec<&str> = readme.lines().collect();
    assert!(
        lines.len() <= 250,
        "the README has {} lines; move detail to docs/",
        lines.len()
    );
    let opening = lines[..lines.len().min(12)].join("\n");
    for command in ["cargo run --release -- serve --demo", "cargo test"] {
        assert!(
            opening.contains(command),
            "the README's first lines do not show `{command}`"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Links.

/// The Markdown files whose links are checked: the README and every file in docs/.
fn documents() -> Vec<PathBuf> {
    let mut out = vec![repo().join("README.md")];
    let docs = repo().join("docs");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&docs)
        .unwrap_or_else(|e| panic!("reading {}: {e}", docs.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    found.sort();
    out.extend(found);
    out
}

/// The lines of a Markdown text outside fenced code blocks, with inline code spans blanked.
fn prose_lines(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Between backticks is code: every other piece is prose.
        let prose: Vec<&str> = line.split('`').step_by(2).collect();
        out.push(prose.join(" "));
    }
    out
}

/// Link targets: `[text](target)`, `[text](target "title")`, and `[label]: target`.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose_lines(markdown) {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after
                .find(|c: char| c == ')' || c.is_whitespace())
                .unwrap_or(after.len());
            let target = after[..end].trim_start_matches('<').trim_end_matches('>');
            if !target.is_empty() {
                out.push(target.to_string());
            }
            rest = &after[end..];
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('[')
            && let Some((label, target)) = trimmed.split_once("]:")
            && !label.contains("](")
            && let Some(target) = target.split_whitespace().next()
        {
            out.push(target.to_string());
        }
    }
    out
}

fn is_external(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// GitHub's anchor for a heading: lowercase, spaces to `-`, and every other character that is
/// not a letter, a digit, `-` or `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings; a repeated heading gets `-1`, `-2`… as on GitHub.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in prose_lines_keeping_code(markdown) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let base = slug(line[hashes..].trim_end_matches('#'));
            let mut anchor = base.clone();
            let mut n = 0;
            while out.contains(&anchor) {
                n += 1;
                anchor = format!("{base}-{n}");
            }
            out.insert(anchor);
        }
    }
    out
}

/// The lines outside fenced code blocks, as written (a heading's code spans count in its slug).
fn prose_lines_keeping_code(markdown: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
        } else if !fenced {
            out.push(line);
        }
    }
    out
}

/// `a/./b/../c` → `a/c`; `None` when the path climbs above its start.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Why a relative link from `document` does not resolve, if it does not.
fn broken(document: &Path, target: &str) -> Option<String> {
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    let root = repo();
    let file = if path.is_empty() {
        document.to_path_buf()
    } else {
        let from = document.parent().unwrap().strip_prefix(&root).unwrap();
        let Some(inside) = normalise(&from.join(path)) else {
            return Some("leads outside the repository".into());
        };
        root.join(inside)
    };
    if !file.exists() {
        return Some(format!("{} does not exist", file.display()));
    }
    let anchor = anchor.filter(|a| !a.is_empty())?;
    if file.extension().is_none_or(|e| e != "md") {
        return None;
    }
    let known = anchors(&read(&file));
    (!known.contains(anchor)).then(|| {
        format!(
            "{} has no heading for #{anchor} (it has: {})",
            file.display(),
            known.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

#[test]
fn a_heading_anchor_is_lowercase_hyphenated_and_without_punctuation() {
    assert_eq!(slug("Running on PostgreSQL"), "running-on-postgresql");
    assert_eq!(slug("`aftermath bench`"), "aftermath-bench");
    assert_eq!(
        slug("User reports, spikes and cascades"),
        "user-reports-spikes-and-cascades"
    );
    assert_eq!(slug("TLS and exposure_1"), "tls-and-exposure_1");
    let doc = "# A\n\n## Backups\n\n```\n# not a heading\n```\n\n## Backups\n";
    let found: Vec<String> = anchors(doc).into_iter().collect();
    assert_eq!(found, ["a", "backups", "backups-1"]);
}

#[test]
fn the_link_reader_skips_code_and_finds_inline_and_reference_links() {
    let doc = "See [the API](docs/api.md#tokens) and [the licence](<LICENSE>).\n\
               `[not](a-link.md)` and\n\
               ```sh\n[nor](this.md)\n```\n\
               [label]: ../LICENSE \"title\"\n\
               [web](https://example.com/x)\n";
    assert_eq!(
        link_targets(doc),
        [
            "docs/api.md#tokens",
            "LICENSE",
            "../LICENSE",
            "https://example.com/x"
        ]
    );
}

#[test]
fn every_relative_link_in_the_readme_and_the_docs_resolves_inside_the_repository() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for document in documents() {
        for target in link_targets(&read(&document)) {
            if is_external(&target) {
                continue;
            }
            checked += 1;
            if let Some(why) = broken(&document, &target) {
                let shown = document.strip_prefix(repo()).unwrap_or(&document);
                problems.push(format!("{}: ({target}): {why}", shown.display()));
            }
        }
    }
    assert!(
        checked > 10,
        "only {checked} relative links found: is the reader broken?"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}
