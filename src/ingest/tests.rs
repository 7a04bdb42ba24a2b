#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::ingest::test_support::never_panics;

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(Format::from_name(f.as_str()), Some(*f));
    }
    assert_eq!(Format::from_name("aws-health"), Some(Format::AwsHealth));
    assert_eq!(Format::from_name("reports-jsonl"), None);
}

#[test]
fn oversized_input_is_refused_up_front() {
    let big = vec![b' '; MAX_INPUT_BYTES + 1];
    for f in Format::ALL {
        assert!(
            matches!(parse(*f, &big), Err(ParseError::TooLarge { .. })),
            "{f}"
        );
    }
    assert_eq!(detect(&big), None);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000);
    for f in Format::ALL {
        assert!(parse(*f, deep.as_bytes()).is_err());
    }
    let deep_xml = "<rss>".to_string() + &"<a>".repeat(100_000);
    assert!(parse(Format::Rss, deep_xml.as_bytes()).is_err());
}

#[test]
fn wrong_format_is_an_error() {
    let gcp = br#"[{"id": "x", "external_desc": "t", "updates": []}]"#;
    assert!(parse(Format::Statuspage, gcp).is_err());
    assert!(parse(Format::Checkly, gcp).is_err());
    assert!(parse(Format::Atom, gcp).is_err());
    assert!(parse(Format::AwsHealth, br#"{"page": {}}"#).is_err());
}

#[test]
fn detect_unknown() {
    assert_eq!(detect(b""), None);
    assert_eq!(detect(b"[]"), None);
    assert_eq!(detect(b"{\"x\": 1}"), None);
    assert_eq!(detect(b"<html></html>"), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for f in Format::ALL {
            never_panics(*f, &bytes);
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
        for (format, path) in [
            (Format::Statuspage, "statuspage/webhook_incident.json"),
            (Format::Atom, "atom/history.atom"),
            (Format::AwsDatajson, "aws-datajson/data.json"),
            (Format::AwsHealth, "aws-health/currentevents.json"),
            (Format::Gcp, "gcp/incidents.json"),
            (Format::Betterstack, "betterstack/index.json"),
        ] {
            let mut bytes = crate::ingest::test_support::fixture(path);
            if !bytes.is_empty() {
                let at = flip % bytes.len();
                bytes[at] = byte;
                bytes.truncate(cut.max(1) * bytes.len() / 4000 + 1);
            }
            never_panics(format, &bytes);
        }
    }
}
