//! How the invariant workloads keep their state on the key-value caches, so
//! that effects commute (consistency-choices.md §1.1): per object, one
//! counter per cache node for what grows (deposits, withdrawals, the highest
//! bid placed there), written only by operations running at that node, and
//! flags for what is set once (an auction's close, a course's removal, an
//! enrolment). A workflow reads the whole object in one read-only
//! transaction at its first node, checks the precondition on the state it
//! computed, and at its second node writes its own node's counter or a flag.
//! A node's counter is a replica's sequential state in the POPL model, so
//! its writers are ordered by the counter's own token (held by every
//! operation that adds to it, whatever its consistency choice): no update is
//! ever lost, and the only way to break an invariant is a missing causal
//! order between operations on different counters.
//!
//! A value is its write's unique tag (8 bytes) followed by a signed 64-bit
//! payload: a counter's running total, a flag's state.

use bytes::{BufMut, BytesMut};
use impls::Value;

use super::spec::InvariantSpec;
use super::{auction, bank, registry};

/// Bytes of every value of an invariant workload.
pub const VALUE_SIZE: usize = 16;

pub fn encode(tag: u64, payload: i64) -> Value {
    let mut b = BytesMut::with_capacity(VALUE_SIZE);
    b.put_u64_le(tag);
    b.put_i64_le(payload);
    Value::from_bytes(b.freeze())
}

/// The payload of a value; the preloaded initial value carries 0.
pub fn payload(v: &Value) -> i64 {
    v.bytes()
        .get(8..16)
        .and_then(|b| b.try_into().ok())
        .map_or(0, i64::from_le_bytes)
}

/// Which invariant workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    Bank,
    Auction,
    Registry,
}

/// What one workflow does: an operation kind on an object with an argument
/// (an amount, a bid, a student).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub kind: usize,
    pub object: u64,
    pub arg: i64,
}

/// Auction status payloads: 0 open, `CLOSED + w` closed with winner `w`.
const CLOSED: i64 = 1;
/// Registry course payloads (0, the initial value, is an existing course).
const ADDED: i64 = 1;
const REMOVED: i64 = 2;

impl App {
    pub fn name(self) -> &'static str {
        match self {
            App::Bank => "bank",
            App::Auction => "auction",
            App::Registry => "registry",
        }
    }

    pub fn kinds(self) -> &'static [&'static str] {
        match self {
            App::Bank => bank::KINDS,
            App::Auction => auction::KINDS,
            App::Registry => registry::KINDS,
        }
    }

    /// Keys per object. Bank: deposit counters, then withdrawal counters,
    /// one per lane. Auction: the status, then the highest bid per lane.
    /// Registry: the course, then one enrolment flag per student.
    pub fn span(self, spec: &InvariantSpec) -> u64 {
        match self {
            App::Bank => 2 * spec.lanes,
            App::Auction => 1 + spec.lanes,
            App::Registry => 1 + spec.students,
        }
    }

    /// The key (offset in the object) the operation writes when its second
    /// function runs on node `node`.
    pub fn target(self, spec: &InvariantSpec, pick: Pick, node: u64) -> u64 {
        match (self, pick.kind) {
            (App::Bank, bank::DEPOSIT) => node,
            (App::Bank, _) => spec.lanes + node,
            (App::Auction, auction::BID) => 1 + node,
            (App::Auction, _) => 0,
            (App::Registry, registry::ENROLL) => 1 + pick.arg as u64,
            (App::Registry, _) => 0,
        }
    }

    /// Whether the operation adds to a counter (a read-modify-write of its
    /// node's counter), as opposed to setting a flag.
    pub fn is_counter(self, kind: usize) -> bool {
        matches!((self, kind), (App::Bank, _) | (App::Auction, auction::BID))
    }

    /// The payload to write, from the object as the workflow read it
    /// (`view[offset]`), or `None` when the precondition fails there (the
    /// operation then has no effect).
    pub fn decide(
        self,
        spec: &InvariantSpec,
        pick: Pick,
        target: u64,
        view: &[i64],
    ) -> Option<i64> {
        let at = |i: u64| view.get(i as usize).copied().unwrap_or(0);
        let mine = at(target);
        match (self, pick.kind) {
            (App::Bank, bank::DEPOSIT) => Some(mine + pick.arg),
            (App::Bank, _) => (balance(spec, view) >= pick.arg).then_some(mine + pick.arg),
            (App::Auction, auction::BID) => (at(0) == 0).then_some(mine.max(pick.arg)),
            (App::Auction, _) => (at(0) == 0).then(|| CLOSED + highest_bid(view)),
            (App::Registry, registry::ENROLL) => (at(0) != REMOVED).then_some(1),
            (App::Registry, registry::ADD) => Some(ADDED),
            (App::Registry, _) => {
                (at(0) != REMOVED && view.iter().skip(1).all(|&e| e == 0)).then_some(REMOVED)
            }
        }
    }

    /// Whether the object's state as read breaks the invariant, in words.
    pub fn broken(self, spec: &InvariantSpec, view: &[i64]) -> Option<String> {
        match self {
            App::Bank => {
                let b = balance(spec, view);
                (b < 0).then(|| format!("read a negative balance {b}"))
            }
            App::Auction => {
                let status = view.first().copied().unwrap_or(0);
                let high = highest_bid(view);
                (status != 0 && status - CLOSED != high).then(|| {
                    format!(
                        "read a closed auction whose winner {} is not the highest bid {high}",
                        status - CLOSED
                    )
                })
            }
            App::Registry => {
                let enrolled = view.iter().skip(1).filter(|&&e| e != 0).count();
                (view.first() == Some(&REMOVED) && enrolled > 0)
                    .then(|| format!("read a removed course with {enrolled} enrolment(s)"))
            }
        }
    }
}

/// A bank account's balance as read: the initial balance plus every
/// deposit counter minus every withdrawal counter.
fn balance(spec: &InvariantSpec, view: &[i64]) -> i64 {
    let lanes = spec.lanes as usize;
    let deposits: i64 = view.iter().take(lanes).sum();
    let withdrawals: i64 = view.iter().skip(lanes).sum();
    spec.initial_balance + deposits - withdrawals
}

fn highest_bid(view: &[i64]) -> i64 {
    view.iter().skip(1).copied().max().unwrap_or(0).max(0)
}
