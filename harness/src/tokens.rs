//! The token service (consistency-choices.md §1.2, §5) as a pure state
//! machine, so the live runtime and the simulator drive it alike: one token
//! per object, taken shared or exclusively, granted in FIFO order. A grant
//! carries the causal context of the holders the new one must follow (the
//! last exclusive holder, and for an exclusive grant also every shared
//! holder since), joined with the design's `merge_contexts`; a release hands
//! the holder's context back. So two operations whose tokens conflict are
//! causally ordered on every design whose context carries its past.

use std::any::Any;
use std::collections::{BTreeMap, VecDeque};

use workloads::TokenRequest;

/// Who waits for or holds a token: the runtime's workflow index.
pub type Holder = u64;

/// A token handed to `holder` with the context it must start from.
#[derive(Debug, PartialEq)]
pub struct Grant<C> {
    pub holder: Holder,
    pub token: u64,
    pub ctx: C,
}

struct Token<C> {
    exclusive_held: bool,
    shared_held: u32,
    waiting: VecDeque<(Holder, bool)>,
    /// The last exclusive holder's context: it covers every earlier holder.
    last_exclusive: Option<C>,
    /// Contexts shared holders released since then, joined.
    shared_since: Option<C>,
}

impl<C> Default for Token<C> {
    fn default() -> Self {
        Token {
            exclusive_held: false,
            shared_held: 0,
            waiting: VecDeque::new(),
            last_exclusive: None,
            shared_since: None,
        }
    }
}

/// What a workflow sends the token service. The context is the design's
/// `ClientSession::Context`, boxed so that runtime messages need not name
/// the design.
pub enum TokenMsg {
    Acquire {
        workflow: Holder,
        request: TokenRequest,
    },
    Release {
        request: TokenRequest,
        ctx: Box<dyn Any + Send>,
    },
}

pub struct TokenService<C> {
    tokens: BTreeMap<u64, Token<C>>,
    merge: fn(C, C) -> C,
    /// Grants so far, and how many had to queue.
    pub granted: u64,
    pub queued: u64,
}

impl<C: Clone + Default> TokenService<C> {
    /// `merge` joins two causal contexts (`ClientSession::merge_contexts`).
    pub fn new(merge: fn(C, C) -> C) -> Self {
        TokenService {
            tokens: BTreeMap::new(),
            merge,
            granted: 0,
            queued: 0,
        }
    }

    /// Handles a message of a workflow; returns the grants it makes
    /// possible. A released context of another type (never sent by this
    /// run's clients) counts as empty.
    pub fn handle(&mut self, msg: TokenMsg) -> Vec<Grant<C>>
    where
        C: 'static,
    {
        match msg {
            TokenMsg::Acquire { workflow, request } => {
                self.acquire(request.token, workflow, request.exclusive)
            }
            TokenMsg::Release { request, ctx } => {
                let ctx = ctx.downcast::<C>().map(|c| *c).unwrap_or_default();
                self.release(request.token, request.exclusive, ctx)
            }
        }
    }

    /// `holder` asks for `token`; returns the grants this makes possible
    /// (the holder's own, unless it has to wait).
    pub fn acquire(&mut self, token: u64, holder: Holder, exclusive: bool) -> Vec<Grant<C>> {
        let t = self.tokens.entry(token).or_default();
        if !t.waiting.is_empty() || t.exclusive_held || (exclusive && t.shared_held > 0) {
            self.queued += 1;
        }
        t.waiting.push_back((holder, exclusive));
        self.grant(token)
    }

    /// A holder of `token` is done and hands back `ctx`, its causal context
    /// after its operation; returns the grants this makes possible.
    pub fn release(&mut self, token: u64, exclusive: bool, ctx: C) -> Vec<Grant<C>> {
        let merge = self.merge;
        let t = self.tokens.entry(token).or_default();
        if exclusive {
            t.exclusive_held = false;
            t.last_exclusive = Some(ctx);
            t.shared_since = None;
        } else {
            t.shared_held = t.shared_held.saturating_sub(1);
            t.shared_since = Some(match t.shared_since.take() {
                Some(joined) => merge(joined, ctx),
                None => ctx,
            });
        }
        self.grant(token)
    }

    /// Grants from the front of the queue while the front is compatible
    /// with the holders.
    fn grant(&mut self, token: u64) -> Vec<Grant<C>> {
        let merge = self.merge;
        let mut grants = Vec::new();
        let Some(t) = self.tokens.get_mut(&token) else {
            return grants;
        };
        while let Some(&(holder, exclusive)) = t.waiting.front() {
            let free = !t.exclusive_held && (!exclusive || t.shared_held == 0);
            if !free {
                break;
            }
            t.waiting.pop_front();
            let base = t.last_exclusive.clone().unwrap_or_default();
            let ctx = if exclusive {
                t.exclusive_held = true;
                match t.shared_since.clone() {
                    Some(shared) => merge(base, shared),
                    None => base,
                }
            } else {
                t.shared_held += 1;
                base
            };
            grants.push(Grant { holder, token, ctx });
        }
        self.granted += grants.len() as u64;
        grants
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// A context as the set of operations in the causal past.
    type Past = BTreeSet<u64>;

    fn join(mut a: Past, b: Past) -> Past {
        a.extend(b);
        a
    }

    fn holders(grants: &[Grant<Past>]) -> Vec<Holder> {
        grants.iter().map(|g| g.holder).collect()
    }

    #[test]
    fn exclusive_holders_follow_each_other_in_fifo_order() {
        let mut s = TokenService::new(join);
        let first = s.acquire(7, 1, true);
        assert_eq!(holders(&first), [1]);
        assert!(first[0].ctx.is_empty());
        assert!(s.acquire(7, 2, true).is_empty());
        assert!(s.acquire(7, 3, true).is_empty());
        assert_eq!(
            holders(&s.acquire(8, 4, true)),
            [4],
            "another token is free"
        );
        let next = s.release(7, true, Past::from([1]));
        assert_eq!(holders(&next), [2]);
        assert_eq!(next[0].ctx, Past::from([1]));
        let next = s.release(7, true, Past::from([1, 2]));
        assert_eq!(next[0].holder, 3);
        assert_eq!(next[0].ctx, Past::from([1, 2]), "the whole chain");
        assert_eq!((s.granted, s.queued), (4, 2));
    }

    #[test]
    fn shared_holders_run_together_and_an_exclusive_one_follows_all_of_them() {
        let mut s = TokenService::new(join);
        assert_eq!(holders(&s.acquire(1, 10, false)), [10]);
        assert_eq!(holders(&s.acquire(1, 11, false)), [11]);
        assert!(s.acquire(1, 12, true).is_empty(), "waits for both bids");
        assert!(
            s.acquire(1, 13, false).is_empty(),
            "FIFO: a later shared request waits behind the exclusive one"
        );
        assert!(s.release(1, false, Past::from([10])).is_empty());
        let close = s.release(1, false, Past::from([11]));
        assert_eq!(holders(&close), [12]);
        assert_eq!(close[0].ctx, Past::from([10, 11]));
        let after = s.release(1, true, Past::from([10, 11, 12]));
        assert_eq!(holders(&after), [13]);
        assert_eq!(after[0].ctx, Past::from([10, 11, 12]));
    }
}
