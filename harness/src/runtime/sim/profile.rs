//! Service-time profiles: how long a cache server's handler takes per message
//! kind, per design, in nanoseconds. `cmbench calibrate` measures them on
//! this machine; `harness/profiles/default.toml` is the committed default.
//! Two pseudo-kinds cover the other handlers: `db_reply` (a database answer
//! or notification) and `tick` (periodic background work).

use std::collections::BTreeMap;

use impls::{Design, MessageKind};
use serde::{Deserialize, Serialize};

use super::station::Nanos;
use crate::registry;

const DEFAULT_PROFILE: &str = include_str!("../../../profiles/default.toml");

/// The pseudo-kind of [`impls::ServerNode::on_db_reply`].
pub const DB_REPLY: &str = "db_reply";
/// The pseudo-kind of [`impls::ServerNode::on_tick`].
pub const TICK: &str = "tick";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceProfile {
    /// Where the figures come from.
    #[serde(default)]
    pub about: String,
    /// The service time of any kind a design's table leaves out.
    pub default_ns: Nanos,
    /// Per design, per message kind.
    #[serde(default)]
    pub designs: BTreeMap<String, BTreeMap<String, Nanos>>,
}

/// One design's service times, indexed like its message kinds.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceTable {
    pub kinds: Vec<Nanos>,
    pub db_reply: Nanos,
    pub tick: Nanos,
}

impl ServiceTable {
    /// The service time of kind `index`: a message kind, then `db_reply`,
    /// then `tick`, as [`kind_names`] lists them.
    pub fn of(&self, index: usize) -> Nanos {
        match index.checked_sub(self.kinds.len()) {
            None => self.kinds[index],
            Some(0) => self.db_reply,
            Some(_) => self.tick,
        }
    }
}

/// Design `D`'s message kinds, then the pseudo-kinds.
pub fn kind_names<D: Design>() -> Vec<&'static str> {
    let mut kinds = D::Msg::KINDS.to_vec();
    kinds.extend([DB_REPLY, TICK]);
    kinds
}

impl ServiceProfile {
    /// The profile `spec` names: "default", or a path. Errors say why.
    pub fn load(spec: &str) -> Result<ServiceProfile, String> {
        let text = if spec == "default" {
            DEFAULT_PROFILE.to_string()
        } else {
            std::fs::read_to_string(spec).map_err(|e| format!("cannot read `{spec}`: {e}"))?
        };
        let profile: ServiceProfile =
            toml::from_str(&text).map_err(|e| format!("`{spec}` is not a service profile: {e}"))?;
        for (design, kinds) in &profile.designs {
            let known = registry::with_design(design, KindNames)
                .ok_or_else(|| format!("`{spec}` names an unknown design `{design}`"))?;
            if let Some(kind) = kinds.keys().find(|k| !known.contains(&k.as_str())) {
                return Err(format!(
                    "`{spec}`: {design} has no message kind `{kind}`; known: {}",
                    known.join(", ")
                ));
            }
        }
        Ok(profile)
    }

    /// The service times of design `D`.
    pub fn table<D: Design>(&self) -> ServiceTable {
        let mine = self.designs.get(D::NAME);
        let of = |kind: &str| {
            mine.and_then(|m| m.get(kind))
                .copied()
                .unwrap_or(self.default_ns)
        };
        ServiceTable {
            kinds: D::Msg::KINDS.iter().map(|k| of(k)).collect(),
            db_reply: of(DB_REPLY),
            tick: of(TICK),
        }
    }

    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string(self).map_err(|e| e.to_string())
    }
}

/// The kinds a profile may list for a design: its messages and the
/// pseudo-kinds.
struct KindNames;

impl registry::DesignVisitor for KindNames {
    type Output = Vec<&'static str>;
    fn visit<D: Design>(self) -> Vec<&'static str> {
        kind_names::<D>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use impls::causalmesh::CausalMesh;

    #[test]
    fn the_default_profile_loads_and_covers_every_design() {
        let p = ServiceProfile::load("default").unwrap();
        for name in registry::names() {
            assert!(p.designs.contains_key(name), "{name} missing");
        }
        let t = p.table::<CausalMesh>();
        assert_eq!(t.kinds.len(), 6);
        assert!(t.kinds.iter().all(|&ns| ns > 0));
    }

    #[test]
    fn missing_kinds_take_the_default_and_typos_are_named() {
        let dir = std::env::temp_dir().join(format!("cmbench-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.toml");
        std::fs::write(&path, "default_ns = 7\n[designs.causalmesh]\nread = 3\n").unwrap();
        let p = ServiceProfile::load(path.to_str().unwrap()).unwrap();
        let t = p.table::<CausalMesh>();
        assert_eq!((t.kinds[0], t.kinds[2], t.tick), (3, 7, 7));
        std::fs::write(&path, "default_ns = 7\n[designs.causalmesh]\nraed = 3\n").unwrap();
        let err = ServiceProfile::load(path.to_str().unwrap()).unwrap_err();
        assert!(err.contains("no message kind `raed`"), "{err}");
        std::fs::write(&path, "default_ns = 7\n[designs.redis]\nread = 3\n").unwrap();
        let err = ServiceProfile::load(path.to_str().unwrap()).unwrap_err();
        assert!(err.contains("unknown design `redis`"), "{err}");
        assert!(ServiceProfile::load("/nonexistent/p.toml").is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
