//! Where the scheduler runs each function of a workflow.

use impls::NodeId;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::spec::SpecError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Placement {
    /// Every function on a uniformly random node, as in the paper: with N
    /// nodes, consecutive functions change node with probability (N-1)/N.
    Uniform,
    /// The first function on a random node; each next one moves to a
    /// uniformly random other node with `probability`, else stays.
    Roam { probability: f64 },
}

impl Placement {
    pub fn validate(&self) -> Result<(), SpecError> {
        match *self {
            Placement::Roam { probability } if !(0.0..=1.0).contains(&probability) => {
                Err(SpecError::new(
                    "placement.probability",
                    format!("must be within 0..=1, got {probability}"),
                ))
            }
            _ => Ok(()),
        }
    }

    pub fn place(&self, previous: Option<NodeId>, servers: usize, rng: &mut impl Rng) -> NodeId {
        match (self, previous) {
            (Placement::Roam { probability }, Some(prev)) if servers > 1 => {
                if rng.random_bool(*probability) {
                    (prev + rng.random_range(1..servers)) % servers
                } else {
                    prev
                }
            }
            (Placement::Roam { .. }, Some(prev)) => prev,
            _ => rng.random_range(0..servers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn move_rate(p: &Placement, servers: usize) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut prev = p.place(None, servers, &mut rng);
        let mut moves = 0;
        for _ in 0..20_000 {
            let next = p.place(Some(prev), servers, &mut rng);
            assert!(next < servers);
            moves += usize::from(next != prev);
            prev = next;
        }
        moves as f64 / 20_000.0
    }

    #[test]
    fn uniform_moves_with_probability_n_minus_one_over_n() {
        assert!((move_rate(&Placement::Uniform, 3) - 2.0 / 3.0).abs() < 0.02);
    }

    #[test]
    fn roam_moves_with_its_probability() {
        assert!((move_rate(&Placement::Roam { probability: 0.25 }, 4) - 0.25).abs() < 0.02);
        assert_eq!(move_rate(&Placement::Roam { probability: 0.0 }, 4), 0.0);
        assert_eq!(move_rate(&Placement::Roam { probability: 1.0 }, 1), 0.0);
    }
}
