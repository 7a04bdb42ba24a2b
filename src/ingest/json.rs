//! Shared JSON plumbing: text decoding (BOMs, UTF-16), positioned errors, per-item typing.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ingest::ParseError;

/// Decode bytes to text: UTF-8 (with or without BOM) or UTF-16 with a BOM (AWS serves UTF-16 BE).
/// UTF-16 without a BOM is recognised by its zero bytes around the first ASCII character.
pub fn decode_text(bytes: &[u8]) -> Result<String, ParseError> {
    let (encoding, skip) = match encoding_rs::Encoding::for_bom(bytes) {
        Some((enc, len)) => (enc, len),
        None if bytes.len() >= 2 && bytes[0] == 0 && bytes[1] != 0 => (encoding_rs::UTF_16BE, 0),
        None if bytes.len() >= 2 && bytes[0] != 0 && bytes[1] == 0 => (encoding_rs::UTF_16LE, 0),
        None => (encoding_rs::UTF_8, 0),
    };
    let body = &bytes[skip..];
    if encoding == encoding_rs::UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(s) => Ok(s.to_string()),
            Err(e) => Err(ParseError::Encoding {
                encoding: "UTF-8",
                detail: format!(
                    "invalid byte sequence at byte offset {}",
                    e.valid_up_to() + skip
                ),
            }),
        };
    }
    if !body.len().is_multiple_of(2) {
        return Err(ParseError::Encoding {
            encoding: encoding.name(),
            detail: format!(
                "odd number of bytes ({}) after the byte order mark",
                body.len()
            ),
        });
    }
    match encoding.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Ok(text.into_owned()),
        None => Err(ParseError::Encoding {
            encoding: encoding.name(),
            detail: "unpaired surrogate or invalid code unit".to_string(),
        }),
    }
}

/// Decode and parse a whole document into a JSON value; syntax errors carry line and column.
pub fn parse_value(bytes: &[u8]) -> Result<Value, ParseError> {
    let text = decode_text(bytes)?;
    serde_json::from_str(&text).map_err(|e| ParseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Type one item of a document; errors name the item's JSON path.
pub fn from_item<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, ParseError> {
    T::deserialize(value).map_err(|e| ParseError::shape(path, e.to_string()))
}

/// The item's JSON text, kept as provenance.
pub fn raw(value: &Value) -> String {
    value.to_string()
}

/// An array member of `value`, or an error naming `path`. A missing or null key is an empty list.
pub fn array<'a>(value: &'a Value, key: &str, path: &str) -> Result<&'a [Value], ParseError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(ParseError::shape(
            format!("{path}.{key}"),
            format!("expected an array, found {}", kind(other)),
        )),
    }
}

/// A short name for the JSON type of `value`, for messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string or number as text (AWS writes `status` and `date` both ways).
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Serde helper: accept a string or a number, keep it as text.
pub mod string_or_number {
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Value;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(D::Error::custom(format!(
                "expected a string or a number, found {}",
                super::kind(&other)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_be_with_bom_decodes() {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in "[1]".encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode_text(&bytes).ok().as_deref(), Some("[1]"));
    }

    #[test]
    fn odd_utf16_and_bad_utf8_are_errors() {
        assert!(matches!(
            decode_text(&[0xFE, 0xFF, 0x00]),
            Err(ParseError::Encoding { .. })
        ));
        assert!(matches!(
            decode_text(&[b'{', 0xC3, 0x28]),
            Err(ParseError::Encoding { .. })
        ));
    }

    #[test]
    fn json_errors_have_line_and_column() {
        let err = parse_value(b"{\n  \"a\": [1,\n").err();
        assert!(
            matches!(err, Some(ParseError::Json { line: 3, .. })),
            "{err:?}"
        );
    }
}
