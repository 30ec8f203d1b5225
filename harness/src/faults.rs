//! Fault injection for the runtimes, configured by time and target. In-model
//! faults keep every assumption the protocols state (reliable FIFO links,
//! servers that keep their state); `beyond-model` faults break one on purpose,
//! to show what the checker then finds.

use impls::Micros;
use impls::design::micros_as_duration;
use serde::{Deserialize, Serialize};

use crate::latency::Dist;

/// The link classes of the latency model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkClass {
    ClientNode,
    NodeNode,
    NodeDb,
}

impl LinkClass {
    /// The link between a function and a node: loopback to its own node,
    /// the network to any other (a scheduler's prepare, a remote cache).
    pub fn to_client(remote: bool) -> LinkClass {
        if remote {
            LinkClass::NodeNode
        } else {
            LinkClass::ClientNode
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FaultKind {
    /// Every message sent on the link class meanwhile takes `extra` longer;
    /// links stay FIFO.
    DelaySpike { link: LinkClass, extra: Dist },
    /// The database takes `extra` longer per request.
    SlowDb { extra: Dist },
    /// The database answers nothing meanwhile; requests wait and are served
    /// when it is back.
    DbUnavailable,
    /// A cache node stops handling messages; they queue and are handled in
    /// order when it resumes.
    PauseNode { node: usize },
    /// The serverless runtime dispatches functions at once, so workflows
    /// migrate while their writes are still propagating.
    FastMigration,
    /// Beyond the model: messages between cache nodes may overtake each
    /// other (CausalMesh assumes FIFO rings).
    Reorder { extra: Dist },
    /// Beyond the model: a cache node restarts with empty caches at `at`
    /// (the protocols assume servers never lose their state).
    CrashNode { node: usize },
    /// The cache nodes `nodes` are cut off from the others: messages
    /// between the two sides wait until the partition heals, then arrive
    /// in order (reliable FIFO links survive a partition, as TCP does).
    Partition { nodes: Vec<usize> },
    /// Beyond the model: each message between cache nodes is lost with
    /// probability `rate` (CausalMesh assumes reliable links).
    Loss { rate: f64 },
    /// Beyond the model: each message between cache nodes arrives twice
    /// with probability `rate`.
    Duplicate { rate: f64 },
}

impl FaultKind {
    pub fn beyond_model(&self) -> bool {
        matches!(
            self,
            FaultKind::Reorder { .. }
                | FaultKind::CrashNode { .. }
                | FaultKind::Loss { .. }
                | FaultKind::Duplicate { .. }
        )
    }
}

/// One fault: what, from when, for how long (crashes are instantaneous).
/// Unknown fields are refused by the kind, which sees all but `at` and
/// `duration`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// From the start of the run (warm-up included).
    #[serde(with = "micros_as_duration")]
    pub at: Micros,
    #[serde(with = "micros_as_duration", default)]
    pub duration: Micros,
}

impl FaultSpec {
    pub fn active(&self, now: Micros) -> bool {
        (self.at..self.at + self.duration).contains(&now)
    }
}

/// The faults of a run, queried by the runtime as it sends and handles.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    faults: Vec<FaultSpec>,
}

impl Faults {
    /// Checks the faults against the cluster; beyond-model faults need the
    /// `beyond_model` switch. Errors name the fault by position.
    pub fn new(
        faults: Vec<FaultSpec>,
        servers: usize,
        beyond_model: bool,
    ) -> Result<Faults, String> {
        for (i, f) in faults.iter().enumerate() {
            let field = format!("faults[{i}]");
            match &f.kind {
                FaultKind::PauseNode { node } | FaultKind::CrashNode { node }
                    if *node >= servers =>
                {
                    return Err(format!(
                        "{field}.node: there are {servers} cache servers, no node {node}"
                    ));
                }
                FaultKind::DelaySpike { extra, .. }
                | FaultKind::SlowDb { extra }
                | FaultKind::Reorder { extra } => {
                    extra.validate(&format!("{field}.extra"))?;
                }
                FaultKind::Partition { nodes } => {
                    if let Some(n) = nodes.iter().find(|&&n| n >= servers) {
                        return Err(format!(
                            "{field}.nodes: there are {servers} cache servers, no node {n}"
                        ));
                    }
                }
                FaultKind::Loss { rate } | FaultKind::Duplicate { rate }
                    if !(0.0..=1.0).contains(rate) =>
                {
                    return Err(format!(
                        "{field}.rate: must be a probability between 0 and 1, got {rate}"
                    ));
                }
                _ => {}
            }
            if f.kind.beyond_model() && !beyond_model {
                return Err(format!(
                    "{field}.kind: breaks the protocols' model; set beyond_model = true to run it"
                ));
            }
            if f.duration == 0 && !matches!(f.kind, FaultKind::CrashNode { .. }) {
                return Err(format!("{field}.duration: must be longer than 0s"));
            }
        }
        Ok(Faults { faults })
    }

    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    fn active(&self, now: Micros) -> impl Iterator<Item = &FaultKind> {
        self.faults
            .iter()
            .filter(move |f| f.active(now))
            .map(|f| &f.kind)
    }

    /// Extra delay spikes add to a message sent on `link` at `now`.
    pub fn extra_delay(&self, link: LinkClass, now: Micros, rng: &mut impl rand::Rng) -> Micros {
        self.active(now)
            .map(|k| match k {
                FaultKind::DelaySpike { link: l, extra } if *l == link => extra.sample(rng),
                FaultKind::Reorder { extra } if link == LinkClass::NodeNode => extra.sample(rng),
                _ => 0,
            })
            .sum()
    }

    /// Whether links between cache nodes may reorder at `now`.
    pub fn reordering(&self, now: Micros) -> bool {
        self.active(now)
            .any(|k| matches!(k, FaultKind::Reorder { .. }))
    }

    /// Extra service time of a database request arriving at `now`.
    pub fn db_extra(&self, now: Micros, rng: &mut impl rand::Rng) -> Micros {
        self.active(now)
            .map(|k| match k {
                FaultKind::SlowDb { extra } => extra.sample(rng),
                _ => 0,
            })
            .sum()
    }

    /// When the database can next serve a request arriving at `now`.
    pub fn db_available_from(&self, now: Micros) -> Micros {
        self.faults
            .iter()
            .filter(|f| f.kind == FaultKind::DbUnavailable && f.active(now))
            .map(|f| f.at + f.duration)
            .max()
            .unwrap_or(now)
    }

    /// When `node` can next handle a message at `now`.
    pub fn node_resumes(&self, node: usize, now: Micros) -> Micros {
        self.faults
            .iter()
            .filter(|f| f.kind == FaultKind::PauseNode { node } && f.active(now))
            .map(|f| f.at + f.duration)
            .max()
            .unwrap_or(now)
    }

    /// When a message sent from node `from` to node `to` at `now` may
    /// cross: `now`, or the end of a partition between them.
    pub fn crossing_from(&self, from: usize, to: usize, now: Micros) -> Micros {
        self.faults
            .iter()
            .filter(|f| f.active(now))
            .filter(|f| match &f.kind {
                FaultKind::Partition { nodes } => nodes.contains(&from) != nodes.contains(&to),
                _ => false,
            })
            .map(|f| f.at + f.duration)
            .max()
            .unwrap_or(now)
    }

    /// How many copies of a message between cache nodes sent at `now`
    /// arrive: 0 when lost, 2 when duplicated, else 1. Draws from `rng`
    /// only while a loss or duplication fault is active.
    pub fn copies(&self, now: Micros, rng: &mut impl rand::Rng) -> usize {
        use rand::RngExt;
        let mut copies = 1;
        for kind in self.active(now) {
            match kind {
                FaultKind::Loss { rate } if rng.random_bool(*rate) => return 0,
                FaultKind::Duplicate { rate } if rng.random_bool(*rate) => copies = 2,
                _ => {}
            }
        }
        copies
    }

    /// Whether functions are dispatched at once at `now`.
    pub fn fast_migration(&self, now: Micros) -> bool {
        self.active(now).any(|k| *k == FaultKind::FastMigration)
    }

    /// Times at which `node` crashes.
    pub fn crashes(&self, node: usize) -> Vec<Micros> {
        let mut at: Vec<Micros> = self
            .faults
            .iter()
            .filter(|f| f.kind == FaultKind::CrashNode { node })
            .map(|f| f.at)
            .collect();
        at.sort_unstable();
        at
    }

    /// A short label for results: the fault kinds, joined.
    pub fn label(&self) -> String {
        if self.faults.is_empty() {
            return "none".into();
        }
        let names: Vec<String> = self
            .faults
            .iter()
            .map(|f| {
                serde_json::to_value(&f.kind)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
                    .unwrap_or_default()
            })
            .collect();
        names.join("+")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn try_parse(text: &str) -> Result<Vec<FaultSpec>, toml::de::Error> {
        #[derive(Deserialize)]
        struct F {
            faults: Vec<FaultSpec>,
        }
        toml::from_str::<F>(text).map(|f| f.faults)
    }

    fn parse(text: &str) -> Vec<FaultSpec> {
        try_parse(text).unwrap()
    }

    #[test]
    fn faults_parse_and_apply_in_their_window() {
        let faults = parse(
            r#"
            faults = [
              { kind = "delay-spike", link = "node_node", extra = { dist = "constant", value = "5ms" }, at = "1s", duration = "500ms" },
              { kind = "db-unavailable", at = "2s", duration = "100ms" },
              { kind = "pause-node", node = 1, at = "3s", duration = "1s" },
            ]
            "#,
        );
        let f = Faults::new(faults, 3, false).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(
            f.extra_delay(LinkClass::NodeNode, 1_200_000, &mut rng),
            5_000
        );
        assert_eq!(
            f.extra_delay(LinkClass::NodeNode, 1_500_000, &mut rng),
            0,
            "the window is half-open"
        );
        assert_eq!(f.extra_delay(LinkClass::NodeDb, 1_200_000, &mut rng), 0);
        assert_eq!(f.db_available_from(2_050_000), 2_100_000);
        assert_eq!(f.db_available_from(2_200_000), 2_200_000);
        assert_eq!(f.node_resumes(1, 3_500_000), 4_000_000);
        assert_eq!(f.node_resumes(0, 3_500_000), 3_500_000);
        assert_eq!(f.label(), "delay-spike+db-unavailable+pause-node");
    }

    #[test]
    fn partitions_hold_crossing_messages_and_loss_needs_the_switch() {
        let faults =
            parse(r#"faults = [{ kind = "partition", nodes = [0], at = "1s", duration = "1s" }]"#);
        let f = Faults::new(faults, 3, false).unwrap();
        assert_eq!(f.crossing_from(0, 1, 1_500_000), 2_000_000);
        assert_eq!(f.crossing_from(2, 0, 1_500_000), 2_000_000);
        assert_eq!(f.crossing_from(1, 2, 1_500_000), 1_500_000, "same side");
        assert_eq!(f.crossing_from(0, 1, 2_500_000), 2_500_000, "healed");
        let loss = parse(r#"faults = [{ kind = "loss", rate = 1.0, at = "0s", duration = "1s" }]"#);
        assert!(Faults::new(loss.clone(), 3, false).is_err());
        let f = Faults::new(loss, 3, true).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(f.copies(10, &mut rng), 0);
        assert_eq!(f.copies(1_000_000, &mut rng), 1);
        let bad =
            parse(r#"faults = [{ kind = "duplicate", rate = 2.0, at = "0s", duration = "1s" }]"#);
        assert!(
            Faults::new(bad, 3, true)
                .unwrap_err()
                .starts_with("faults[0].rate: must be a probability")
        );
    }

    #[test]
    fn beyond_model_faults_need_the_switch_and_bad_targets_are_named() {
        let crash = parse(r#"faults = [{ kind = "crash-node", node = 0, at = "1s" }]"#);
        let err = Faults::new(crash.clone(), 3, false).unwrap_err();
        assert!(
            err.starts_with("faults[0].kind: breaks the protocols' model"),
            "{err}"
        );
        assert_eq!(
            Faults::new(crash, 3, true).unwrap().crashes(0),
            vec![1_000_000]
        );
        let pause =
            parse(r#"faults = [{ kind = "pause-node", node = 7, at = "1s", duration = "1s" }]"#);
        assert!(
            Faults::new(pause, 3, false)
                .unwrap_err()
                .starts_with("faults[0].node: there are 3")
        );
        let typo = try_parse(
            r#"faults = [{ kind = "pause-node", nodee = 1, at = "1s", duration = "1s" }]"#,
        );
        assert!(typo.unwrap_err().to_string().contains("nodee"));
    }
}
