use std::collections::BTreeSet;

use super::analysis::{Mode, Obligation, Pair, check, minimal_conflicts, token_modes};
use super::*;

fn same(a: usize, b: usize) -> Pair {
    Pair::new(a, b, true)
}

#[test]
fn bank_needs_exactly_withdraw_against_withdraw() {
    let model = bank::BankModel::default();
    assert_eq!(
        minimal_conflicts(&model),
        BTreeSet::from([same(bank::WITHDRAW, bank::WITHDRAW)])
    );
    let weaker = check(&model, &BTreeSet::new());
    let f = &weaker.failures[&(Obligation::Stability, same(bank::WITHDRAW, bank::WITHDRAW))];
    // The counter-example: both withdrawals see enough money, together not.
    assert_eq!(f.op.kind, bank::WITHDRAW);
    assert!(f.state[f.op.object] >= f.op.args[0]);
    assert!(f.after[0][f.op.object] < f.op.args[0]);
}

#[test]
fn auction_needs_bid_against_close_and_close_against_close() {
    let model = auction::AuctionModel::default();
    let minimal = minimal_conflicts(&model);
    assert_eq!(
        minimal,
        BTreeSet::from([
            same(auction::BID, auction::CLOSE),
            same(auction::CLOSE, auction::CLOSE)
        ])
    );
    assert!(check(&model, &minimal).failures.is_empty());
    // Without close ⋈ close, two closes that captured different winners
    // do not commute and one's "open" is not stable under the other.
    let weaker = check(
        &model,
        &BTreeSet::from([same(auction::BID, auction::CLOSE)]),
    );
    let pair = same(auction::CLOSE, auction::CLOSE);
    assert!(weaker.failures.contains_key(&(Obligation::Stability, pair)));
    assert!(
        weaker
            .failures
            .contains_key(&(Obligation::Commutativity, pair))
    );
    assert_eq!(weaker.failing_pairs(), BTreeSet::from([pair]));
}

#[test]
fn registry_needs_enroll_against_remove_and_add_against_remove() {
    let model = registry::RegistryModel::default();
    let minimal = minimal_conflicts(&model);
    let enroll_remove = same(registry::ENROLL, registry::REMOVE);
    let add_remove = same(registry::ADD, registry::REMOVE);
    assert_eq!(minimal, BTreeSet::from([enroll_remove, add_remove]));
    let weaker = check(&model, &BTreeSet::from([enroll_remove]));
    assert!(
        weaker
            .failures
            .contains_key(&(Obligation::Commutativity, add_remove)),
        "add and remove of one course do not commute"
    );
    let weaker = check(&model, &BTreeSet::from([add_remove]));
    assert!(
        weaker
            .failures
            .contains_key(&(Obligation::Stability, enroll_remove))
    );
}

#[test]
fn operations_on_different_objects_never_conflict() {
    for name in ["bank", "auction", "registry"] {
        let minimal = analysed_conflicts(name).unwrap_or_default();
        assert!(!minimal.is_empty(), "{name}");
        assert!(minimal.iter().all(|p| p.same_object), "{name}: {minimal:?}");
    }
}

#[test]
fn a_given_assignment_is_verified_with_a_counter_example() {
    let enough = analyze("bank", Some("withdraw:withdraw")).unwrap();
    assert!(enough.enough, "{}", enough.text);
    let weak = analyze("bank", Some("deposit:withdraw")).unwrap();
    assert!(!weak.enough);
    assert!(weak.text.contains("NOT enough"), "{}", weak.text);
    assert!(weak.text.contains("stability: withdraw("), "{}", weak.text);
    let weak = analyze("auction", Some("bid:close")).unwrap();
    assert!(!weak.enough, "{}", weak.text);
    assert!(analyze("bank", Some("withdraw-withdraw")).is_err());
    assert!(analyze("bank", Some("withdraw:borrow")).is_err());
    assert!(analyze("casino", None).is_err());
}

#[test]
fn tokens_realise_the_relation_as_shared_and_exclusive_modes() {
    let k = |name| {
        let minimal = analysed_conflicts(name).unwrap_or_default();
        token_modes(kinds(name).map_or(0, <[_]>::len), &minimal)
    };
    assert_eq!(k("bank"), [None, Some(Mode::Exclusive)]);
    assert_eq!(k("auction"), [Some(Mode::Shared), Some(Mode::Exclusive)]);
    assert_eq!(
        k("registry"),
        [
            Some(Mode::Shared),
            Some(Mode::Shared),
            Some(Mode::Exclusive)
        ]
    );
    // Of two shared kinds that must be ordered, one becomes exclusive.
    let modes = token_modes(2, &BTreeSet::from([same(0, 1)]));
    assert_eq!(modes, [Some(Mode::Shared), Some(Mode::Exclusive)]);
}

mod runtime {
    use impls::{Op, OpResult, Value};

    use super::super::audit::{Effect, final_violations};
    use super::super::encoding::{App, Pick, encode, payload};
    use super::super::{InvariantSpec, Invariants, bank};
    use crate::Workload;

    fn bank(withdraw_only: bool) -> Invariants {
        let mut spec = InvariantSpec {
            lanes: 3,
            initial_balance: 10,
            ..InvariantSpec::default()
        };
        if withdraw_only {
            spec.mix.insert("deposit".into(), 0.0);
        }
        Invariants::new(App::Bank, spec, 3, 5).expect("a valid spec")
    }

    fn read(payloads: &[i64]) -> OpResult {
        OpResult::Txn(
            payloads
                .iter()
                .enumerate()
                .map(|(i, &p)| encode(i as u64 + 1, p))
                .collect(),
        )
    }

    #[test]
    fn values_carry_a_unique_tag_and_a_payload() {
        let v = encode(77, -5);
        assert_eq!((v.tag(), payload(&v)), (77, -5));
        assert_eq!(payload(&Value::tagged(3, 8)), 0, "the initial value");
    }

    #[test]
    fn a_withdrawal_writes_its_own_counter_only_if_the_balance_it_read_suffices() {
        let w = bank(true);
        let plan = w.workflow(0);
        let pick = w.pick(0);
        assert_eq!(pick.kind, bank::WITHDRAW);
        let planned = &plan.functions[1].ops[0];
        let Op::Write(key, planned_value) = planned else {
            panic!("the second function writes");
        };
        // Counters: deposits of 3 lanes, then withdrawals of 3 lanes.
        let lane = plan.functions[1].node as u64;
        assert_eq!(*key, 3 + lane);
        let rich = [0, 0, 0, 0, 0, 0];
        match w.decide(&plan, &[read(&rich)], planned) {
            Some(Op::Write(k, v)) => {
                assert_eq!(k, *key);
                assert_eq!(v.tag(), planned_value.tag(), "the planned tag is kept");
                assert_eq!(payload(&v), pick.arg);
            }
            other => panic!("expected a write, got {other:?}"),
        }
        // Everything already withdrawn: the precondition fails, no effect.
        let broke = [0, 0, 0, 4, 3, 3];
        assert_eq!(
            w.decide(&plan, &[read(&broke)], planned),
            Some(Op::Read(*key))
        );
        let (violations, effect) = w.observe(&plan, &[read(&broke)]);
        assert!(violations.is_empty());
        assert_eq!(effect, None);
        let overdrawn = [0, 0, 0, 9, 9, 0];
        let (violations, _) = w.observe(&plan, &[read(&overdrawn)]);
        assert_eq!(violations.len(), 1, "a negative balance was read");
    }

    #[test]
    fn the_final_state_lists_each_overdraft_with_the_withdrawals_involved() {
        let e = |workflow, kind, arg| Effect {
            workflow,
            pick: Pick {
                kind,
                object: 0,
                arg,
            },
        };
        let effects = [
            e(1, bank::WITHDRAW, 6),
            e(2, bank::WITHDRAW, 6),
            e(3, bank::DEPOSIT, 5),
            e(4, bank::WITHDRAW, 2),
        ];
        let v = final_violations(App::Bank, 10, &effects);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].workflows, vec![1, 2]);
        assert!(final_violations(App::Bank, 12, &effects).is_empty());
    }

    #[test]
    fn every_counter_writer_holds_its_counter_and_conflicting_kinds_the_object() {
        let w = bank(false);
        for i in 0..50 {
            let plan = w.workflow(i);
            let tokens = w.tokens(&plan);
            let written = plan.functions[1].ops[0].writes()[0].0;
            assert_eq!(tokens[0].token, written);
            let withdrawal = w.pick(i).kind == bank::WITHDRAW;
            assert_eq!(tokens.len(), 1 + usize::from(withdrawal), "workflow {i}");
            assert!(tokens.windows(2).all(|t| t[0].token < t[1].token));
        }
    }

    #[test]
    fn auction_and_registry_decide_from_what_they_read() {
        let spec = InvariantSpec {
            lanes: 3,
            ..InvariantSpec::default()
        };
        let app = App::Auction;
        let close = Pick {
            kind: super::super::auction::CLOSE,
            object: 0,
            arg: 0,
        };
        // Status open, highest bids 4, 9, 2: the close captures 9.
        assert_eq!(app.decide(&spec, close, 0, &[0, 4, 9, 2]), Some(10));
        assert_eq!(app.decide(&spec, close, 0, &[10, 4, 9, 2]), None);
        assert!(app.broken(&spec, &[10, 4, 9, 2]).is_none());
        assert!(
            app.broken(&spec, &[10, 4, 11, 2]).is_some(),
            "a bid above the winner"
        );
        let app = App::Registry;
        let remove = Pick {
            kind: super::super::registry::REMOVE,
            object: 0,
            arg: 0,
        };
        assert_eq!(app.decide(&spec, remove, 0, &[0, 0, 0]), Some(2));
        assert_eq!(
            app.decide(&spec, remove, 0, &[0, 1, 0]),
            None,
            "someone is enrolled"
        );
        assert!(app.broken(&spec, &[2, 1, 0]).is_some());
    }
}
