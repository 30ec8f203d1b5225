//! The auction (consistency-choices.md §3.2): place a bid, close the
//! auction; no bid is accepted after the close, and the winner is the
//! highest bid.

use super::model::{Instance, Model, Step};

pub const BID: usize = 0;
pub const CLOSE: usize = 1;
pub const KINDS: &[&str] = &["bid", "close"];

/// One auction's state: open or closed, the set of accepted bid amounts
/// (bit `v` for amount `v`), and the winning amount (0: none).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Lot {
    pub open: bool,
    pub bids: u8,
    pub winner: i64,
}

impl Lot {
    pub fn highest(&self) -> i64 {
        (0..8)
            .rev()
            .find(|v| self.bids & (1 << v) != 0)
            .unwrap_or(0)
    }

    /// The invariant: an open auction has no winner; a closed one's winner
    /// is its highest bid, so no accepted bid exceeds it.
    pub fn sound(&self) -> bool {
        if self.open {
            self.winner == 0
        } else {
            self.winner == self.highest()
        }
    }
}

/// Auctions with bids `1..=max_bid`. A close captures the highest bid it
/// sees at its origin as its argument (the winner it writes); its
/// precondition says the auction is open and that is the highest bid.
pub struct AuctionModel {
    pub auctions: usize,
    pub max_bid: i64,
}

impl Default for AuctionModel {
    fn default() -> Self {
        AuctionModel {
            auctions: 2,
            max_bid: 3,
        }
    }
}

impl Model for AuctionModel {
    type State = Vec<Lot>;

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn states(&self) -> Vec<Vec<Lot>> {
        let mut lots = Vec::new();
        for open in [true, false] {
            for bids in 0..(1u8 << (self.max_bid + 1)) {
                if bids & 1 != 0 {
                    continue;
                }
                for winner in 0..=self.max_bid {
                    lots.push(Lot { open, bids, winner });
                }
            }
        }
        let mut states = vec![Vec::new()];
        for _ in 0..self.auctions {
            states = states
                .into_iter()
                .flat_map(|s: Vec<Lot>| {
                    lots.iter().map(move |l| {
                        let mut s = s.clone();
                        s.push(*l);
                        s
                    })
                })
                .collect();
        }
        states
    }

    fn invariant(&self, s: &Vec<Lot>) -> bool {
        s.iter().all(Lot::sound)
    }

    fn instances(&self) -> Vec<Instance> {
        let mut out = Vec::new();
        for object in 0..self.auctions {
            for v in 1..=self.max_bid {
                out.push(Instance {
                    kind: BID,
                    object,
                    args: vec![v],
                });
            }
            for w in 0..=self.max_bid {
                out.push(Instance {
                    kind: CLOSE,
                    object,
                    args: vec![w],
                });
            }
        }
        out
    }

    fn precondition(&self, op: &Instance, s: &Vec<Lot>) -> bool {
        let lot = &s[op.object];
        lot.open && (op.kind == BID || lot.highest() == op.args[0])
    }

    fn effect(&self, op: &Instance, s: &Vec<Lot>) -> Step<Vec<Lot>> {
        let mut t = s.clone();
        let lot = &mut t[op.object];
        if op.kind == BID {
            lot.bids |= 1 << op.args[0];
        } else {
            lot.open = false;
            lot.winner = op.args[0];
        }
        Step::To(t)
    }

    fn describe(&self, op: &Instance) -> String {
        match op.kind {
            BID => format!("bid(auction {}, {})", op.object, op.args[0]),
            _ => format!("close(auction {}, winner {})", op.object, op.args[0]),
        }
    }
}
