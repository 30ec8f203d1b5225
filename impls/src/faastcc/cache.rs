//! A FaaSTCC cache: one version per key (baselines §2.3).

use std::collections::HashMap;

use crate::db::Ts;
use crate::version::{Key, Value};

use super::Interval;

/// A cached version: the newest of its key at every instant of
/// `[ts, promise]`. The artifact has no promises; its entries keep
/// `promise == ts` and never consult it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    pub ts: Ts,
    pub promise: Ts,
}

impl Entry {
    /// The entry as a read's answer: its value and when it is the newest.
    pub fn into_read(self) -> (Value, Interval) {
        (self.value, Interval::new(self.ts, self.promise))
    }
}

#[derive(Default)]
pub struct Cache {
    entries: HashMap<Key, Entry>,
}

impl Cache {
    pub fn get(&self, key: Key) -> Option<&Entry> {
        self.entries.get(&key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The LWW-pair merge (§2.3): a version at least as new takes over (with
    /// its value, when it carries one), and the promise only grows. An older
    /// one changes nothing. A key not held is added only when `fill`.
    pub fn merge(&mut self, key: Key, value: Option<Value>, ts: Ts, promise: Ts, fill: bool) {
        match (self.entries.get_mut(&key), value) {
            (Some(e), value) if ts >= e.ts => {
                match value {
                    Some(v) => e.value = v,
                    // Without a value only the same version can be confirmed.
                    None if ts > e.ts => return,
                    None => {}
                }
                e.ts = ts;
                e.promise = e.promise.max(promise);
            }
            (None, Some(value)) if fill => {
                self.entries.insert(key, Entry { value, ts, promise });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(c: &Cache) -> Option<(u64, Ts, Ts)> {
        c.get(1).map(|e| (e.value.tag(), e.ts, e.promise))
    }

    #[test]
    fn lww_pair_merge_keeps_the_newest_version_and_the_longest_promise() {
        let mut c = Cache::default();
        c.merge(1, Some(Value::tagged(1, 8)), 10, 20, false);
        assert_eq!(tags(&c), None, "a key not held is added only when filling");
        c.merge(1, Some(Value::tagged(1, 8)), 10, 20, true);
        c.merge(1, None, 10, 15, false);
        assert_eq!(
            tags(&c),
            Some((1, 10, 20)),
            "a shorter promise of the same version"
        );
        c.merge(1, None, 10, 30, false);
        assert_eq!(tags(&c), Some((1, 10, 30)), "confirmed without a value");
        c.merge(1, None, 40, 50, false);
        assert_eq!(
            tags(&c),
            Some((1, 10, 30)),
            "a newer version needs its value"
        );
        c.merge(1, Some(Value::tagged(2, 8)), 40, 50, false);
        assert_eq!(tags(&c), Some((2, 40, 50)));
        c.merge(1, Some(Value::tagged(1, 8)), 10, 60, false);
        assert_eq!(
            tags(&c),
            Some((2, 40, 50)),
            "an older version changes nothing"
        );
    }
}
