//! A HydroCache cache node: cut maintenance from the database's stream
//! (§1.3), pinned snapshots (§1.4), the conservative and optimistic
//! preparations (§1.5, §1.6; causalmesh.md §13), reads and writes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::marker::PhantomData;

use crate::clock::VectorClock;
use crate::db::{DbReply, DbRequest, DbRequests};
use crate::design::{ClientId, Cluster, Micros, Outbox, Peer, ServerNode};
use crate::version::{Deps, Key, NodeId, Register, Value, Version};

use super::cut::{CausalCut, Resolver};
use super::lattice::{KeyVersion, deps_without};
use super::optimistic::{self, FetchFrom, Rules};
use super::snapshot::{Holder, Snapshot};
use super::variant::Variant;
use super::{Fetch, Flavor, Msg, Prepare};

/// Why the node asked the database.
#[derive(Clone, Copy, Debug)]
enum DbPurpose {
    /// A dependency a closure lacks (§1.3).
    Dependency,
    /// A key the artifact's stream named (§13.1).
    Refresh,
    /// A key the cut must cover before a parked request can pin.
    Floor,
    Write,
}

/// A preparation waiting for peers' versions.
struct Pending {
    client: Peer,
    outstanding: usize,
    failed: bool,
    /// R of an optimistic prepare, which fetched versions must fit; empty
    /// for key shipping, whose versions the scheduler agreed on (§1.5).
    read: Deps,
    /// What the client gets once every fetch is in.
    reply: Msg,
}

/// A request that pins snapshots: it waits until the cut covers its floor
/// (`HydroContext::floor`).
enum Pin {
    Query {
        workflow: ClientId,
        holders: Vec<(Holder, Vec<Key>)>,
        full_read_set: Vec<Key>,
        floor: Deps,
    },
    Prepare(Prepare),
}

impl Pin {
    fn workflow(&self) -> ClientId {
        match self {
            Pin::Query { workflow, .. } => *workflow,
            Pin::Prepare(p) => p.workflow,
        }
    }

    fn floor(&self) -> &Deps {
        match self {
            Pin::Query { floor, .. } => floor,
            Pin::Prepare(p) => &p.floor,
        }
    }
}

/// A pinning request whose floor the cut does not cover yet.
struct Parked {
    from: Peer,
    pin: Pin,
}

pub struct HydroServer<F> {
    id: NodeId,
    servers: usize,
    variant: Variant,
    resolver: Resolver,
    /// Ordered so that a workflow's clean-up removes its range, not a scan
    /// of every workflow in flight.
    snapshots: BTreeMap<(ClientId, Holder), Snapshot>,
    pending: HashMap<ClientId, Pending>,
    db: DbRequests<DbPurpose>,
    /// What a key never written holds.
    initial: Register,
    /// Keys the stream named since the last batch (artifact).
    notified: BTreeSet<Key>,
    /// This node's write counter: its component of the clocks it stamps.
    stamp: u32,
    /// Requests waiting for the cut to cover their floor, in arrival order.
    parked: Vec<Parked>,
    /// Keys with a floor GET to the database in flight.
    floor_gets: BTreeSet<Key>,
    remote_fetches: u64,
    _flavor: PhantomData<fn() -> F>,
}

impl<F: Flavor> HydroServer<F> {
    pub fn new(id: NodeId, cluster: &Cluster) -> HydroServer<F> {
        HydroServer {
            id,
            servers: cluster.servers,
            variant: F::VARIANT,
            resolver: Resolver::new(
                CausalCut::preloaded(cluster.servers, cluster.keys, cluster.value_size),
                cluster.options.hydrocache_keep_deps,
            ),
            snapshots: BTreeMap::new(),
            pending: HashMap::new(),
            db: DbRequests::default(),
            initial: Register::initial(cluster.servers, cluster.value_size),
            notified: BTreeSet::new(),
            stamp: 0,
            parked: Vec::new(),
            floor_gets: BTreeSet::new(),
            remote_fetches: 0,
            _flavor: PhantomData,
        }
    }

    pub fn cut(&self) -> &CausalCut {
        &self.resolver.cut
    }

    pub fn is_preparing(&self, key: Key) -> bool {
        self.resolver.is_preparing(key)
    }

    pub fn snapshots(&self) -> usize {
        self.snapshots.len()
    }

    /// A version query or prepare runs once the cut covers its floor;
    /// until then it waits, and the keys the cut lacks are fetched from the
    /// database (the floor was read from cuts the database fed, so it holds
    /// them) and installed with their closures.
    fn pin_when_covered(&mut self, parked: Parked, out: &mut Outbox<Msg>) {
        let lacking: Vec<Key> = parked
            .pin
            .floor()
            .iter()
            .filter(|(k, need)| !self.resolver.cut.covers(*k, need))
            .map(|(k, _)| k)
            .collect();
        if lacking.is_empty() {
            self.pin(parked.from, parked.pin, out);
            return;
        }
        let gets = lacking
            .into_iter()
            .filter(|&k| self.floor_gets.insert(k))
            .collect();
        self.get(gets, DbPurpose::Floor, out);
        self.parked.push(parked);
    }

    /// Runs every parked request whose floor the cut now covers.
    fn unpark(&mut self, out: &mut Outbox<Msg>) {
        for parked in std::mem::take(&mut self.parked) {
            self.pin_when_covered(parked, out);
        }
    }

    fn pin(&mut self, from: Peer, pin: Pin, out: &mut Outbox<Msg>) {
        match pin {
            Pin::Query {
                workflow,
                holders,
                full_read_set,
                ..
            } => {
                let reply = self.version_query(workflow, holders, &full_read_set);
                out.send(from, reply);
            }
            Pin::Prepare(req) => self.prepare(from, req, out),
        }
    }

    /// Version query / Prepare1: pin each snapshot and report its chains.
    fn version_query(
        &mut self,
        workflow: ClientId,
        holders: Vec<(Holder, Vec<Key>)>,
        full: &[Key],
    ) -> Msg {
        let mut replies = Vec::new();
        for (holder, reads) in holders {
            let snapshot = Snapshot::pin(&self.resolver.cut, &reads, full);
            let chains = reads
                .iter()
                .map(|&k| (k, snapshot.chain_clocks(k)))
                .collect();
            self.snapshots.insert((workflow, holder), snapshot);
            replies.push((holder, chains));
        }
        Msg::Chains { holders: replies }
    }

    /// The optimistic check (§1.6 / §13.2) on a fresh snapshot; fetches
    /// follow. A later prepare for the same holder replaces its snapshot,
    /// after local fetches have read the old one.
    fn prepare(&mut self, client: Peer, req: Prepare, out: &mut Outbox<Msg>) {
        let Prepare {
            workflow,
            holder,
            reads,
            full_read_set,
            read,
            frontier,
            parent,
            floor: _,
        } = req;
        let mut snapshot = Snapshot::pin(&self.resolver.cut, &reads, &full_read_set);
        let rules = Rules {
            fetch_from: if self.variant.fetches_from_parent_only() {
                FetchFrom::Parent(parent)
            } else {
                FetchFrom::Holders
            },
            cascade: self.variant.cascades_drops(),
        };
        let Some(plan) = optimistic::check(&snapshot, &reads, &read, &frontier, &rules) else {
            out.send(client, Msg::Aborted);
            return;
        };
        for &key in &plan.dropped {
            snapshot.drop_local(key);
        }
        let chains = snapshot.local_chains(&reads).into_iter().collect();
        let (local, remote): (Vec<Fetch>, Vec<Fetch>) =
            plan.fetches.into_iter().partition(|f| f.node == self.id);
        let mut failed = false;
        for f in local {
            match self.serve(workflow, &f) {
                Some(v) if optimistic::fits(&read, f.key, &v) => snapshot.add_fetched(f.key, &v),
                _ => failed = true,
            }
        }
        self.snapshots.insert((workflow, holder), snapshot);
        let fetches = remote.into_iter().map(|f| (holder, f)).collect();
        let pending = Pending {
            client,
            outstanding: 0,
            failed,
            read,
            reply: Msg::Prepared { chains },
        };
        self.start_fetches(workflow, fetches, pending, out);
    }

    /// ServerRead: a version of one of this node's snapshots, if it is at
    /// least the one the fetcher needs. Peers fetch a function's pinned
    /// version (§1.5 step 5, §1.6); the artifact's one snapshot per node has
    /// its own fetches merged in (§13.1), so peers get the merged version.
    fn serve(&self, workflow: ClientId, fetch: &Fetch) -> Option<KeyVersion> {
        let snapshot = self.snapshots.get(&(workflow, fetch.holder))?;
        let version = match fetch.holder {
            Holder::Function(_) => snapshot.pinned(fetch.key).cloned(),
            Holder::Node => snapshot.view(fetch.key),
        };
        version.filter(|v| v.covers(&fetch.need))
    }

    /// Asks peers for versions of their snapshots; the client gets the
    /// pending reply (or [`Msg::Aborted`] if a version was missing or did not
    /// fit R) when all are in. Fetches from this node's own snapshots
    /// complete at once.
    fn start_fetches(
        &mut self,
        workflow: ClientId,
        fetches: Vec<(Holder, Fetch)>,
        mut pending: Pending,
        out: &mut Outbox<Msg>,
    ) {
        for (for_holder, f) in fetches {
            if f.node == self.id {
                let served = self.serve(workflow, &f);
                let ok =
                    self.receive_fetched(workflow, for_holder, f.key, served, &pending.read, out);
                pending.failed |= !ok;
            } else {
                pending.outstanding += 1;
                self.remote_fetches += 1;
                out.send(
                    Peer::Node(f.node),
                    Msg::ServerRead {
                        workflow,
                        fetch: f,
                        for_holder,
                    },
                );
            }
        }
        if pending.outstanding == 0 {
            Self::answer(pending, out);
        } else {
            self.pending.insert(workflow, pending);
        }
    }

    /// Joins a fetched version into the view (and, as §1.6 does, into the
    /// unmerged store); false if the peer had none or it does not fit R.
    fn receive_fetched(
        &mut self,
        workflow: ClientId,
        for_holder: Holder,
        key: Key,
        served: Option<KeyVersion>,
        read: &Deps,
        out: &mut Outbox<Msg>,
    ) -> bool {
        let (Some(version), Some(snapshot)) =
            (served, self.snapshots.get_mut(&(workflow, for_holder)))
        else {
            return false;
        };
        if !optimistic::fits(read, key, &version) {
            return false;
        }
        snapshot.add_fetched(key, &version);
        let mut gets = Vec::new();
        self.resolver.arrive(key, &version, &mut gets);
        self.get(gets, DbPurpose::Dependency, out);
        true
    }

    fn answer(pending: Pending, out: &mut Outbox<Msg>) {
        let reply = if pending.failed {
            Msg::Aborted
        } else {
            pending.reply
        };
        out.send(pending.client, reply);
    }

    fn read(&self, workflow: ClientId, holder: Holder, keys: &[Key]) -> Msg {
        let snapshot = self.snapshots.get(&(workflow, holder));
        let versions = keys
            .iter()
            .map(|&k| snapshot?.view(k).map(|v| (v.register.value, v.register.vc)))
            .collect();
        Msg::ReadReply { versions }
    }

    /// A write (§1.8, §13.1 ClientWrite): the clock is the join of every
    /// version the workflow read with this node's component advanced past
    /// its write counter. The issuing node's server id is the writer
    /// component, so clocks stay N wide and dense; the counter keeps two
    /// writes from one node distinct even when they read the same versions.
    /// Returns the clock the writes carry.
    fn commit(
        &mut self,
        writes: Vec<(Key, Value)>,
        deps: &Deps,
        out: &mut Outbox<Msg>,
    ) -> VectorClock {
        let mut counters = deps.joined_clock(self.servers).counters().to_vec();
        if let Some(own) = counters.get_mut(self.id) {
            self.stamp = self.stamp.max(*own) + 1;
            *own = self.stamp;
        }
        let vc = VectorClock::from_counters(&counters);
        // Each write depends on the workflow's earlier ones (`writes` is in
        // program order): a reader of a later write gets the earlier ones
        // with it. HydroCache's sink wrote a single key, so the paper needs
        // no rule for this; mutual dependencies would make the cut wait on
        // itself.
        let mut deps = deps.clone();
        for (key, value) in writes {
            let id = self.db.issue(DbPurpose::Write);
            out.to_db(DbRequest::Merge {
                id,
                key,
                version: Version {
                    value,
                    vc: vc.clone(),
                },
                deps: deps_without(&deps, key),
            });
            deps.add(key, &vc);
        }
        vc
    }

    /// GETs to the database; dependency GETs count as remote fetches.
    fn get(&mut self, keys: Vec<Key>, purpose: DbPurpose, out: &mut Outbox<Msg>) {
        for key in keys {
            if matches!(purpose, DbPurpose::Dependency) {
                self.remote_fetches += 1;
            }
            let id = self.db.issue(purpose);
            out.to_db(DbRequest::Get { id, key });
        }
    }

    /// A fetched version arrived from a peer.
    fn server_read_reply(
        &mut self,
        workflow: ClientId,
        for_holder: Holder,
        key: Key,
        served: Option<KeyVersion>,
        out: &mut Outbox<Msg>,
    ) {
        let Some(read) = self.pending.get(&workflow).map(|p| p.read.clone()) else {
            return;
        };
        let ok = self.receive_fetched(workflow, for_holder, key, served, &read, out);
        let Some(pending) = self.pending.get_mut(&workflow) else {
            return;
        };
        pending.failed |= !ok;
        pending.outstanding = pending.outstanding.saturating_sub(1);
        if pending.outstanding == 0
            && let Some(pending) = self.pending.remove(&workflow)
        {
            Self::answer(pending, out);
        }
    }
}

impl<F: Flavor> ServerNode for HydroServer<F> {
    type Msg = Msg;

    /// Subscribes to the database's notification stream (§1.3, §10).
    fn on_start(&mut self, _now: Micros, out: &mut Outbox<Msg>) {
        out.to_db(DbRequest::Subscribe);
    }

    fn on_message(&mut self, _now: Micros, from: Peer, msg: Msg, out: &mut Outbox<Msg>) {
        match msg {
            Msg::VersionQuery {
                workflow,
                holders,
                full_read_set,
                floor,
            } => {
                let pin = Pin::Query {
                    workflow,
                    holders,
                    full_read_set,
                    floor,
                };
                self.pin_when_covered(Parked { from, pin }, out);
            }
            Msg::Prepare(req) => {
                let pin = Pin::Prepare(req);
                self.pin_when_covered(Parked { from, pin }, out);
            }
            Msg::KeyShipping { workflow, fetches } => {
                let fetches = fetches
                    .into_iter()
                    .flat_map(|(holder, list)| list.into_iter().map(move |f| (holder, f)))
                    .collect();
                let pending = Pending {
                    client: from,
                    outstanding: 0,
                    failed: false,
                    read: Deps::new(),
                    reply: Msg::Shipped,
                };
                self.start_fetches(workflow, fetches, pending, out);
            }
            Msg::ServerRead {
                workflow,
                fetch,
                for_holder,
            } => {
                let version = self.serve(workflow, &fetch);
                out.send(
                    from,
                    Msg::ServerReadReply {
                        workflow,
                        for_holder,
                        key: fetch.key,
                        version,
                    },
                );
            }
            Msg::ServerReadReply {
                workflow,
                for_holder,
                key,
                version,
            } => self.server_read_reply(workflow, for_holder, key, version, out),
            Msg::Read {
                workflow,
                holder,
                keys,
            } => {
                let reply = self.read(workflow, holder, &keys);
                out.send(from, reply);
            }
            Msg::Commit { writes, deps, ack } => {
                let vc = self.commit(writes, &deps, out);
                if ack {
                    out.send(from, Msg::Committed { vc });
                }
            }
            Msg::CleanUp { workflow } => {
                let held = (workflow, Holder::Function(0))..=(workflow, Holder::Node);
                self.snapshots.extract_if(held, |_, _| true).for_each(drop);
                self.pending.remove(&workflow);
                self.parked.retain(|p| p.pin.workflow() != workflow);
            }
            // Replies travel to clients only; a misrouted one carries nothing to do.
            Msg::Chains { .. }
            | Msg::Shipped
            | Msg::Prepared { .. }
            | Msg::Aborted
            | Msg::ReadReply { .. }
            | Msg::Committed { .. } => {}
        }
    }

    fn on_db_reply(&mut self, _now: Micros, reply: DbReply, out: &mut Outbox<Msg>) {
        let mut gets = Vec::new();
        match reply {
            DbReply::Got {
                id,
                key,
                register,
                deps,
            } => {
                let version =
                    KeyVersion::new(register.unwrap_or_else(|| self.initial.clone()), deps);
                match self.db.complete(id) {
                    Some(DbPurpose::Dependency) => self.resolver.fetched(key, &version, &mut gets),
                    Some(purpose @ (DbPurpose::Refresh | DbPurpose::Floor)) => {
                        // The artifact's resolver installs each notified key
                        // as it arrives; a floor key is installed at once too.
                        if matches!(purpose, DbPurpose::Floor) {
                            self.floor_gets.remove(&key);
                        }
                        self.resolver.arrive(key, &version, &mut gets);
                        self.resolver.try_install(key, &mut gets);
                    }
                    Some(DbPurpose::Write) | None => {}
                }
            }
            DbReply::Written { id, .. } => {
                self.db.complete(id);
            }
            DbReply::Notify {
                key,
                register,
                deps,
            } => {
                if self.variant.notifications_name_keys_only() {
                    self.notified.insert(key);
                } else {
                    self.resolver
                        .arrive(key, &KeyVersion::new(register, deps), &mut gets);
                }
            }
            // The multi-version store's replies answer FaaSTCC's requests only.
            DbReply::VersionsAt { .. } | DbReply::Prepared { .. } | DbReply::Visible { .. } => {}
        }
        self.get(gets, DbPurpose::Dependency, out);
        self.unpark(out);
    }

    fn tick_interval(&self) -> Option<Micros> {
        Some(self.variant.cut_interval())
    }

    /// Periodic migration (§1.3), and the artifact's notification batch.
    fn on_tick(&mut self, _now: Micros, out: &mut Outbox<Msg>) {
        let notified: Vec<Key> = std::mem::take(&mut self.notified).into_iter().collect();
        self.get(notified, DbPurpose::Refresh, out);
        let mut gets = Vec::new();
        self.resolver.migrate(&mut gets);
        self.get(gets, DbPurpose::Dependency, out);
        self.unpark(out);
    }

    fn metadata_bytes(&self) -> u64 {
        self.resolver.metadata_bytes()
            + self
                .snapshots
                .values()
                .map(Snapshot::metadata_bytes)
                .sum::<u64>()
    }

    fn remote_fetches(&self) -> u64 {
        self.remote_fetches
    }
}
