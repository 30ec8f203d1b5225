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
