//! Invariant checks of a run: on the state every committed workflow read,
//! and on the final state, which is every committed operation's effect
//! applied in the order the workflows completed (what the database holds
//! when counters merge by adding up, as a replicated counter does).

use std::collections::BTreeMap;

use super::encoding::{App, Pick};
use super::{auction, bank, registry};

/// A committed operation that changed the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    pub workflow: u64,
    pub pick: Pick,
}

/// A broken invariant and the workflows (operations) involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub what: String,
    pub workflows: Vec<u64>,
}

/// The final state's violations, effects in completion order.
pub fn final_violations(app: App, initial_balance: i64, effects: &[Effect]) -> Vec<Violation> {
    let mut by_object: BTreeMap<u64, Vec<Effect>> = BTreeMap::new();
    for e in effects {
        by_object.entry(e.pick.object).or_default().push(*e);
    }
    let mut out = Vec::new();
    for (object, effects) in by_object {
        match app {
            App::Bank => bank_violations(object, initial_balance, &effects, &mut out),
            App::Auction => auction_violations(object, &effects, &mut out),
            App::Registry => registry_violations(object, &effects, &mut out),
        }
    }
    out
}

/// Every withdrawal after which the account is overdrawn, with the
/// withdrawal before it (typically the concurrent one it did not see).
fn bank_violations(account: u64, initial: i64, effects: &[Effect], out: &mut Vec<Violation>) {
    let mut balance = initial;
    let mut last_withdrawal = None;
    for e in effects {
        if e.pick.kind == bank::DEPOSIT {
            balance += e.pick.arg;
            continue;
        }
        balance -= e.pick.arg;
        if balance < 0 {
            out.push(Violation {
                what: format!(
                    "account {account} overdrawn to {balance} by a withdrawal of {}",
                    e.pick.arg
                ),
                workflows: last_withdrawal.into_iter().chain([e.workflow]).collect(),
            });
        }
        last_withdrawal = Some(e.workflow);
    }
}

/// Every accepted bid above a close's winner (placed after, or concurrently
/// with, the close), and every pair of closes that chose different winners.
fn auction_violations(lot: u64, effects: &[Effect], out: &mut Vec<Violation>) {
    let closes: Vec<&Effect> = effects
        .iter()
        .filter(|e| e.pick.kind == auction::CLOSE)
        .collect();
    for close in &closes {
        for bid in effects.iter().filter(|e| e.pick.kind == auction::BID) {
            if bid.pick.arg > close.pick.arg {
                out.push(Violation {
                    what: format!(
                        "auction {lot} closed with winner {} but a bid of {} was accepted",
                        close.pick.arg, bid.pick.arg
                    ),
                    workflows: vec![close.workflow, bid.workflow],
                });
            }
        }
    }
    for (i, a) in closes.iter().enumerate() {
        for b in &closes[i + 1..] {
            if a.pick.arg != b.pick.arg {
                out.push(Violation {
                    what: format!(
                        "auction {lot} closed twice with winners {} and {}",
                        a.pick.arg, b.pick.arg
                    ),
                    workflows: vec![a.workflow, b.workflow],
                });
            }
        }
    }
}

/// Every enrolment in a course that is removed at the end.
fn registry_violations(course: u64, effects: &[Effect], out: &mut Vec<Violation>) {
    let mut removed_by = None;
    let mut enrolled: BTreeMap<i64, u64> = BTreeMap::new();
    for e in effects {
        match e.pick.kind {
            registry::ENROLL => {
                enrolled.entry(e.pick.arg).or_insert(e.workflow);
            }
            registry::ADD => removed_by = None,
            _ => removed_by = Some(e.workflow),
        }
    }
    if let Some(remove) = removed_by {
        for (student, enroll) in enrolled {
            out.push(Violation {
                what: format!("student {student} enrolled in course {course}, which was removed"),
                workflows: vec![enroll, remove],
            });
        }
    }
}
