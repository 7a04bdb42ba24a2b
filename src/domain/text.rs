//! Text that people type: titles and bodies. Validated once, at the edge.

use std::fmt;

/// A field that failed validation, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

pub const TITLE_MAX_CHARS: usize = 300;
pub const BODY_MAX_CHARS: usize = 20_000;

/// Control characters other than line breaks and tabs have no place in text people read.
fn has_stray_control(s: &str, allow_newlines: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
}

/// An incident title: one line, 1 to 300 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if trimmed.chars().count() > TITLE_MAX_CHARS {
            return Err(ValidationError::new(
                field,
                format!("must be at most {TITLE_MAX_CHARS} characters"),
            ));
        }
        if has_stray_control(trimmed, false) {
            return Err(ValidationError::new(
                field,
                "must be one line without control characters",
            ));
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The text of a timeline entry: plain text or Markdown, never rendered as raw HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if trimmed.chars().count() > BODY_MAX_CHARS {
            return Err(ValidationError::new(
                field,
                format!("must be at most {BODY_MAX_CHARS} characters"),
            ));
        }
        if has_stray_control(trimmed, true) {
            return Err(ValidationError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_trimmed_and_must_not_be_blank() {
        assert_eq!(
            Title::parse("title", "  DNS down  ").map(Title::into_string),
            Ok("DNS down".into())
        );
        assert!(Title::parse("title", "   ").is_err());
    }

    #[test]
    fn a_title_is_one_line_of_bounded_length() {
        assert!(Title::parse("title", "two\nlines").is_err());
        assert!(Title::parse("title", &"x".repeat(TITLE_MAX_CHARS + 1)).is_err());
        assert!(Title::parse("title", &"é".repeat(TITLE_MAX_CHARS)).is_ok());
    }

    #[test]
    fn a_body_keeps_line_breaks_but_refuses_other_controls() {
        assert_eq!(
            Body::parse("body", "a\r\nb").map(Body::into_string),
            Ok("a\nb".into())
        );
        assert!(Body::parse("body", "bell\u{7}").is_err());
    }
}
