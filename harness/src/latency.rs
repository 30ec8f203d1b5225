//! The latency model: one distribution per link class, injected in user space
//! by the runtimes (this machine's kernel has no netem).

use impls::Micros;
use impls::design::micros_as_duration;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, LogNormal, Normal};
use serde::{Deserialize, Serialize};

/// A delay distribution; every sample is at least `floor`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Dist {
    Constant {
        #[serde(with = "micros_as_duration")]
        value: Micros,
    },
    Uniform {
        #[serde(with = "micros_as_duration")]
        low: Micros,
        #[serde(with = "micros_as_duration")]
        high: Micros,
    },
    Normal {
        #[serde(with = "micros_as_duration")]
        mean: Micros,
        #[serde(with = "micros_as_duration")]
        sd: Micros,
        #[serde(with = "micros_as_duration", default)]
        floor: Micros,
    },
    /// Log-normal with the given median; `sigma` is the standard deviation
    /// of the underlying normal (0.25 gives a p99 about 1.8x the median).
    LogNormal {
        #[serde(with = "micros_as_duration")]
        median: Micros,
        sigma: f64,
        #[serde(with = "micros_as_duration", default)]
        floor: Micros,
    },
}

impl Dist {
    pub const ZERO: Dist = Dist::Constant { value: 0 };

    pub fn constant(value: Micros) -> Dist {
        Dist::Constant { value }
    }

    /// Checks the parameters; `field` names the config entry in errors.
    pub fn validate(&self, field: &str) -> Result<(), String> {
        match self {
            Dist::Constant { .. } => Ok(()),
            Dist::Uniform { low, high } if low > high => {
                Err(format!("{field}: low ({low}us) is above high ({high}us)"))
            }
            Dist::Uniform { .. } | Dist::Normal { .. } => Ok(()),
            Dist::LogNormal { sigma, .. } if !(sigma.is_finite() && *sigma >= 0.0) => Err(format!(
                "{field}.sigma: must be a finite number >= 0, got {sigma}"
            )),
            Dist::LogNormal { median: 0, .. } => Err(format!("{field}.median: must be above 0")),
            Dist::LogNormal { .. } => Ok(()),
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Dist::Constant { value: 0 })
    }

    pub fn sample(&self, rng: &mut impl Rng) -> Micros {
        match *self {
            Dist::Constant { value } => value,
            Dist::Uniform { low, high } => rng.random_range(low..=high),
            Dist::Normal { mean, sd, floor } => {
                // Finite parameters with sd >= 0 always make a distribution.
                let x = Normal::new(mean as f64, sd as f64).map_or(mean as f64, |d| d.sample(rng));
                clamp(x, floor)
            }
            Dist::LogNormal {
                median,
                sigma,
                floor,
            } => {
                // `validate` rejects the sigmas LogNormal refuses.
                let x = LogNormal::new((median as f64).ln(), sigma)
                    .map_or(median as f64, |d| d.sample(rng));
                clamp(x, floor)
            }
        }
    }

    /// The mean delay, for checking measurements against the model.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Constant { value } => value as f64,
            Dist::Uniform { low, high } => (low + high) as f64 / 2.0,
            Dist::Normal { mean, .. } => mean as f64,
            Dist::LogNormal { median, sigma, .. } => median as f64 * (sigma * sigma / 2.0).exp(),
        }
    }
}

fn clamp(sample: f64, floor: Micros) -> Micros {
    if sample.is_finite() && sample > floor as f64 {
        sample as Micros
    } else {
        floor
    }
}

/// Delays per link class. The defaults stand for a datacenter: a function and
/// its cache on the same machine, caches and the database a network hop apart,
/// and a serverless runtime that takes about a millisecond to invoke a function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LatencyProfile {
    /// One way, function to its node-local cache (loopback RPC).
    pub client_node: Dist,
    /// One way, cache node to cache node (one hop, 10 GbE plus an RPC stack).
    pub node_node: Dist,
    /// One way, cache node to the database (one hop plus a proxy).
    pub node_db: Dist,
    /// The database's time to serve one request; requests queue behind it.
    pub db_service: Dist,
    /// Scheduling and invocation of each function by the serverless runtime.
    pub dispatch: Dist,
    /// One way, a workflow to the token service (a server one hop away)
    /// and back.
    pub token: Dist,
}

impl Default for LatencyProfile {
    fn default() -> Self {
        LatencyProfile {
            client_node: Dist::Normal {
                mean: 50,
                sd: 10,
                floor: 20,
            },
            node_node: Dist::LogNormal {
                median: 100,
                sigma: 0.25,
                floor: 50,
            },
            node_db: Dist::LogNormal {
                median: 250,
                sigma: 0.3,
                floor: 100,
            },
            db_service: Dist::constant(20),
            dispatch: Dist::Normal {
                mean: 1000,
                sd: 200,
                floor: 300,
            },
            token: Dist::LogNormal {
                median: 100,
                sigma: 0.25,
                floor: 50,
            },
        }
    }
}

impl LatencyProfile {
    /// Every delay zero: the in-process ceiling.
    pub fn zero() -> LatencyProfile {
        LatencyProfile {
            client_node: Dist::ZERO,
            node_node: Dist::ZERO,
            node_db: Dist::ZERO,
            db_service: Dist::ZERO,
            dispatch: Dist::ZERO,
            token: Dist::ZERO,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.links().iter().all(|(_, d)| d.is_zero())
    }

    pub fn links(&self) -> [(&'static str, &Dist); 6] {
        [
            ("client_node", &self.client_node),
            ("node_node", &self.node_node),
            ("node_db", &self.node_db),
            ("db_service", &self.db_service),
            ("dispatch", &self.dispatch),
            ("token", &self.token),
        ]
    }

    pub fn validate(&self) -> Result<(), String> {
        for (name, d) in self.links() {
            d.validate(&format!("latency.{name}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn stats(d: &Dist) -> (f64, Micros, Vec<Micros>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut xs: Vec<Micros> = (0..50_000).map(|_| d.sample(&mut rng)).collect();
        xs.sort_unstable();
        let mean = xs.iter().sum::<u64>() as f64 / xs.len() as f64;
        (mean, xs[0], xs)
    }

    #[test]
    fn samples_follow_their_distribution() {
        let (mean, min, _) = stats(&Dist::Normal {
            mean: 1000,
            sd: 100,
            floor: 0,
        });
        assert!((mean - 1000.0).abs() < 5.0, "{mean}");
        assert!(min > 400);
        let ln = Dist::LogNormal {
            median: 250,
            sigma: 0.3,
            floor: 0,
        };
        let (mean, _, xs) = stats(&ln);
        assert!((xs[xs.len() / 2] as f64 - 250.0).abs() < 5.0);
        assert!(
            (mean - ln.mean()).abs() / ln.mean() < 0.02,
            "{mean} vs {}",
            ln.mean()
        );
        let (mean, min, xs) = stats(&Dist::Uniform { low: 10, high: 20 });
        assert!((mean - 15.0).abs() < 0.2 && min == 10 && xs[xs.len() - 1] == 20);
    }

    #[test]
    fn floor_bounds_every_sample() {
        let (_, min, _) = stats(&Dist::Normal {
            mean: 100,
            sd: 100,
            floor: 60,
        });
        assert_eq!(min, 60);
    }

    #[test]
    fn config_names_a_bad_parameter() {
        let d = Dist::LogNormal {
            median: 10,
            sigma: -1.0,
            floor: 0,
        };
        assert_eq!(
            d.validate("latency.node_db").unwrap_err(),
            "latency.node_db.sigma: must be a finite number >= 0, got -1"
        );
        let u = Dist::Uniform { low: 5, high: 1 };
        assert!(
            u.validate("latency.dispatch")
                .unwrap_err()
                .starts_with("latency.dispatch: low")
        );
    }

    #[test]
    fn profiles_parse_from_toml() {
        let p: LatencyProfile = toml::from_str(
            r#"
            node_db = { dist = "log-normal", median = "1ms", sigma = 0.5, floor = "200us" }
            dispatch = { dist = "constant", value = "0s" }
            "#,
        )
        .unwrap();
        assert_eq!(
            p.node_db,
            Dist::LogNormal {
                median: 1000,
                sigma: 0.5,
                floor: 200
            }
        );
        assert!(p.dispatch.is_zero());
        assert_eq!(p.client_node, LatencyProfile::default().client_node);
        assert!(LatencyProfile::zero().is_zero() && !LatencyProfile::default().is_zero());
    }
}
