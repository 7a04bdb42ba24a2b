//! A failing source: what went wrong is named in `last_error`, and its back-off doubles.

use super::{BAD_PATHS, assert_next_poll, poll_six_sources_once, poll_six_sources_twice, row};

#[actix_web::test]
async fn each_failure_is_named_in_last_error_and_backs_off_twice_the_interval() {
    let cycle = poll_six_sources_once().await;
    let expected_errors = [
        ("/hang", "timed out after 1s"),
        ("/error", "HTTP 500 Internal Server Error"),
        ("/garbage", "cannot parse the statuspage document: "),
        (
            "/truncated",
            "cannot parse the statuspage document: invalid JSON at line ",
        ),
        ("/big", "response body is over the 65536-byte limit"),
    ];
    for (path, expected) in expected_errors {
        let r = row(&cycle.app.db, &cycle.bad[path]);
        let error = r.last_error.clone().unwrap_or_default();
        assert!(error.starts_with(expected), "{path}: last_error {error:?}");
        assert!(
            error.len() <= 320 && !error.contains('\n'),
            "{path}: {error:?}"
        );
        assert_eq!(r.failures, 1, "{path}");
        assert!(r.etag.is_none() && r.last_success_at.is_none(), "{path}");
        // First failure: interval · 2.
        assert_next_poll(&r, cycle.before, 600);
    }
}

#[actix_web::test]
async fn a_second_failure_in_a_row_backs_off_four_times_the_interval() {
    let second = poll_six_sources_twice().await;
    for path in BAD_PATHS {
        let r = row(&second.first.app.db, &second.first.bad[path]);
        assert_eq!(r.failures, 2, "{path}");
        // Second failure in a row: interval · 4, longer than the first back-off.
        assert_next_poll(&r, second.before, 1200);
    }
}
