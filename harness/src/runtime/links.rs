//! Links between actors: each sampled delay, spikes included, and per-sender
//! FIFO order, as the protocols assume (reliable FIFO channels).

use impls::Micros;
use rand::Rng;

use crate::faults::{Faults, LinkClass};
use crate::latency::LatencyProfile;

/// The delay of a message sent on `class` at `now`, spikes included.
pub fn link_delay(
    latency: &LatencyProfile,
    faults: &Faults,
    class: LinkClass,
    now: Micros,
    rng: &mut impl Rng,
) -> Micros {
    let base = match class {
        LinkClass::ClientNode => &latency.client_node,
        LinkClass::NodeNode => &latency.node_node,
        LinkClass::NodeDb => &latency.node_db,
    };
    base.sample(rng) + faults.extra_delay(class, now, rng)
}

/// Per-sender FIFO: a message never overtakes an earlier one on the same link.
/// Actors are small dense indices (nodes, the database, client tasks), so the
/// last delivery time per link sits in a vector indexed by actor.
#[derive(Default)]
pub struct Links {
    last: Vec<Micros>,
}

impl Links {
    /// Delivery time on the link to `actor` for a message sent at `now`
    /// with sampled `delay`.
    pub fn schedule(&mut self, actor: usize, now: Micros, delay: Micros) -> Micros {
        if actor >= self.last.len() {
            self.last.resize(actor + 1, 0);
        }
        let last = &mut self.last[actor];
        *last = (*last).max(now + delay);
        *last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_never_reorder() {
        let mut links = Links::default();
        assert_eq!(links.schedule(1, 100, 50), 150);
        assert_eq!(
            links.schedule(1, 110, 10),
            150,
            "a faster sample waits behind the earlier message"
        );
        assert_eq!(
            links.schedule(2, 110, 10),
            120,
            "other links are independent"
        );
    }
}
