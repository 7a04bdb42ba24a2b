//! Source-format parsers: bytes of a status-page document in, normalised observations out.
//!
//! Pure functions: no database, no network. Every parser keeps the source's own words next to
//! the mapped values, refuses inputs over [`MAX_INPUT_BYTES`], and returns a [`ParseError`]
//! (never panics) on truncated, mis-encoded or wrongly typed input.

pub mod aws_datajson;
pub mod aws_health;
pub mod betterstack;
pub mod catalog;
pub mod checkly;
pub mod feed;
pub mod gcp;
pub mod html;
pub mod instatus;
pub mod json;
mod memo;
pub mod observation;
mod range;
pub mod reports;
pub mod slack;
pub mod slug;
pub mod statuspage;
#[cfg(test)]
pub(crate) mod test_support;
pub mod time;
pub mod vocab;

use std::fmt;

use chrono::Utc;

use serde::Serialize;

pub use observation::{
    ComponentObservation, IncidentObservation, PageInfo, ParsedDocument, UpdateObservation,
};

/// Inputs larger than this are refused before any parsing.
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;

/// The source formats `aftermath ingest --format` and `POST /api/v1/ingest/{format}` accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Statuspage,
    Atom,
    Rss,
    AwsHealth,
    AwsDatajson,
    Gcp,
    Slack,
    Instatus,
    Betterstack,
    Checkly,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Statuspage,
        Format::Atom,
        Format::Rss,
        Format::AwsHealth,
        Format::AwsDatajson,
        Format::Gcp,
        Format::Slack,
        Format::Instatus,
        Format::Betterstack,
        Format::Checkly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Statuspage => "statuspage",
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::AwsHealth => "aws-health",
            Format::AwsDatajson => "aws-datajson",
            Format::Gcp => "gcp",
            Format::Slack => "slack",
            Format::Instatus => "instatus",
            Format::Betterstack => "betterstack",
            Format::Checkly => "checkly",
        }
    }

    /// The format with this CLI / API name, if any.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.as_str() == name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a document could not be parsed, and where.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("input is {size} bytes, over the {limit} byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("input is not valid {encoding}: {detail}")]
    Encoding {
        encoding: &'static str,
        detail: String,
    },
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("invalid XML{}: {message}", position.as_ref().map(|p| format!(" at {p}")).unwrap_or_default())]
    Xml {
        position: Option<String>,
        message: String,
    },
    #[error("unexpected document shape at {path}: {message}")]
    Shape { path: String, message: String },
    #[error("bad timestamp {value:?} at {path}")]
    Time { path: String, value: String },
    #[error("timestamp {value:?} at {path} is out of range: times must lie {range}")]
    TimeOutOfRange {
        path: String,
        value: String,
        range: &'static str,
    },
}

impl ParseError {
    pub(crate) fn shape(path: impl Into<String>, message: impl Into<String>) -> Self {
        ParseError::Shape {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Refuse inputs over the size limit up front.
pub(crate) fn check_size(bytes: &[u8]) -> Result<(), ParseError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge {
            size: bytes.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

/// Parse `bytes` as `format`.
pub fn parse(format: Format, bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    let doc = parse_unchecked(format, bytes)?;
    range::check_times(&doc, Utc::now())?;
    Ok(doc)
}

fn parse_unchecked(format: Format, bytes: &[u8]) -> Result<ParsedDocument, ParseError> {
    check_size(bytes)?;
    match format {
        Format::Statuspage => statuspage::parse(bytes),
        Format::Atom | Format::Rss => feed::parse(format, bytes),
        Format::AwsHealth => aws_health::parse(bytes),
        Format::AwsDatajson => aws_datajson::parse(bytes),
        Format::Gcp => gcp::parse(bytes),
        Format::Slack => slack::parse(bytes),
        Format::Instatus => instatus::parse(bytes),
        Format::Betterstack => betterstack::parse(bytes),
        Format::Checkly => checkly::parse(bytes),
    }
}

/// Guesses the format and parses, reading the JSON once: detection looks at the same tree the
/// parsers of the common formats read, and reading it twice was a third of a small file's cost.
/// `None` when nothing matches.
pub fn detect_and_parse(bytes: &[u8]) -> Option<Result<ParsedDocument, ParseError>> {
    if bytes.len() > MAX_INPUT_BYTES {
        return None;
    }
    let text = json::decode_text(bytes).ok()?;
    if text.trim_start().starts_with('<') {
        let format = detect_xml(text.trim_start())?;
        return Some(parse(format, bytes));
    }
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let parsed = match detect_json(&value)? {
        Format::Statuspage => statuspage::parse_value(&value, Format::Statuspage),
        Format::AwsDatajson => aws_datajson::from_value(&value),
        other => return Some(parse(other, bytes)),
    };
    Some(parsed.and_then(|doc| range::check_times(&doc, Utc::now()).map(|()| doc)))
}

/// Guess the format from the content; `None` when nothing matches.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    if bytes.len() > MAX_INPUT_BYTES {
        return None;
    }
    let text = json::decode_text(bytes).ok()?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        return detect_xml(trimmed);
    }
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    detect_json(&value)
}

fn detect_xml(text: &str) -> Option<Format> {
    // Look at the first element that is not a declaration, comment or doctype.
    let mut rest = text;
    loop {
        let start = rest.find('<')?;
        rest = &rest[start..];
        if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = &rest[1..];
            continue;
        }
        let name: String = rest[1..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        let local = name
            .rsplit(':')
            .next()
            .unwrap_or(&name)
            .to_ascii_lowercase();
        return match local.as_str() {
            "feed" => Some(Format::Atom),
            "rss" | "rdf" => Some(Format::Rss),
            _ => None,
        };
    }
}

fn detect_json(value: &serde_json::Value) -> Option<Format> {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            let first = items.first()?.as_object()?;
            if first.contains_key("arn") || first.contains_key("event_log") {
                Some(Format::AwsHealth)
            } else if first.contains_key("external_desc")
                || first.contains_key("most_recent_update")
            {
                Some(Format::Gcp)
            } else if first.contains_key("date_created") || first.contains_key("notes") {
                Some(Format::Slack)
            } else {
                None
            }
        }
        Value::Object(map) => {
            let has = |k: &str| map.contains_key(k);
            if has("current") && has("archive") {
                Some(Format::AwsDatajson)
            } else if has("active_incidents") || (has("date_created") && has("status")) {
                Some(Format::Slack)
            } else if has("activeIncidents") || has("activeMaintenances") || has("maintenance") {
                Some(Format::Instatus)
            } else if has("included")
                || map.get("data").and_then(|d| d.get("type")).is_some()
                || has("event_type")
            {
                Some(Format::Betterstack)
            } else if !has("page") && map.get("incidents").is_some_and(Value::is_array) {
                Some(Format::Checkly)
            } else if has("page")
                || has("incident")
                || has("component_update")
                || has("incident_updates")
            {
                if statuspage::looks_uppercase(value) {
                    Some(Format::Instatus)
                } else {
                    Some(Format::Statuspage)
                }
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod small_formats_tests;
#[cfg(test)]
mod tests;
