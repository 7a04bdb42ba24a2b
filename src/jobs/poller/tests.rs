//! Unit tests of the pure parts of the poller: schedule arithmetic and error text.

use super::error::{MAX_ERROR_CHARS, PollError, short};
use super::*;
use reqwest::StatusCode;

#[test]
fn backoff_doubles_then_caps_and_never_undercuts_the_interval() {
    let five_min = Duration::from_secs(300);
    let six_h = Duration::from_secs(6 * 3600);
    assert_eq!(backoff(five_min, 1, six_h), Duration::from_secs(600));
    assert_eq!(backoff(five_min, 2, six_h), Duration::from_secs(1200));
    assert_eq!(backoff(five_min, 40, six_h), six_h);
    let day = Duration::from_secs(86_400);
    assert_eq!(backoff(day, 3, six_h), day);
}

#[test]
fn jitter_stays_within_its_spread() {
    let base = Duration::from_secs(1000);
    for _ in 0..100 {
        let d = jittered(base, 0.1);
        assert!(
            d >= Duration::from_secs(900) && d <= Duration::from_secs(1100),
            "{d:?}"
        );
    }
    assert_eq!(jittered(base, 0.0), base);
    assert_eq!(jittered(base, f64::NAN), base);
}

#[test]
fn errors_are_one_short_line() {
    assert_eq!(short("a\nb"), "a b");
    assert_eq!(
        short(&"é".repeat(1000)).chars().count(),
        MAX_ERROR_CHARS + 1
    );
    assert_eq!(
        PollError::Status(StatusCode::INTERNAL_SERVER_ERROR).to_string(),
        "HTTP 500 Internal Server Error"
    );
    assert_eq!(
        PollError::Timeout(Duration::from_secs(1)).to_string(),
        "timed out after 1s (whole request, body included)"
    );
}
