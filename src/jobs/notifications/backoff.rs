//! When a failed delivery is tried again: exponential backoff with jitter, the first retry
//! within 5 seconds, and none after the give-up time (24 hours by default), when the delivery
//! is dead and the next in its order goes ahead.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use crate::db::deliveries::Next;

/// The delay after the first failure; each further failure triples it, up to [`MAX_DELAY`].
pub const FIRST_DELAY: Duration = Duration::seconds(2);
pub const MAX_DELAY: Duration = Duration::hours(1);
/// Fraction of the delay added or removed at random, so failed deliveries do not retry in
/// lock-step.
pub const JITTER: f64 = 0.25;

/// The delay before attempt `failures + 1`, without jitter.
pub fn delay(failures: u32) -> Duration {
    let factor = 3_i64.saturating_pow(failures.saturating_sub(1).min(20));
    FIRST_DELAY
        .checked_mul(factor.min(i32::MAX as i64) as i32)
        .unwrap_or(MAX_DELAY)
        .min(MAX_DELAY)
}

/// What follows failure number `failures` of a delivery made at `created_at`, at `now`.
pub fn after_failure(
    failures: u32,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    give_up_after: Duration,
) -> Next {
    if now - created_at >= give_up_after {
        return Next::Dead;
    }
    let base = delay(failures).num_milliseconds() as f64;
    let jitter = rand::rng().random_range(-JITTER..=JITTER);
    let wait = Duration::milliseconds((base * (1.0 + jitter)).round() as i64);
    Next::RetryAt(now + wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_retry_comes_within_five_seconds_and_delays_grow_to_an_hour() {
        let now = Utc::now();
        for _ in 0..100 {
            match after_failure(1, now, now, Duration::hours(24)) {
                Next::RetryAt(t) => assert!(t - now <= Duration::seconds(5)),
                other => panic!("{other:?}"),
            }
        }
        assert!(delay(2) > delay(1));
        assert_eq!(delay(30), MAX_DELAY);
    }

    #[test]
    fn a_delivery_failing_for_a_day_is_dead() {
        let made = Utc::now();
        let later = made + Duration::hours(24);
        assert_eq!(
            after_failure(40, made, later, Duration::hours(24)),
            Next::Dead
        );
    }
}
