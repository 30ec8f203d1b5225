//! A FaaSTCC cache: one version per key (baselines §2.3).

use std::collections::HashMap;

use crate::db::Ts;
use crate::version::{Key, Value};

use super::Interval;

/// A cached version: the newest of its key at every instant of
/// `[ts, promise]`. The artifact has no promises: its entries are known to be
/// current only at their own timestamp, `promise == ts`.
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    pub ts: Ts,
    pub promise: Ts,
}

impl Entry {
    pub fn validity(&self) -> Interval {
        Interval::new(self.ts, self.promise)
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
