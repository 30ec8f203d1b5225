//! A CausalMesh cache server: ClientRead, ClientWrite, ring propagation and
//! dependency integration (reference §5, model B).

use std::collections::BTreeMap;

use crate::clock::VectorClock;
use crate::db::{DbReply, DbRequest};
use crate::design::{Cluster, Micros, Outbox, Peer, ServerNode};
use crate::version::{Deps, Key, NodeId, Register, Value, Version};

use super::caches::{ConsistentCache, InconsistentCache};
use super::meta::Meta;
use super::{Lap, Msg};

pub struct CausalMeshServer {
    id: NodeId,
    servers: usize,
    /// The server's own clock.
    gvc: VectorClock,
    ccache: ConsistentCache,
    icache: InconsistentCache,
    next_db_request: u64,
}

impl CausalMeshServer {
    pub fn new(id: NodeId, cluster: &Cluster) -> CausalMeshServer {
        CausalMeshServer {
            id,
            servers: cluster.servers,
            gvc: VectorClock::zero(cluster.servers),
            ccache: ConsistentCache::preloaded(cluster.servers, cluster.keys, cluster.value_size),
            icache: InconsistentCache::default(),
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

    /// ClientRead (§5.5): never blocks, never asks another server.
    pub fn client_read(&mut self, key: Key, deps: &Deps) -> (Value, VectorClock) {
        self.integrate(deps.iter().map(|(k, vc)| (k, vc.clone())).collect());
        let reg = self.ccache.get(key);
        (reg.value.clone(), reg.vc.clone())
    }

    /// ClientWrite at the head (§5.2): assigns the write its clock, keeps it
    /// (and the client's earlier writes) in the I-cache, writes it behind to
    /// the database and starts its first lap. Replies without waiting.
    pub fn client_write(
        &mut self,
        key: Key,
        value: Value,
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
        let write = Meta {
            key,
            version: Version {
                value,
                vc: self.gvc.clone(),
            },
            deps,
        };
        for m in local {
            self.keep_inconsistent(m);
        }
        self.keep_inconsistent(write.clone());
        out.to_db(DbRequest::Merge {
            id: self.db_request_id(),
            key,
            version: write.version.clone(),
        });
        let vc = write.version.vc.clone();
        out.send(
            Peer::Node(self.successor()),
            Msg::Propagate {
                write,
                head: self.id,
                lap: Lap::First,
            },
        );
        vc
    }

    /// ServerWrite (§5.3): the first lap fills every I-cache; the tail
    /// integrates at the end of the second lap.
    pub fn propagate(&mut self, write: Meta, head: NodeId, lap: Lap, out: &mut Outbox<Msg>) {
        match (self.is_tail_of(head), lap) {
            (false, Lap::First) => {
                self.keep_inconsistent(write.clone());
                self.forward(write, head, Lap::First, out);
            }
            (false, Lap::Second) => self.forward(write, head, Lap::Second, out),
            (true, Lap::First) => {
                self.keep_inconsistent(write.clone());
                self.forward(write, head, Lap::Second, out);
            }
            (true, Lap::Second) => {
                self.gvc.merge(&write.version.vc);
                // Integrating the write's own clock pulls it out of the
                // I-cache together with its dependencies.
                let mut needs: Vec<(Key, VectorClock)> =
                    write.deps.iter().map(|(k, vc)| (k, vc.clone())).collect();
                needs.push((write.key, write.version.vc));
                self.integrate(needs);
            }
        }
    }

    fn forward(&self, write: Meta, head: NodeId, lap: Lap, out: &mut Outbox<Msg>) {
        out.send(
            Peer::Node(self.successor()),
            Msg::Propagate { write, head, lap },
        );
    }

    /// Adds a version to the I-cache unless the C-cache already reflects it:
    /// a version at or below a C-cache clock is dominated by a version that
    /// was integrated with its causal past, so keeping it would only grow
    /// the I-cache.
    fn keep_inconsistent(&mut self, meta: Meta) {
        if !self.ccache.covers(meta.key, &meta.version.vc) {
            self.icache.add(meta);
        }
    }

    /// Integrate (§5.4): pulls every I-cache version at or below each needed
    /// clock, transitively through their dependencies, and merges them into
    /// the C-cache at once, so the C-cache stays a causal cut.
    pub fn integrate(&mut self, needs: Vec<(Key, VectorClock)>) {
        let mut todo: BTreeMap<Key, Register> = BTreeMap::new();
        let mut stack = needs.clone();
        let mut pulled_deps: Vec<Deps> = Vec::new();
        while let Some((key, need)) = stack.pop() {
            for m in self.icache.take_at_or_below(key, &need) {
                stack.extend(m.deps.iter().map(|(k, vc)| (k, vc.clone())));
                todo.entry(key)
                    .and_modify(|r| r.merge_version(&m.version))
                    .or_insert_with(|| Register::new(m.version.clone()));
                if cfg!(debug_assertions) {
                    pulled_deps.push(m.deps);
                }
            }
        }
        for (key, reg) in &todo {
            self.ccache.merge(*key, reg);
        }
        self.debug_assert_causal_cut(&needs, &pulled_deps);
    }

    /// Definition 1 (the C-cache is a causal cut), checked on what just
    /// entered it, and the model's UponReadsDepsAreMet: after integration the
    /// C-cache alone covers everything that was needed.
    fn debug_assert_causal_cut(&self, needs: &[(Key, VectorClock)], pulled: &[Deps]) {
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
        for (key, vc) in pulled.iter().flat_map(Deps::iter) {
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
            Msg::Read { key, deps } => {
                let (value, vc) = self.client_read(key, &deps);
                out.send(from, Msg::ReadReply { value, vc });
            }
            Msg::Write {
                key,
                value,
                deps,
                local,
            } => {
                let vc = self.client_write(key, value, deps, local, out);
                out.send(from, Msg::WriteReply { vc });
            }
            Msg::Propagate { write, head, lap } => self.propagate(write, head, lap, out),
            // Replies travel to clients only; a misrouted one carries nothing to do.
            Msg::ReadReply { .. } | Msg::WriteReply { .. } => {}
        }
    }

    /// The write-behind acknowledgements need no action: the client was
    /// answered when its write reached the head.
    fn on_db_reply(&mut self, _now: Micros, _reply: DbReply, _out: &mut Outbox<Msg>) {}

    fn metadata_bytes(&self) -> u64 {
        self.gvc.encoded_bytes() as u64
            + self.ccache.metadata_bytes()
            + self.icache.metadata_bytes()
    }
}
