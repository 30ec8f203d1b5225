//! Every design by name. Adding a design is one line here; runtimes reach a
//! design through [`DesignVisitor`], so they never list designs themselves.

use impls::Design;
use impls::causalmesh::{CausalMesh, CausalMeshTcc};
use impls::faastcc::{FaasTcc, FaasTccCm};
use impls::hydrocache::{HydroCacheCon, HydroCacheConCm, HydroCacheOpt, HydroCacheOptCm};
use impls::plain::{Eventual, NoCache};

/// Something to do with a design type, chosen by name at run time.
pub trait DesignVisitor {
    type Output;
    fn visit<D: Design>(self) -> Self::Output;
}

/// A design's claims, for `cmbench list` and the checkers.
#[derive(Clone, Copy, Debug)]
pub struct DesignTraits {
    pub causal: bool,
    pub convergent: bool,
    pub abort_free: bool,
    pub coordination_free: bool,
    pub about: &'static str,
}

macro_rules! registry {
    ($($design:ty),* $(,)?) => {
        /// Names of all designs, in the order `--designs all` runs them.
        pub fn names() -> impl Iterator<Item = &'static str> {
            [$(<$design as Design>::NAME),*].into_iter()
        }

        /// Runs `visitor` on the design called `name`; `None` if there is none.
        pub fn with_design<V: DesignVisitor>(name: &str, visitor: V) -> Option<V::Output> {
            $(if name == <$design as Design>::NAME {
                return Some(visitor.visit::<$design>());
            })*
            None
        }

        /// What the design called `name` claims.
        pub fn traits(name: &str) -> Option<DesignTraits> {
            $(if name == <$design as Design>::NAME {
                return Some(DesignTraits {
                                        causal: <$design as Design>::CAUSAL,
                    convergent: <$design as Design>::CONVERGENT,
                    abort_free: <$design as Design>::ABORT_FREE,
                    coordination_free: <$design as Design>::COORDINATION_FREE,
                    about: <$design as Design>::ABOUT,
                });
            })*
            None
        }
    };
}

registry!(
    CausalMesh,
    CausalMeshTcc,
    FaasTcc,
    FaasTccCm,
    HydroCacheCon,
    HydroCacheOpt,
    HydroCacheConCm,
    HydroCacheOptCm,
    Eventual,
    NoCache
);
