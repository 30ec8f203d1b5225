//! Key choice: Zipf over the key space, with key 0 the hottest (rank 1), or
//! uniform.

use rand::{Rng, RngExt};

pub enum KeyChooser {
    Uniform {
        keys: u64,
    },
    /// Cumulative probabilities of ranks 1..=keys, searched per draw.
    Zipf {
        cdf: Vec<f64>,
        guide: Vec<u32>,
    },
}

/// Guide-table buckets over [0, 1) at most: `guide[j]` is the first rank
/// whose cumulative probability reaches j / buckets, so a draw searches only
/// the few ranks of its bucket instead of the whole table (the simulator
/// draws millions of keys).
const GUIDE_BUCKETS: usize = 1 << 16;

impl KeyChooser {
    /// `skew` 0 is uniform; otherwise P(rank r) is proportional to 1/r^skew.
    pub fn new(keys: u64, skew: f64) -> KeyChooser {
        if skew == 0.0 {
            return KeyChooser::Uniform { keys };
        }
        let mut total = 0.0;
        let mut cdf: Vec<f64> = (1..=keys)
            .map(|r| {
                total += (r as f64).powf(-skew);
                total
            })
            .collect();
        for c in &mut cdf {
            *c /= total;
        }
        let buckets = cdf.len().clamp(1, GUIDE_BUCKETS);
        let guide = (0..=buckets)
            .map(|j| {
                let edge = j as f64 / buckets as f64;
                cdf.partition_point(|&c| c < edge) as u32
            })
            .collect();
        KeyChooser::Zipf { cdf, guide }
    }

    pub fn choose(&self, rng: &mut impl Rng) -> u64 {
        match self {
            KeyChooser::Uniform { keys } => rng.random_range(0..*keys),
            KeyChooser::Zipf { cdf, guide } => {
                let u: f64 = rng.random();
                Self::rank_of(cdf, guide, u)
            }
        }
    }

    /// The first rank whose cumulative probability reaches `u`: the answer
    /// of a binary search over the whole table. The bucket of `u` is widened
    /// by one on each side, so rounding in `u * buckets` cannot leave it.
    fn rank_of(cdf: &[f64], guide: &[u32], u: f64) -> u64 {
        let buckets = guide.len() - 1;
        let j = ((u * buckets as f64) as usize).min(buckets - 1);
        let lo = guide[j.saturating_sub(1)] as usize;
        let hi = guide[(j + 2).min(buckets)] as usize;
        let rank = lo + cdf[lo..hi].partition_point(|&c| c < u);
        (rank as u64).min(cdf.len() as u64 - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn counts(chooser: &KeyChooser, keys: usize, draws: usize) -> Vec<usize> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut c = vec![0; keys];
        for _ in 0..draws {
            c[chooser.choose(&mut rng) as usize] += 1;
        }
        c
    }

    #[test]
    fn the_guide_table_gives_the_whole_table_search() {
        for (keys, skew) in [(100_000, 1.0), (1_000, 0.5), (3, 2.0), (1, 1.0)] {
            let KeyChooser::Zipf { cdf, guide } = KeyChooser::new(keys, skew) else {
                panic!("skew {skew} is Zipf");
            };
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(keys);
            let edges = cdf.iter().take(50).copied();
            let draws = (0..20_000).map(|_| rng.random::<f64>());
            for u in edges.chain(draws).chain([0.0, 0.999_999_999_9]) {
                let full = (cdf.partition_point(|&c| c < u) as u64).min(cdf.len() as u64 - 1);
                assert_eq!(KeyChooser::rank_of(&cdf, &guide, u), full, "u = {u}");
            }
        }
    }

    #[test]
    fn zipf_one_follows_one_over_rank() {
        let c = counts(&KeyChooser::new(100, 1.0), 100, 200_000);
        // P(1)/P(2) = 2 and P(1)/P(10) = 10 for skew 1.
        let r2 = c[0] as f64 / c[1] as f64;
        let r10 = c[0] as f64 / c[9] as f64;
        assert!((1.85..2.15).contains(&r2), "{r2}");
        assert!((8.5..11.5).contains(&r10), "{r10}");
        let h100: f64 = (1..=100).map(|r| 1.0 / r as f64).sum();
        let p1 = c[0] as f64 / 200_000.0;
        assert!((p1 - 1.0 / h100).abs() < 0.01, "{p1}");
    }

    #[test]
    fn skew_zero_is_uniform() {
        let c = counts(&KeyChooser::new(10, 0.0), 10, 100_000);
        assert!(c.iter().all(|&n| (9_000..11_000).contains(&n)), "{c:?}");
    }

    #[test]
    fn draws_stay_in_the_key_space() {
        let chooser = KeyChooser::new(3, 2.0);
        let c = counts(&chooser, 3, 10_000);
        assert_eq!(c.iter().sum::<usize>(), 10_000);
    }
}
