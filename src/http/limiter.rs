//! A keyed rate limiter whose memory is bounded: governor's GCRA over a state store of a fixed
//! number of keys, sharded, each shard forgetting its least recently used key when full.
//!
//! Rules:
//! - governor's own keyed store is a map that grows with every new key until the next
//!   `retain_recent`, and one IPv6 /32 holds four billion /64 reporters: a minute of them is as
//!   much memory as an attacker cares to send. Here at most `capacity` keys are kept, whatever
//!   arrives.
//! - A forgotten key starts again with a full burst. Eviction takes the least recently *used*
//!   key, so a client that keeps sending stays remembered (and limited); only a key quiet for
//!   longer than `capacity` other keys' requests is forgotten, and a client that can cycle
//!   through more keys than that already has that many reporters anyway.
//! - Shards are chosen by a per-process random hash, so nobody can aim many keys at one shard
//!   to push a given key out early.
//! - A poisoned shard lock is taken anyway: a shard holds only numbers, never half an update.

use std::hash::{BuildHasher, Hash, RandomState};
use std::num::NonZeroUsize;
use std::sync::{Mutex, MutexGuard, PoisonError};

use governor::clock::DefaultClock;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::{Quota, RateLimiter};
use lru::LruCache;

/// Shards: enough that workers rarely wait on one another, few enough that each stays a
/// meaningful LRU.
const SHARDS: usize = 16;

/// The rate-limit state (governor's theoretical arrival time) of at most `capacity` keys.
pub struct BoundedStore<K> {
    shards: Box<[Mutex<LruCache<K, Nanos>>]>,
    pick: RandomState,
}

/// A keyed limiter over a [`BoundedStore`].
pub type BoundedLimiter<K> = RateLimiter<K, BoundedStore<K>, DefaultClock>;

/// A limiter allowing `quota` per key, remembering at most `capacity` keys.
pub fn bounded_limiter<K: Hash + Eq + Clone>(quota: Quota, capacity: usize) -> BoundedLimiter<K> {
    RateLimiter::new(quota, BoundedStore::new(capacity), DefaultClock::default())
}

impl<K: Hash + Eq + Clone> BoundedStore<K> {
    /// A store of at most `capacity` keys (at least one per shard).
    pub fn new(capacity: usize) -> Self {
        let per_shard = NonZeroUsize::new(capacity / SHARDS).unwrap_or(NonZeroUsize::MIN);
        Self {
            // Sparse: a shard's table grows with use instead of being allocated full up front.
            shards: (0..SHARDS)
                .map(|_| Mutex::new(LruCache::sparse(per_shard)))
                .collect(),
            pick: RandomState::new(),
        }
    }

    fn shard(&self, key: &K) -> MutexGuard<'_, LruCache<K, Nanos>> {
        let index = self.pick.hash_one(key) % self.shards.len() as u64;
        lock(&self.shards[index as usize])
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K: Hash + Eq + Clone> StateStore for BoundedStore<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        // Under the shard's lock the read and the write cannot race, so no compare-and-swap.
        let mut shard = self.shard(key);
        // `get` marks the key used even when it is refused: a flood keeps its own state fresh.
        let previous = shard.get(key).copied();
        let (result, next) = f(previous)?;
        shard.put(key.clone(), next);
        Ok(result)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for BoundedStore<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        for shard in self.shards.iter() {
            lock(shard).retain(|_, at| *at > drop_below);
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    fn is_empty(&self) -> bool {
        self.shards.iter().all(|s| lock(s).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::num::NonZeroU32;

    use super::*;
    use crate::http::api::reports::REPORTERS_REMEMBERED;
    use crate::http::client::{Reporter, reporter_key};

    fn quota(per_minute: u32) -> Quota {
        Quota::per_minute(NonZeroU32::new(per_minute).unwrap())
    }

    #[test]
    fn a_million_distinct_addresses_never_grow_it_past_its_capacity() {
        // The limiter report intake uses, keyed as it is: a reporter of each address.
        let cap = REPORTERS_REMEMBERED;
        let limiter: BoundedLimiter<Reporter> = bounded_limiter(quota(20), cap);
        let mut most = 0;
        for i in 0..1_000_000u32 {
            // Half IPv4, half IPv6 addresses of distinct /64s.
            let addr = if i % 2 == 0 {
                IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i))
            } else {
                IpAddr::V6(Ipv6Addr::from(
                    (0x2001_0db8_u128 << 96) | (u128::from(i) << 64) | 1,
                ))
            };
            assert!(
                limiter.check_key(&reporter_key(addr)).is_ok(),
                "a newcomer is admitted"
            );
            if i % 1_000 == 0 {
                most = most.max(limiter.len());
            }
        }
        most = most.max(limiter.len());
        assert!(most <= cap, "{most} reporters kept, capacity {cap}");
        assert!(
            limiter.len() >= cap / 2,
            "it still remembers the recent ones"
        );
    }

    #[test]
    fn a_busy_key_stays_limited_while_others_come_and_go() {
        let limiter: BoundedLimiter<u32> = bounded_limiter(quota(3), SHARDS * 4);
        let flooder = u32::MAX;
        let admitted = (0..3)
            .filter(|_| limiter.check_key(&flooder).is_ok())
            .count();
        assert_eq!(admitted, 3);
        for other in 0..10_000 {
            let _ = limiter.check_key(&other);
            // The flooder keeps sending, so it is never the least recently used of its shard.
            assert!(limiter.check_key(&flooder).is_err(), "after {other} others");
        }
    }

    #[test]
    fn quiet_keys_are_forgotten_by_the_housekeeping() {
        let limiter: BoundedLimiter<u32> = bounded_limiter(quota(1_000_000), 1_000);
        for k in 0..100 {
            let _ = limiter.check_key(&k);
        }
        assert_eq!(limiter.len(), 100);
        std::thread::sleep(std::time::Duration::from_millis(5));
        limiter.retain_recent();
        assert_eq!(limiter.len(), 0);
    }
}
