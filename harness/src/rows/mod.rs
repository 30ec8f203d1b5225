//! Where the database server keeps its rows: each key's register and, for
//! designs that store them with the value (HydroCache), its dependencies.
//! The server's semantics (the prototype's causal proxy, reference §10) sit
//! above this; the rows live in memory (the embedded default) or in a real
//! Redis.

mod redis;

use std::collections::HashMap;
use std::convert::Infallible;

use impls::{Deps, Key, Register, Registers};
use serde::{Deserialize, Serialize};

pub use self::redis::RedisRows;

/// One key's row.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Row {
    pub register: Register,
    pub deps: Deps,
}

/// A real backend failed; the run reports it and stops instead of
/// acknowledging a write that was not stored.
#[derive(Debug, thiserror::Error)]
#[error("database backend: {0}")]
pub struct StoreError(pub String);

pub trait RowStore: Send + 'static {
    /// `Infallible` for rows in memory, so the simulator has no error path.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The key's row; a key never written holds the preloaded initial value.
    fn load(&mut self, key: Key) -> Result<Row, Self::Error>;

    fn store(&mut self, key: Key, row: &Row) -> Result<(), Self::Error>;
}

/// Rows in memory, every key of the key space preloaded.
pub struct MemoryRows {
    registers: Registers,
    deps: HashMap<Key, Deps>,
}

impl MemoryRows {
    pub fn preloaded(keys: u64, servers: usize, value_size: usize) -> MemoryRows {
        MemoryRows {
            registers: Registers::preloaded(servers, keys, value_size),
            deps: HashMap::new(),
        }
    }
}

impl RowStore for MemoryRows {
    type Error = Infallible;

    fn load(&mut self, key: Key) -> Result<Row, Infallible> {
        Ok(Row {
            register: self.registers.get(key).clone(),
            deps: self.deps.get(&key).cloned().unwrap_or_default(),
        })
    }

    fn store(&mut self, key: Key, row: &Row) -> Result<(), Infallible> {
        *self.registers.get_mut(key) = row.register.clone();
        if row.deps.is_empty() {
            self.deps.remove(&key);
        } else {
            self.deps.insert(key, row.deps.clone());
        }
        Ok(())
    }
}
