//! The rules of the house, checked on the source itself so that no change can quietly break
//! them (docs/architecture.md explains each room):
//! - `domain` uses nothing outside std, chrono, uuid, serde, sha2 and hex;
//! - `ingest` holds parsers only: it uses neither `db`, `correlate`, `jobs`, `search` nor `http`,
//!   and no network or storage crate;
//! - none of `db`, `search`, `correlate`, `ingest` or `postmortem` uses `http`, `jobs` or actix;
//! - `db` never calls `search` (the outbox is the only bridge);
//! - the library exports no bench module: `aftermath bench` belongs to the binary;
//! - at most three functions are over 80 lines, and each says why it reads better whole.
//!
//! Every path is read, not only `use` lines: `crate::http::x()` in a function body, `actix_web::`
//! in a type, and `use crate::{db, http}` groups all count. Comments, strings and test code
//! (`#[cfg(test)]` items and `*_tests.rs`/`tests.rs` files) are left out: tests may use anything.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every non-test source file under `src/ROOM` (a directory or `ROOM.rs`).
fn room_files(room: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src().join(format!("{room}.rs"));
    if file.exists() {
        out.push(file);
    }
    let mut dirs = vec![src().join(room)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                dirs.push(path);
            } else if name.ends_with(".rs") && !name.ends_with("_tests.rs") && name != "tests.rs" {
                out.push(path);
            }
        }
    }
    assert!(!out.is_empty(), "no source files for room {room}");
    out.sort();
    out
}

/// The code of a file without comments, string and char literals, and `#[cfg(test)]` items.
fn code_of(text: &str) -> String {
    let stripped = strip_comments_and_strings(text);
    strip_test_items(&stripped)
}

fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && is_raw_string(&chars, i) {
            i = skip_raw_string(&chars, i);
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && is_char_literal(&chars, i) {
            i = skip_char_literal(&chars, i);
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_raw_string(chars: &[char], i: usize) -> bool {
    let prev_is_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let mut j = i + 1;
    while j < chars.len() && chars[j] == '#' {
        j += 1;
    }
    !prev_is_ident && chars.get(j) == Some(&'"')
}

fn skip_raw_string(chars: &[char], i: usize) -> usize {
    let mut j = i + 1;
    let mut hashes = 0;
    while chars[j] == '#' {
        hashes += 1;
        j += 1;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
            return j + 1 + hashes;
        }
        j += 1;
    }
    j
}

/// `'a'`, `'\n'`, `'\u{1F600}'`, as opposed to a lifetime `'a`.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

fn skip_char_literal(chars: &[char], i: usize) -> usize {
    let mut j = i + 1;
    if chars[j] == '\\' {
        j += 2;
    }
    while j < chars.len() && chars[j] != '\'' {
        j += 1;
    }
    j + 1
}

/// Drops every item under `#[cfg(test)]`: a `mod x;` line, or a braced block.
fn strip_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let semicolon = after.find(';');
        let brace = after.find('{');
        rest = match (semicolon, brace) {
            (Some(s), Some(b)) if s < b => &after[s + 1..],
            (_, Some(b)) => &after[b + matching_brace(&after[b..]) + 1..],
            (Some(s), None) => &after[s + 1..],
            (None, None) => "",
        };
    }
    out.push_str(rest);
    out
}

fn matching_brace(block: &str) -> usize {
    let mut depth = 0;
    for (i, c) in block.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    block.len() - 1
}

/// Every path a file names: the first two segments of each `a::b` (so `crate::db`,
/// `actix_web::web`), and each member of a `crate::{db, http}` group as `crate::db`,
/// `crate::http`.
fn paths_named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while let Some(found) = code[i..].find("::") {
        let at = i + found;
        let mut start = at;
        while start > 0 && ident(bytes[start - 1]) {
            start -= 1;
        }
        let preceded_by_path = start >= 2 && &code[start - 2..start] == "::";
        let head = &code[start..at];
        if !head.is_empty() && !preceded_by_path {
            let tail = &code[at + 2..];
            if let Some(group) = tail.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for member in group[..end].split(',') {
                    let first = member.trim().split("::").next().unwrap_or("").trim();
                    if !first.is_empty() {
                        out.insert(format!("{head}::{first}"));
                    }
                }
            } else {
                let second: String = tail
                    .bytes()
                    .take_while(|b| ident(*b))
                    .map(char::from)
                    .collect();
                out.insert(format!("{head}::{second}"));
            }
        }
        i = at + 2;
    }
    // `use serde;`-style whole-crate imports name no `::`.
    for line in code.lines() {
        if let Some(name) = line
            .trim()
            .strip_prefix("use ")
            .and_then(|r| r.strip_suffix(';'))
            && !name.contains("::")
        {
            out.insert(format!("{}::", name.trim()));
        }
    }
    out
}

/// The names of the crates this package may use (dependencies), with `-` as `_`.
fn dependency_crates() -> BTreeSet<String> {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let mut out = BTreeSet::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]" || line == "[dev-dependencies]";
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once('=') {
            out.insert(name.trim().replace('-', "_"));
        }
    }
    assert!(out.contains("actix_web"), "the manifest was not read");
    out
}

/// Every place in `room` where a path starts with one of `heads` (`crate::http`, `actix_web`).
fn offences(room: &str, forbidden: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for file in room_files(room) {
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for path in paths_named(&code) {
            if forbidden(&path) {
                let shown = file.strip_prefix(src()).unwrap().display().to_string();
                found.push(format!("src/{shown}: {path}"));
            }
        }
    }
    found
}

fn head(path: &str) -> &str {
    path.split("::").next().unwrap_or("")
}

#[test]
fn the_domain_uses_only_std_chrono_uuid_serde_sha2_and_hex() {
    let allowed = [
        "std", "core", "alloc", "chrono", "uuid", "serde", "sha2", "hex",
    ];
    let crates = dependency_crates();
    let found = offences("domain", |path| {
        let h = head(path);
        let foreign_crate = crates.contains(h) && !allowed.contains(&h);
        let other_room = h == "crate" && path != "crate::domain";
        foreign_crate || other_room
    });
    assert!(
        found.is_empty(),
        "the domain reaches outside itself:\n{}",
        found.join("\n")
    );
}

#[test]
fn ingest_holds_parsers_only() {
    let rooms = [
        "db",
        "correlate",
        "jobs",
        "search",
        "http",
        "postmortem",
        "startup",
    ];
    let io = ["diesel", "reqwest", "tokio", "actix_web", "tantivy", "r2d2"];
    let found = offences("ingest", |path| {
        let room = path.strip_prefix("crate::").unwrap_or("");
        rooms.contains(&room) || io.contains(&head(path))
    });
    assert!(
        found.is_empty(),
        "ingest does more than parse:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_lower_room_uses_the_web_layer_or_the_jobs() {
    let web = [
        "actix_web",
        "actix_session",
        "actix_web_prom",
        "tracing_actix_web",
        "askama",
    ];
    let mut found = Vec::new();
    for room in [
        "db",
        "search",
        "correlate",
        "ingest",
        "postmortem",
        "domain",
    ] {
        found.extend(offences(room, |path| {
            path == "crate::http" || path == "crate::jobs" || web.contains(&head(path))
        }));
    }
    assert!(
        found.is_empty(),
        "a lower room uses the web layer:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_store_never_calls_search() {
    let found = offences("db", |path| path == "crate::search");
    assert!(found.is_empty(), "db calls search:\n{}", found.join("\n"));
}

#[test]
fn the_library_exports_no_bench_module() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    assert!(
        !code_of(&lib).contains("mod bench"),
        "`aftermath bench` belongs to the binary (src/main.rs), not the library"
    );
    let main = std::fs::read_to_string(src().join("main.rs")).unwrap();
    assert!(code_of(&main).contains("mod bench;"));
}

#[test]
fn the_path_reader_sees_paths_in_bodies_groups_and_types_but_not_in_comments() {
    let code = code_of(
        "use crate::{db, http::problem};\n\
         // crate::search in a comment\n\
         fn f() -> actix_web::HttpResponse { crate::jobs::run(\"crate::postmortem\") }\n\
         #[cfg(test)]\nmod tests { use crate::correlate; }\n",
    );
    let paths = paths_named(&code);
    for expected in [
        "crate::db",
        "crate::http",
        "actix_web::HttpResponse",
        "crate::jobs",
    ] {
        assert!(paths.contains(expected), "{expected} not seen in {paths:?}");
    }
    for hidden in ["crate::search", "crate::postmortem", "crate::correlate"] {
        assert!(
            !paths.contains(hidden),
            "{hidden} should be hidden: {paths:?}"
        );
    }
}

/// Functions over `max` lines in non-test code, counted from the `fn` line to its closing
/// brace, with whether the comment just above says `Whole on purpose:`.
fn long_functions(max: usize) -> Vec<(String, usize, bool)> {
    let mut found = Vec::new();
    for room in std::fs::read_dir(src()).unwrap() {
        let name = room.unwrap().file_name().to_string_lossy().to_string();
        let room = name.trim_end_matches(".rs");
        for file in room_files(room) {
            let text = std::fs::read_to_string(&file).unwrap();
            let shown = file.strip_prefix(src()).unwrap().display().to_string();
            for (fn_name, lines, justified) in functions_of(&text) {
                if lines > max {
                    found.push((format!("src/{shown}::{fn_name}"), lines, justified));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Each function of a file: its name, its length, and whether it is marked as whole on purpose.
fn functions_of(text: &str) -> Vec<(String, usize, bool)> {
    // Lengths are counted on the code as written, so blank out comments and strings without
    // changing the line structure, then drop test items.
    let original: Vec<&str> = text.lines().collect();
    let code = strip_test_items_keeping_lines(&strip_comments_and_strings_keeping_lines(text));
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let mut depth = 0i64;
        let mut opened = false;
        for (j, body) in lines.iter().enumerate().skip(i) {
            depth += body.matches('{').count() as i64 - body.matches('}').count() as i64;
            opened |= body.contains('{');
            if !opened && body.trim_end().ends_with(';') {
                break;
            }
            if opened && depth <= 0 {
                let justified = original[..i]
                    .iter()
                    .rev()
                    .take_while(|l| {
                        let l = l.trim();
                        l.starts_with("//") || l.starts_with("#[")
                    })
                    .any(|l| l.contains("Whole on purpose:"));
                out.push((name, j - i + 1, justified));
                break;
            }
        }
    }
    out
}

fn fn_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if w == "fn" {
            let name: String = words
                .next()?
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            return (!name.is_empty()).then_some(name);
        }
        let modifier = w.starts_with("pub") || ["async", "const", "unsafe"].contains(&w);
        if !modifier {
            return None;
        }
    }
    None
}

/// [`strip_comments_and_strings`] that keeps every line break, so line counts stay true.
fn strip_comments_and_strings_keeping_lines(text: &str) -> String {
    text.lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => String::new(),
            false => strip_comments_and_strings(l),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// [`strip_test_items`] that blanks test items line by line instead of removing them.
fn strip_test_items_keeping_lines(code: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "#[cfg(test)]" {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        }
        // Blank the attribute and the item after it, up to its `;` or its closing brace.
        let mut depth = 0i64;
        let mut opened = false;
        while i < lines.len() {
            let l = lines[i];
            depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
            opened |= l.contains('{');
            out.push(String::new());
            i += 1;
            if (!opened && l.trim_end().ends_with(';') && !l.trim().starts_with("#["))
                || (opened && depth <= 0)
            {
                break;
            }
        }
    }
    out.join("\n")
}

#[test]
fn at_most_three_functions_are_over_80_lines_and_each_says_why() {
    let long = long_functions(80);
    let unexplained: Vec<_> = long.iter().filter(|(_, _, why)| !why).collect();
    assert!(
        long.len() <= 3 && unexplained.is_empty(),
        "functions over 80 lines (at most 3, each with a `// Whole on purpose:` comment):\n{long:#?}"
    );
}

#[test]
fn the_function_counter_counts_from_fn_to_its_closing_brace_and_skips_tests() {
    let text = "// Whole on purpose: a table.\nfn a() {\n    let s = \"{\";\n}\n\
                pub async fn b(x: u8) -> u8 {\n    x\n}\n#[cfg(test)]\nmod tests {\n    fn c() {}\n}\n";
    let found = functions_of(text);
    assert_eq!(
        found,
        vec![("a".to_string(), 3, true), ("b".to_string(), 3, false)]
    );
}
