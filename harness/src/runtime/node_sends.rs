//! The sending side of a cache node, shared by both runtimes: what a server
//! leaves in its outbox goes out over the links to nodes, clients and the
//! database, each with its sampled delay and in FIFO order.

use std::collections::HashSet;

use impls::db::DbRequest;
use impls::fasthash::FastHash;
use impls::{ClientId, Micros, NodeId, Outbox, Peer, WireSize};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::links::{Links, link_delay};
use crate::faults::{Faults, LinkClass};
use crate::latency::LatencyProfile;

/// Where a node's messages go; the runtime delivers them.
pub trait NodeNet<M> {
    /// `msg` from node `from` reaches node `to` at `at`.
    fn to_node(&mut self, at: Micros, to: NodeId, from: NodeId, msg: M);
    /// `msg` from node `from` reaches session `client` at `at`.
    fn to_client(&mut self, at: Micros, client: ClientId, from: NodeId, msg: M);
    /// `req` from node `from` reaches the database at `at`.
    fn to_db(&mut self, at: Micros, from: NodeId, req: DbRequest);
    /// The link a reply to `client` travels on (replies to the clients of
    /// one client task share it); distinct from every node id and the
    /// database's link.
    fn client_link(&self, client: ClientId) -> usize;
    /// The database's link.
    fn db_link(&self) -> usize;
    /// A protocol message of `bytes` was sent at `now`.
    fn count(&mut self, now: Micros, bytes: usize);
}

/// Past this many remote clients remembered, the oldest knowledge is dropped
/// (a late reply then takes the local link).
const REMEMBERED_CLIENTS: usize = 1 << 20;

pub struct NodeSends {
    id: NodeId,
    rng: Xoshiro256PlusPlus,
    links: Links,
    /// The clients whose latest message came from another machine: their
    /// replies cross the same network. Only these are kept (a function talks
    /// to its own node on most messages, and a map that holds only the
    /// exceptions stays small).
    remote_clients: HashSet<ClientId, FastHash>,
}

impl NodeSends {
    pub fn new(id: NodeId, rng: Xoshiro256PlusPlus) -> NodeSends {
        NodeSends {
            id,
            rng,
            links: Links::default(),
            remote_clients: HashSet::default(),
        }
    }

    pub fn remember(&mut self, client: ClientId, remote: bool) {
        if !remote {
            self.remote_clients.remove(&client);
            return;
        }
        if self.remote_clients.len() >= REMEMBERED_CLIENTS {
            self.remote_clients.clear();
        }
        self.remote_clients.insert(client);
    }

    /// Sends everything in `out`, as sent at `now`.
    pub fn flush<M: WireSize + Clone>(
        &mut self,
        latency: &LatencyProfile,
        faults: &Faults,
        net: &mut impl NodeNet<M>,
        now: Micros,
        out: &mut Outbox<M>,
    ) {
        for (to, msg) in out.sends.drain(..) {
            net.count(now, msg.encoded_bytes());
            match to {
                Peer::Node(n) => {
                    let delay =
                        link_delay(latency, faults, LinkClass::NodeNode, now, &mut self.rng);
                    // A reordering fault lets this message overtake earlier ones.
                    let at = if faults.reordering(now) {
                        now + delay
                    } else {
                        self.links.schedule(n, now, delay)
                    };
                    net.to_node(at, n, self.id, msg);
                }
                Peer::Client(client) => {
                    let remote = self.remote_clients.contains(&client);
                    let class = LinkClass::to_client(remote);
                    let delay = link_delay(latency, faults, class, now, &mut self.rng);
                    let at = self.links.schedule(net.client_link(client), now, delay);
                    net.to_client(at, client, self.id, msg);
                }
            }
        }
        for req in out.db.drain(..) {
            net.count(now, req.encoded_bytes());
            let delay = link_delay(latency, faults, LinkClass::NodeDb, now, &mut self.rng);
            let at = self.links.schedule(net.db_link(), now, delay);
            net.to_db(at, self.id, req);
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::latency::Dist;

    #[derive(Clone)]
    struct Ping;

    impl WireSize for Ping {
        fn encoded_bytes(&self) -> usize {
            1
        }
    }

    /// When each reply reached its client.
    #[derive(Default)]
    struct Replies(Vec<(ClientId, Micros)>);

    impl NodeNet<Ping> for Replies {
        fn to_node(&mut self, _: Micros, _: NodeId, _: NodeId, _: Ping) {}

        fn to_client(&mut self, at: Micros, client: ClientId, _: NodeId, _: Ping) {
            self.0.push((client, at));
        }

        fn to_db(&mut self, _: Micros, _: NodeId, _: DbRequest) {}

        fn client_link(&self, client: ClientId) -> usize {
            10 + client as usize
        }

        fn db_link(&self) -> usize {
            9
        }

        fn count(&mut self, _: Micros, _: usize) {}
    }

    #[test]
    fn replies_cross_the_network_only_to_clients_whose_latest_message_did() {
        let latency = LatencyProfile {
            client_node: Dist::constant(5),
            node_node: Dist::constant(100),
            ..LatencyProfile::zero()
        };
        let mut sends = NodeSends::new(0, Xoshiro256PlusPlus::seed_from_u64(1));
        let mut net = Replies::default();
        let mut reply = |sends: &mut NodeSends, now: Micros, client: ClientId| {
            let mut out = Outbox::default();
            out.send(Peer::Client(client), Ping);
            sends.flush(&latency, &Faults::default(), &mut net, now, &mut out);
        };
        sends.remember(1, true);
        reply(&mut sends, 0, 1);
        sends.remember(1, false);
        reply(&mut sends, 1_000, 1);
        reply(&mut sends, 2_000, 2);
        assert_eq!(net.0, vec![(1, 100), (1, 1_005), (2, 2_005)]);
    }
}
