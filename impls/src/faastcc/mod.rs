//! FaaSTCC (baselines §2): transactional causal consistency for a workflow
//! through snapshot intervals. A workflow carries an interval `[lo, hi]` of
//! instants at which everything it has read is the newest version; each read
//! narrows it. Two variants share one server and one client:
//!
//! - `faastcc`, as published: the cache keeps per key a version with a
//!   storage promise, reads what it cannot serve inside the interval from
//!   multi-version storage at a snapshot inside it (so it never aborts), and
//!   the last function commits the workflow's writes by two-phase commit
//!   above everything read.
//! - `faastcc-cm`, as the CausalMesh artifact ran it (causalmesh.md §13.3):
//!   one timestamped version per key refreshed from the update stream, no
//!   promises, no storage fallback; a read whose cached version lies outside
//!   the interval aborts the workflow, and writes go straight to the
//!   database. The artifact's server echoes the interval it is sent, so the
//!   interval never narrows and the check never fires; the
//!   `faastcc_cm_narrow` option narrows it by each version read instead.

mod cache;
mod client;
mod server;
pub mod storage;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use client::{FaasClient, FaasContext};
pub use server::FaasServer;

use crate::db::Ts;
use crate::design::{Cluster, Design, MessageKind, WireSize};
use crate::version::{Key, NodeId, Value};

/// Which FaaSTCC a server runs; everything that differs hangs off this.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Variant {
    /// Promises, storage fallback, 2PC commits (baselines §2).
    Published,
    /// Timestamps only, abort instead of fallback, direct writes (§13.3).
    Artifact,
}

/// A set of instants, `lo..=hi`; empty when `lo > hi`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Interval {
    pub lo: Ts,
    pub hi: Ts,
}

impl Interval {
    /// Where every workflow starts (§2.5: `[0, ∞)`).
    pub const ALL: Interval = Interval { lo: 0, hi: Ts::MAX };

    pub fn new(lo: Ts, hi: Ts) -> Interval {
        Interval { lo, hi }
    }

    pub fn contains(self, t: Ts) -> bool {
        self.lo <= t && t <= self.hi
    }

    pub fn is_empty(self) -> bool {
        self.lo > self.hi
    }

    pub fn intersect(self, other: Interval) -> Interval {
        Interval::new(self.lo.max(other.lo), self.hi.min(other.hi))
    }

    /// The newest instant the workflow may have read at: what storage must
    /// move its clock past so that the workflow's commit lands after all its
    /// reads (§2.7). `lo` while `hi` is still unbounded.
    pub fn last_seen(self) -> Ts {
        if self.hi == Ts::MAX { self.lo } else { self.hi }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    /// A function's read of `keys` at its cache, inside the workflow's
    /// interval (§2.4).
    Read { keys: Vec<Key>, interval: Interval },
    /// Per key read, in order: the value and the instants at which it is
    /// the key's newest version, which the client intersects into its
    /// interval.
    ReadReply {
        reads: Vec<(Value, Interval)>,
        from_storage: bool,
    },
    /// Artifact: a cached version lay outside the interval.
    Abort,
    /// The last function's buffered writes; `last_seen` as in
    /// [`Interval::last_seen`].
    Commit {
        writes: Vec<(Key, Value)>,
        last_seen: Ts,
    },
    /// The writes are handed over: to a 2PC in progress (published, which
    /// answers at once, §2.7) or written to the database (artifact).
    Committed { waited_for_db: bool },
}

impl WireSize for Msg {
    fn encoded_bytes(&self) -> usize {
        const HEADER: usize = 16;
        HEADER
            + match self {
                Msg::Read { keys, .. } => 8 * keys.len() + 16,
                Msg::ReadReply { reads, .. } => {
                    1 + reads.iter().map(|(v, _)| v.len() + 16).sum::<usize>()
                }
                Msg::Abort => 0,
                Msg::Commit { writes, .. } => {
                    8 + writes.iter().map(|(_, v)| 8 + v.len()).sum::<usize>()
                }
                Msg::Committed { .. } => 1,
            }
    }
}

impl MessageKind for Msg {
    const KINDS: &'static [&'static str] = &["read", "read_reply", "abort", "commit", "committed"];

    fn kind_index(&self) -> usize {
        match self {
            Msg::Read { .. } => 0,
            Msg::ReadReply { .. } => 1,
            Msg::Abort => 2,
            Msg::Commit { .. } => 3,
            Msg::Committed { .. } => 4,
        }
    }
}

/// FaaSTCC as published (baselines §2).
pub struct FaasTcc;

impl Design for FaasTcc {
    const NAME: &'static str = "faastcc";
    const CAUSAL: bool = true;
    const ABOUT: &'static str = "transactional causal consistency through snapshot intervals and storage promises; misses read multi-version storage, 2PC commits";

    type Msg = Msg;
    type Server = FaasServer;
    type Client = FaasClient;

    fn server(id: NodeId, cluster: &Cluster) -> FaasServer {
        FaasServer::new(id, cluster, Variant::Published)
    }
}

/// FaaSTCC as the CausalMesh artifact ran it (causalmesh.md §13.3). It
/// claims TCC, but without promises its check can bound versions from below
/// only (and, as the artifact ran it, not at all), so it misses anomalies
/// that the published protocol rules out: the history checker finds them.
/// It is marked not causal for that reason; with `faastcc_cm_narrow` it is
/// causal but aborts most workflows.
pub struct FaasTccCm;

impl Design for FaasTccCm {
    const NAME: &'static str = "faastcc-cm";
    const CAUSAL: bool = false;
    const ABORT_FREE: bool = false;
    const ABOUT: &'static str = "FaaSTCC as the CausalMesh artifact ran it: one timestamp per key, no promises, no storage fallback, direct writes; its interval never narrows, so it claims TCC but shows anomalies (causal, aborting most workflows, with faastcc_cm_narrow)";

    type Msg = Msg;
    type Server = FaasServer;
    type Client = FaasClient;

    fn server(id: NodeId, cluster: &Cluster) -> FaasServer {
        FaasServer::new(id, cluster, Variant::Artifact)
    }
}
