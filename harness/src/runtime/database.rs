//! The emulated database as a server, shared by both runtimes: one request
//! at a time, each taking the latency profile's `db_service` (plus a slow-db
//! fault's extra), so requests queue when it is busy.

use impls::db::{DbReply, DbRequest};
use impls::{Cluster, Micros, NodeId};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::links::{Links, link_delay};
use crate::emulated_db::EmulatedDb;
use crate::faults::{Faults, LinkClass};
use crate::latency::LatencyProfile;
use crate::recorder::Window;

pub struct DbServer {
    pub db: EmulatedDb,
    rng: Xoshiro256PlusPlus,
    links: Links,
    busy_until: Micros,
    /// Reads and writes that arrived during the measurement window.
    pub reads: u64,
    pub writes: u64,
    /// Service time spent on requests that arrived in the window.
    pub busy_us: Micros,
    replies: Vec<(NodeId, DbReply)>,
    latency: LatencyProfile,
    faults: Faults,
    window: Window,
}

impl DbServer {
    pub fn new(
        cluster: &Cluster,
        latency: LatencyProfile,
        faults: Faults,
        window: Window,
        rng: Xoshiro256PlusPlus,
    ) -> DbServer {
        DbServer {
            db: EmulatedDb::preloaded(cluster.keys, cluster.servers, cluster.value_size),
            rng,
            links: Links::default(),
            busy_until: 0,
            reads: 0,
            writes: 0,
            busy_us: 0,
            replies: Vec::new(),
            latency,
            faults,
            window,
        }
    }

    /// Serves `req` from node `from`, arrived at `now`; `send` gets each
    /// reply with its arrival time at the node it goes to.
    pub fn serve(
        &mut self,
        now: Micros,
        from: NodeId,
        req: DbRequest,
        mut send: impl FnMut(Micros, NodeId, DbReply),
    ) {
        let (latency, faults) = (&self.latency, &self.faults);
        let (r0, w0) = (self.db.reads, self.db.writes);
        self.db.handle(now, from, req, &mut self.replies);
        // An unavailable database serves nothing until it is back.
        let start = self.busy_until.max(faults.db_available_from(now));
        let service =
            latency.db_service.sample(&mut self.rng) + faults.db_extra(now, &mut self.rng);
        self.busy_until = start + service;
        if self.window.contains(now) {
            self.reads += self.db.reads - r0;
            self.writes += self.db.writes - w0;
            self.busy_us += service;
        }
        let done = self.busy_until;
        for (to, reply) in self.replies.drain(..) {
            let delay = link_delay(latency, faults, LinkClass::NodeDb, done, &mut self.rng);
            send(self.links.schedule(to, done, delay), to, reply);
        }
    }
}
