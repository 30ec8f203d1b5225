//! Every design by name. Adding a design is one line here; runtimes reach a
//! design through [`DesignVisitor`], so they never list designs themselves.

use impls::Design;
use impls::causalmesh::CausalMesh;
use impls::plain::{Eventual, NoCache};

/// Something to do with a design type, chosen by name at run time.
pub trait DesignVisitor {
    type Output;
    fn visit<D: Design>(self) -> Self::Output;
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

        /// Whether the design called `name` claims causal consistency.
        pub fn is_causal(name: &str) -> Option<bool> {
            $(if name == <$design as Design>::NAME {
                return Some(<$design as Design>::CAUSAL);
            })*
            None
        }
    };
}

registry!(CausalMesh, Eventual, NoCache);
