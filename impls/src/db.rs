//! The messages a cache node exchanges with the backing database. Every
//! backend (the emulated store, Redis, a simulated store) answers these, so a
//! design runs unchanged against any of them.

use serde::{Deserialize, Serialize};

use crate::version::{Deps, Key, NodeId, Register, Value, Version};

/// A node's correlation id for a request; the reply carries it back.
pub type DbRequestId = u64;

/// A timestamp of the multi-version store's hybrid logical clock, in
/// microseconds (FaaSTCC, baselines §2.2).
pub type Ts = u64;

/// A write transaction of the multi-version store: its coordinating node and
/// that node's sequence number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct TxnId {
    pub node: NodeId,
    pub seq: u64,
}

/// A version as the multi-version store hands it out: the newest version of
/// its key at every instant of `[ts, promise]` (baselines §2.2).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PromisedVersion {
    pub key: Key,
    /// Left out when the reader said it already holds the version at `ts`.
    pub value: Option<Value>,
    pub ts: Ts,
    pub promise: Ts,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum DbRequest {
    /// Read a key's current register (`None` if never written).
    Get { id: DbRequestId, key: Key },
    /// Causal write: merge the version into the key's register (clock join,
    /// last-writer-wins with the tie-break), as the prototype's proxy does.
    /// `deps` (empty for designs that keep them elsewhere) merge as in
    /// HydroCache's lattice: a dominating version brings its own, concurrent
    /// ones join, a dominated one changes nothing.
    Merge {
        id: DbRequestId,
        key: Key,
        version: Version,
        deps: Deps,
    },
    /// Plain overwrite, for designs that keep no clocks (a Redis SET).
    Set {
        id: DbRequestId,
        key: Key,
        value: Value,
    },
    /// Receive a [`DbReply::Notify`] for every later write.
    Subscribe,
    /// Multi-version read (FaaSTCC ReadAt): each key's newest version at
    /// `snapshot`, clamped to the store's stable time (`Ts::MAX` reads at the
    /// visible time), with its promise. A key comes with the timestamp of the
    /// version the reader caches, if any, so an unchanged one travels without
    /// its value. The clock first moves past `last_seen`.
    ReadAt {
        id: DbRequestId,
        keys: Vec<(Key, Option<Ts>)>,
        snapshot: Ts,
        last_seen: Ts,
    },
    /// Two-phase commit, phase one: hold the writes as pending and answer a
    /// prepare timestamp above `last_seen`.
    Prepare {
        id: DbRequestId,
        txn: TxnId,
        writes: Vec<(Key, Value)>,
        last_seen: Ts,
    },
    /// Two-phase commit, phase two: the prepared transaction commits at `ts`.
    /// No reply: its versions show up in the [`DbReply::Visible`] stream.
    Commit { txn: TxnId, ts: Ts },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum DbReply {
    Got {
        id: DbRequestId,
        key: Key,
        register: Option<Register>,
        deps: Deps,
    },
    /// The write with this id is applied.
    Written { id: DbRequestId, key: Key },
    /// A key changed: its register after the write (the notification stream).
    Notify {
        key: Key,
        register: Register,
        deps: Deps,
    },
    /// Answer to [`DbRequest::ReadAt`], in the order of its keys.
    VersionsAt {
        id: DbRequestId,
        versions: Vec<PromisedVersion>,
    },
    /// Answer to [`DbRequest::Prepare`].
    Prepared { id: DbRequestId, txn: TxnId, ts: Ts },
    /// A committed version became visible in the multi-version store; sent to
    /// every subscriber (its update stream).
    Visible { version: PromisedVersion },
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
                DbRequest::ReadAt { keys, .. } => 16 + 16 * keys.len(),
                DbRequest::Prepare { writes, .. } => {
                    24 + writes.iter().map(|(_, v)| 8 + v.len()).sum::<usize>()
                }
                DbRequest::Commit { .. } => 24,
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
