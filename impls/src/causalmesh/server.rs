//! A CausalMesh cache server: ClientRead, ClientWrite, ring propagation and
//! dependency integration (reference §5, model B).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::VectorClock;
use crate::db::{DbReply, DbRequest};
use crate::design::{Cluster, Micros, Outbox, Peer, ServerNode};
use crate::version::{Deps, Key, NodeId, Register, Value, Version};

use super::caches::{ConsistentCache, InconsistentCache};
use super::meta::Meta;
use super::multiversion::Multiversion;
use super::{Lap, Mode, Msg};

/// Where a clock integration needs comes from: the caller, or a pulled
/// version's dependency on the key.
enum Source<'a> {
    Given(&'a VectorClock),
    DepOf(Arc<Meta>),
}

impl Source<'_> {
    fn clock(&self, key: Key) -> Option<&VectorClock> {
        match self {
            Source::Given(vc) => Some(vc),
            Source::DepOf(m) => m.deps.get(key),
        }
    }
}

pub struct CausalMeshServer {
    id: NodeId,
    servers: usize,
    /// The server's own clock.
    gvc: VectorClock,
    ccache: ConsistentCache,
    icache: InconsistentCache,
    /// CausalMesh-TCC's bounded version history; `None` for CausalMesh.
    versions: Option<Multiversion>,
    next_db_request: u64,
}

/// What a read needs from the C-cache: the newest value (CausalMesh), or a
/// version compatible with the transaction's reads (CausalMesh-TCC).
pub enum ReadAnswer {
    Values(Vec<Register>),
    /// No kept version fits the transaction's snapshot.
    Abort,
}

impl CausalMeshServer {
    pub fn new(id: NodeId, cluster: &Cluster, mode: Mode) -> CausalMeshServer {
        CausalMeshServer {
            id,
            servers: cluster.servers,
            gvc: VectorClock::zero(cluster.servers),
            ccache: ConsistentCache::preloaded(cluster.servers, cluster.keys, cluster.value_size),
            icache: InconsistentCache::default(),
            versions: match mode {
                Mode::Causal => None,
                Mode::Transactional => Some(Multiversion::new(
                    cluster.options.tcc_versions,
                    cluster.servers,
                )),
            },
            next_db_request: 0,
        }
    }

    /// The ring successor; links to it must be reliable and FIFO (§2).
    pub fn successor(&self) -> NodeId {
        (self.id + 1) % self.servers
    }

    /// The tail of a write is the predecessor of its head: the last server
    /// its laps reach.
    fn is_tail_of(&self, head: NodeId) -> bool {
        self.successor() == head
    }

    pub fn consistent(&self, key: Key) -> &Register {
        self.ccache.get(key)
    }

    pub fn holds_inconsistent(&self, key: Key, vc: &VectorClock) -> bool {
        self.icache.contains(key, vc)
    }

    /// ClientRead and the read-only transaction (§5.5, §7): integrate the
    /// client's dependencies, then read every key from the C-cache at one
    /// instant, which is a causal cut, so the values form a causal snapshot.
    /// Never blocks, never asks another server. In TCC mode the dependencies
    /// are the transaction's reads, and each key gets the newest kept version
    /// compatible with them (§8), or the transaction aborts.
    pub fn read(&mut self, keys: &[Key], deps: &Deps) -> ReadAnswer {
        let needs: Vec<(Key, &VectorClock)> = deps.iter().collect();
        self.integrate(&needs);
        let Some(versions) = &self.versions else {
            let values = keys.iter().map(|&k| self.ccache.get(k).clone()).collect();
            return ReadAnswer::Values(values);
        };
        let mut chosen: Vec<(Key, VectorClock)> = Vec::new();
        let mut values = Vec::with_capacity(keys.len());
        for &k in keys {
            let reads: Vec<(Key, &VectorClock)> = deps
                .iter()
                .chain(chosen.iter().map(|(k, vc)| (*k, vc)))
                .collect();
            // The client answers re-reads itself, so each key is new here.
            let Some(reg) = versions.choose(k, self.ccache.get(k), &reads) else {
                return ReadAnswer::Abort;
            };
            chosen.push((k, reg.vc.clone()));
            values.push(reg);
        }
        ReadAnswer::Values(values)
    }

    /// ClientWrite at the head (§5.2): assigns the writes one clock, keeps
    /// them (and the client's earlier writes) in the I-cache, writes them
    /// behind to the database and starts their first lap. Replies without
    /// waiting. Several writes of one transaction share the clock and depend
    /// on each other, so integrating any of them pulls in all: they become
    /// visible together.
    pub fn client_write(
        &mut self,
        writes: Vec<(Key, Value)>,
        mut deps: Deps,
        local: Vec<Meta>,
        out: &mut Outbox<Msg>,
    ) -> VectorClock {
        for (_, vc) in deps.iter() {
            self.gvc.merge(vc);
        }
        // The client's own earlier writes become dependencies (code), and
        // their clocks join the server clock (model B). Their own deps are
        // already in the client's deps, which only grow.
        for m in &local {
            self.gvc.merge(&m.version.vc);
            deps.add(m.key, &m.version.vc);
        }
        self.gvc.increment(self.id);
        let vc = self.gvc.clone();
        for (k, _) in &writes {
            deps.add(*k, &vc);
        }
        let batch: Vec<Arc<Meta>> = writes
            .into_iter()
            .map(|(key, value)| {
                Arc::new(Meta {
                    key,
                    head: self.id,
                    version: Version {
                        value,
                        vc: vc.clone(),
                    },
                    deps: deps.clone(),
                })
            })
            .collect();
        for m in local {
            self.keep_inconsistent(Arc::new(m));
        }
        for w in &batch {
            self.keep_inconsistent(Arc::clone(w));
            // Written behind without dependencies, as the prototype does.
            out.to_db(DbRequest::Merge {
                id: self.db_request_id(),
                key: w.key,
                version: w.version.clone(),
                deps: Deps::new(),
            });
        }
        out.send(
            Peer::Node(self.successor()),
            Msg::Propagate {
                bytes: batch.iter().map(|m| m.encoded_bytes()).sum(),
                writes: batch,
                head: self.id,
                lap: Lap::First,
            },
        );
        vc
    }

    /// ServerWrite (§5.3): the first lap fills every I-cache; the tail
    /// integrates at the end of the second lap.
    pub fn propagate(
        &mut self,
        writes: Vec<Arc<Meta>>,
        head: NodeId,
        lap: Lap,
        bytes: usize,
        out: &mut Outbox<Msg>,
    ) {
        let tail = self.is_tail_of(head);
        if lap == Lap::First {
            for w in &writes {
                self.keep_inconsistent(Arc::clone(w));
            }
        }
        match (tail, lap) {
            (false, lap) => self.forward(
                Msg::Propagate {
                    writes,
                    head,
                    lap,
                    bytes,
                },
                out,
            ),
            (true, Lap::First) => self.forward(
                Msg::Propagate {
                    writes,
                    head,
                    lap: Lap::Second,
                    bytes,
                },
                out,
            ),
            (true, Lap::Second) => {
                // Integrating the writes' own clocks pulls them out of the
                // I-cache together with their dependencies.
                let mut needs = Vec::new();
                for w in &writes {
                    self.gvc.merge(&w.version.vc);
                    needs.extend(w.deps.iter());
                    needs.push((w.key, &w.version.vc));
                }
                self.integrate(&needs);
            }
        }
    }

    fn forward(&self, msg: Msg, out: &mut Outbox<Msg>) {
        out.send(Peer::Node(self.successor()), msg);
    }

    /// Adds a version to the I-cache unless the C-cache already reflects it:
    /// a version at or below a C-cache clock is dominated by a version that
    /// was integrated with its causal past, so keeping it would only grow
    /// the I-cache.
    fn keep_inconsistent(&mut self, meta: Arc<Meta>) {
        if let Some(versions) = &mut self.versions {
            versions.received(meta.key, meta.head, &meta.version.vc);
        }
        if !self.ccache.covers(meta.key, &meta.version.vc) {
            self.icache.add(meta);
        }
    }

    /// Integrate (§5.4): pulls every I-cache version at or below each needed
    /// clock, transitively through their dependencies, and merges them into
    /// the C-cache at once, so the C-cache stays a causal cut.
    ///
    /// A depth-first walk: the dependencies of pulled versions are visited
    /// before the remaining `needs`, last pushed first (CausalMesh-TCC's
    /// history records versions in this order). A pulled version's
    /// dependencies are named by the shared version, not copied. A need at
    /// or below a clock its key was already taken at in this walk is
    /// skipped: that take removed everything it could find, and nothing
    /// enters the I-cache meanwhile (a tail's needs are its writes' deps,
    /// which the pulled writes name again).
    pub fn integrate(&mut self, needs: &[(Key, &VectorClock)]) {
        let mut todo: BTreeMap<Key, Register> = BTreeMap::new();
        let mut pending = needs.iter().rev();
        let mut deps_of_pulled: Vec<(Key, Arc<Meta>)> = Vec::new();
        let mut pulled: Vec<Arc<Meta>> = Vec::new();
        let mut taken_at: Vec<(Key, Source)> = Vec::new();
        loop {
            let (key, source) = match deps_of_pulled.pop() {
                Some((key, m)) => (key, Source::DepOf(m)),
                None => match pending.next() {
                    Some(&(key, need)) => (key, Source::Given(need)),
                    None => break,
                },
            };
            let Some(need) = source.clock(key) else {
                continue;
            };
            let repeated = taken_at
                .iter()
                .any(|(k, at)| *k == key && at.clock(key).is_some_and(|c| need.leq(c)));
            if repeated {
                continue;
            }
            let versions = self.icache.take_at_or_below(key, need);
            taken_at.push((key, source));
            for m in versions {
                deps_of_pulled.extend(m.deps.iter().map(|(k, _)| (k, Arc::clone(&m))));
                if let Some(history) = &mut self.versions {
                    // The C-cache entry changes only after the pull.
                    history.record(key, self.ccache.get(key), &m.version);
                }
                todo.entry(key)
                    .and_modify(|r| r.merge_version(&m.version))
                    .or_insert_with(|| Register::new(m.version.clone()));
                if cfg!(debug_assertions) {
                    pulled.push(m);
                }
            }
        }
        for (key, reg) in &todo {
            self.ccache.merge(*key, reg);
        }
        self.debug_assert_causal_cut(needs, &pulled);
    }

    /// Definition 1 (the C-cache is a causal cut), checked on what just
    /// entered it, and the model's UponReadsDepsAreMet: after integration the
    /// C-cache alone covers everything that was needed.
    fn debug_assert_causal_cut(&self, needs: &[(Key, &VectorClock)], pulled: &[Arc<Meta>]) {
        if !cfg!(debug_assertions) {
            return;
        }
        for (key, need) in needs {
            debug_assert!(
                self.ccache.covers(*key, need),
                "server {}: need {key}@{need:?} not covered after integration (C-cache has {:?})",
                self.id,
                self.ccache.get(*key).vc
            );
        }
        for (key, vc) in pulled.iter().flat_map(|m| m.deps.iter()) {
            debug_assert!(
                self.ccache.covers(key, vc),
                "server {}: C-cache is not a causal cut: dependency {key}@{vc:?} missing",
                self.id
            );
        }
    }

    fn db_request_id(&mut self) -> u64 {
        self.next_db_request += 1;
        self.next_db_request
    }
}

impl ServerNode for CausalMeshServer {
    type Msg = Msg;

    fn on_message(&mut self, _now: Micros, from: Peer, msg: Msg, out: &mut Outbox<Msg>) {
        match msg {
            Msg::Read { keys, deps } => {
                let reply = match self.read(&keys, &deps) {
                    ReadAnswer::Values(values) => Msg::ReadReply { values },
                    ReadAnswer::Abort => Msg::Abort,
                };
                out.send(from, reply);
            }
            Msg::Write {
                writes,
                deps,
                local,
            } => {
                let vc = self.client_write(writes, deps, local, out);
                out.send(from, Msg::WriteReply { vc });
            }
            Msg::Propagate {
                writes,
                head,
                lap,
                bytes,
            } => self.propagate(writes, head, lap, bytes, out),
            // Replies travel to clients only; a misrouted one carries nothing to do.
            Msg::ReadReply { .. } | Msg::WriteReply { .. } | Msg::Abort => {}
        }
    }

    /// The write-behind acknowledgements need no action: the client was
    /// answered when its write reached the head.
    fn on_db_reply(&mut self, _now: Micros, _reply: DbReply, _out: &mut Outbox<Msg>) {}

    fn metadata_bytes(&self) -> u64 {
        let history = self
            .versions
            .as_ref()
            .map_or(0, Multiversion::metadata_bytes);
        self.gvc.encoded_bytes() as u64
            + self.ccache.metadata_bytes()
            + self.icache.metadata_bytes()
            + history
    }
}
