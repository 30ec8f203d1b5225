//! The messages a cache node exchanges with the backing database. Every
//! backend (the emulated store, Redis, a simulated store) answers these, so a
//! design runs unchanged against any of them.

use serde::{Deserialize, Serialize};

use crate::version::{Key, Register, Value, Version};

/// A node's correlation id for a request; the reply carries it back.
pub type DbRequestId = u64;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum DbRequest {
    /// Read a key's current register (`None` if never written).
    Get { id: DbRequestId, key: Key },
    /// Causal write: merge the version into the key's register (clock join,
    /// last-writer-wins with the tie-break), as the prototype's proxy does.
    Merge {
        id: DbRequestId,
        key: Key,
        version: Version,
    },
    /// Plain overwrite, for designs that keep no clocks (a Redis SET).
    Set {
        id: DbRequestId,
        key: Key,
        value: Value,
    },
    /// Receive a [`DbReply::Notify`] for every later write.
    Subscribe,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum DbReply {
    Got {
        id: DbRequestId,
        key: Key,
        register: Option<Register>,
    },
    /// The write with this id is applied.
    Written { id: DbRequestId, key: Key },
    /// A key changed: its register after the write (the notification stream).
    Notify { key: Key, register: Register },
}

impl DbRequest {
    /// Bytes on the wire, for the service-time and bandwidth models.
    pub fn encoded_bytes(&self) -> usize {
        const HEADER: usize = 16;
        HEADER
            + match self {
                DbRequest::Merge { version, .. } => {
                    version.value.len() + version.vc.encoded_bytes()
                }
                DbRequest::Set { value, .. } => value.len(),
                DbRequest::Get { .. } | DbRequest::Subscribe => 0,
            }
    }
}

/// Requests a node has sent to the database and what each is waiting to do
/// when its reply comes back.
#[derive(Debug)]
pub struct DbRequests<T> {
    next: DbRequestId,
    waiting: std::collections::HashMap<DbRequestId, T>,
}

impl<T> Default for DbRequests<T> {
    fn default() -> Self {
        DbRequests {
            next: 0,
            waiting: std::collections::HashMap::new(),
        }
    }
}

impl<T> DbRequests<T> {
    /// A fresh id whose reply will hand `waiter` back.
    pub fn issue(&mut self, waiter: T) -> DbRequestId {
        self.next += 1;
        self.waiting.insert(self.next, waiter);
        self.next
    }

    pub fn complete(&mut self, id: DbRequestId) -> Option<T> {
        self.waiting.remove(&id)
    }

    pub fn in_flight(&self) -> usize {
        self.waiting.len()
    }
}
