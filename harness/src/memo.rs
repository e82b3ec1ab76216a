//! A bounded, process-wide memo of pure results, one slot per key: the first caller of a key
//! computes its value while later callers of the same key wait for it (scenarios run
//! concurrently and ask for the same seeded world, tenant entries, keys and certificates at
//! once); callers of other keys are not held up. A failed computation is not remembered, so
//! the next caller tries again.
//!
//! Used where a value is a pure function of its key and costly to make: [`crate::pki::World`]
//! per spec, the SAP-owned tenant entries, parsed certificates (`pkix`), decoded client keys
//! (the connectivity test's engine), mock-receiver's legacy server identities.

use std::sync::{Arc, Mutex, PoisonError};

/// The memo: at most `limit` keys, the oldest dropped first.
pub struct Memo<K, V> {
    limit: usize,
    slots: Mutex<Vec<(K, Slot<V>)>>,
}

type Slot<V> = Arc<Mutex<Option<V>>>;

impl<K, V> std::fmt::Debug for Memo<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slots = self.slots.lock().map_or(0, |s| s.len());
        write!(f, "Memo({slots} of at most {} keys)", self.limit)
    }
}

impl<K: PartialEq + Clone, V: Clone> Memo<K, V> {
    /// An empty memo keeping at most `limit` keys (at least one).
    pub const fn new(limit: usize) -> Self {
        Self {
            limit,
            slots: Mutex::new(Vec::new()),
        }
    }

    /// The value of `key`: remembered, or made by `make` (once, however many threads ask at
    /// the same time) and remembered when it succeeds.
    pub fn get_or_try_insert<E>(
        &self,
        key: &K,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            match slots.iter().find(|(k, _)| k == key) {
                Some((_, slot)) => slot.clone(),
                None => {
                    if slots.len() >= self.limit.max(1) {
                        slots.remove(0);
                    }
                    let slot = Slot::default();
                    slots.push((key.clone(), slot.clone()));
                    slot
                }
            }
        };
        let mut value = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = &*value {
            return Ok(value.clone());
        }
        let made = make()?;
        *value = Some(made.clone());
        Ok(made)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn each_key_is_made_once_however_many_ask_at_once() {
        let memo: Memo<u32, u32> = Memo::new(8);
        let made = AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    barrier.wait();
                    let v = memo.get_or_try_insert(&7, || {
                        made.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, ()>(49)
                    });
                    assert_eq!(v, Ok(49));
                });
            }
        });
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn failures_are_not_remembered_and_the_oldest_key_goes_first() {
        let memo: Memo<u32, u32> = Memo::new(2);
        assert_eq!(memo.get_or_try_insert(&1, || Err("no")), Err("no"));
        assert_eq!(memo.get_or_try_insert(&1, || Ok::<_, ()>(1)), Ok(1));
        assert_eq!(memo.get_or_try_insert(&2, || Ok::<_, ()>(2)), Ok(2));
        assert_eq!(memo.get_or_try_insert(&3, || Ok::<_, ()>(3)), Ok(3));
        // 1 was dropped for 3; 2 and 3 are kept.
        assert_eq!(memo.get_or_try_insert(&2, || Ok::<_, ()>(20)), Ok(2));
        assert_eq!(memo.get_or_try_insert(&1, || Ok::<_, ()>(10)), Ok(10));
    }
}
