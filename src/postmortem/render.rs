//! Rendering drafts with minijinja.
//!
//! Rules:
//! - The default template is embedded in the binary. A file of the same name in
//!   `AFTERMATH_TEMPLATE_DIR` overrides it; an override that fails to load or render falls back
//!   to the default, and the reason is returned with the draft so it can be shown and logged.
//! - Every interpolated string is Markdown-escaped by the formatter (`md_escape::inline`), so
//!   text from providers and users cannot inject a heading, a link, HTML or a table break.
//!   Filters give the other contexts: `md_cell` (table cells), `md_link` (http(s) links only),
//!   `md_code` (code spans), `yaml` (front matter values). A template author writes `|safe` only
//!   for text that already is Markdown.
//! - Renders are bounded (fuel and recursion limits), since override templates are user-written.

use std::path::Path;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior};

use super::context::DraftContext;
use super::md_escape;

pub const DEFAULT_NAME: &str = "default.md.j2";
const DEFAULT_SOURCE: &str = include_str!("../../templates/postmortem/default.md.j2");
const FUEL: u64 = 50_000_000;

/// A rendered draft, and why the override was not used when it was not.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub markdown: String,
    pub fallback_reason: Option<String>,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(100);
    env.set_auto_escape_callback(|_| AutoEscape::Custom("markdown".into()));
    env.set_formatter(|out, _state, value| {
        if value.is_safe() {
            out.write_str(&value.to_string())?;
        } else if let Some(s) = value.as_str() {
            out.write_str(&md_escape::inline(s))?;
        } else if value.kind() == minijinja::value::ValueKind::Bool {
            // YAML and people both read `true`, not Python's `True`.
            out.write_str(if value.is_true() { "true" } else { "false" })?;
        } else if value.is_none() || value.is_undefined() {
            // Nothing to show.
        } else {
            out.write_str(&md_escape::inline(&value.to_string()))?;
        }
        Ok(())
    });
    env.add_filter("md_cell", |v: Value| {
        Value::from_safe_string(md_escape::table_cell(&text_of(&v)))
    });
    env.add_filter("md_code", |v: Value| {
        Value::from_safe_string(md_escape::code_span(&text_of(&v)))
    });
    env.add_filter("md_link", |v: Value| {
        let url = text_of(&v);
        Value::from_safe_string(
            md_escape::link(&url, &url).unwrap_or_else(|| md_escape::inline(&url)),
        )
    });
    env.add_filter("yaml", |v: Value| -> Result<Value, Error> {
        let json = serde_json::to_string(&text_of(&v))
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
        Ok(Value::from_safe_string(json))
    });
    env
}

fn text_of(v: &Value) -> String {
    if v.is_none() || v.is_undefined() {
        String::new()
    } else {
        v.as_str().map_or_else(|| v.to_string(), str::to_string)
    }
}

fn render_source(source: &str, ctx: &DraftContext) -> Result<String, Error> {
    let mut env = environment();
    env.add_template_owned(DEFAULT_NAME, source.to_string())?;
    env.get_template(DEFAULT_NAME)?
        .render(Value::from(minijinja::value::Serde(ctx)))
}

/// Renders with the override in `template_dir` when there is one, else the embedded default.
pub fn render(ctx: &DraftContext, template_dir: Option<&Path>) -> Rendered {
    let override_source = template_dir
        .map(|d| d.join(DEFAULT_NAME))
        .filter(|p| p.exists())
        .map(|p| {
            std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        });
    let fallback_reason = match override_source {
        None => None,
        Some(Ok(source)) => match render_source(&source, ctx) {
            Ok(markdown) => {
                return Rendered {
                    markdown,
                    fallback_reason: None,
                };
            }
            Err(e) => Some(format!(
                "the template override failed, so the default was used: {e:#}"
            )),
        },
        Some(Err(e)) => Some(format!(
            "the template override failed, so the default was used: {e}"
        )),
    };
    if let Some(reason) = &fallback_reason {
        tracing::warn!(%reason, "postmortem template override");
    }
    match render_source(DEFAULT_SOURCE, ctx) {
        Ok(markdown) => Rendered {
            markdown,
            fallback_reason,
        },
        // The embedded default is tested against every fixture; failing here is a bug.
        Err(e) => Rendered {
            markdown: format!(
                "# {}\n\nThe draft could not be rendered: {e}\n",
                md_escape::heading(&ctx.title)
            ),
            fallback_reason,
        },
    }
}
