//! A memo of pure functions of a text, shared by every thread of the process.
//!
//! Rules:
//! - Only for values that are a pure function of the key: a hit must be what computing again
//!   would give, so a lookup racing an insert of the same key is harmless.
//! - Bounded: when full it forgets everything at once rather than tracking recency, which is
//!   all a run of repeated snapshots needs.
//! - The lock is held for a lookup or an insert only, never while a value is computed.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

pub struct Memo<V> {
    entries: Mutex<Option<HashMap<String, V>>>,
    capacity: usize,
}

impl<V: Clone> Memo<V> {
    pub const fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(None),
            capacity,
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.as_ref()?.get(key).cloned()
    }

    pub fn insert(&self, key: String, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let map = entries.get_or_insert_with(HashMap::new);
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_full_then_forgets_everything() {
        let memo: Memo<usize> = Memo::new(2);
        assert_eq!(memo.get("a"), None);
        memo.insert("a".into(), 1);
        memo.insert("b".into(), 2);
        assert_eq!((memo.get("a"), memo.get("b")), (Some(1), Some(2)));
        memo.insert("c".into(), 3);
        assert_eq!((memo.get("a"), memo.get("b")), (None, None));
        assert_eq!(memo.get("c"), Some(3));
    }

    #[test]
    fn threads_share_what_one_of_them_learnt() {
        static SHARED: Memo<String> = Memo::new(8);
        std::thread::spawn(|| SHARED.insert("key".into(), "value".into()))
            .join()
            .unwrap();
        assert_eq!(SHARED.get("key").as_deref(), Some("value"));
    }
}
