//! The database as a server, shared by both runtimes: one request at a time,
//! each taking the latency profile's `db_service` (plus a slow-db fault's
//! extra), so requests queue when it is busy. Over a real backend (Redis)
//! the time the backend actually took replaces the sampled service time.

use impls::db::{DbReply, DbRequest};
use impls::{Cluster, Key, Micros, NodeId};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::links::{Links, link_delay};
use crate::emulated_db::EmulatedDb;
use crate::faults::{Faults, LinkClass};
use crate::latency::LatencyProfile;
use crate::recorder::Window;
use crate::rows::{MemoryRows, RowStore};

pub struct DbServer<R: RowStore = MemoryRows> {
    pub db: EmulatedDb<R>,
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
    /// Reads the real clock when the backend takes real time.
    real_clock: Option<Box<dyn Fn() -> Micros + Send>>,
}

impl DbServer<MemoryRows> {
    /// The server over the in-memory rows.
    pub fn new(
        cluster: &Cluster,
        latency: LatencyProfile,
        faults: Faults,
        window: Window,
        rng: Xoshiro256PlusPlus,
    ) -> DbServer {
        let db = EmulatedDb::preloaded(cluster.keys, cluster.servers, cluster.value_size)
            .keeping_deps(cluster.options.hydrocache_keep_deps);
        DbServer::over(db, None, latency, faults, window, rng)
    }
}

/// What a database server leaves when its run is over.
pub struct DbOutcome {
    pub reads: u64,
    pub writes: u64,
    /// Whether the write of a key with a value tag reached the database.
    pub holds_write: Box<dyn Fn(Key, u64) -> bool + Send>,
}

impl<R: RowStore> DbServer<R> {
    pub fn finish(self) -> DbOutcome {
        let db = self.db;
        DbOutcome {
            reads: self.reads,
            writes: self.writes,
            holds_write: Box::new(move |key, tag| db.holds_write(key, tag)),
        }
    }

    /// The server over `db`; with `real_clock`, service times are the time
    /// the backend took by that clock.
    pub fn over(
        db: EmulatedDb<R>,
        real_clock: Option<Box<dyn Fn() -> Micros + Send>>,
        latency: LatencyProfile,
        faults: Faults,
        window: Window,
        rng: Xoshiro256PlusPlus,
    ) -> DbServer<R> {
        DbServer {
            db,
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
            real_clock,
        }
    }

    /// Serves `req` from node `from`, arrived at `now`; `send` gets each
    /// reply with its arrival time at the node it goes to. A backend error
    /// leaves the request unanswered and is returned.
    pub fn serve(
        &mut self,
        now: Micros,
        from: NodeId,
        req: DbRequest,
        mut send: impl FnMut(Micros, NodeId, DbReply),
    ) -> Result<(), R::Error> {
        let (latency, faults) = (&self.latency, &self.faults);
        let (r0, w0) = (self.db.reads, self.db.writes);
        let began = self.real_clock.as_ref().map(|clock| clock());
        self.db.handle(now, from, req, &mut self.replies)?;
        // An unavailable database serves nothing until it is back.
        let start = self.busy_until.max(faults.db_available_from(now));
        let took = match (&self.real_clock, began) {
            (Some(clock), Some(began)) => clock().saturating_sub(began),
            _ => latency.db_service.sample(&mut self.rng),
        };
        let service = took + faults.db_extra(now, &mut self.rng);
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
        Ok(())
    }
}
