//! The four HydroCache baselines as switches over one server and one client.

use crate::design::Micros;

use super::snapshot::Holder;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Protocol {
    /// Everything agreed before the workflow runs; no aborts (§1.5).
    Conservative,
    /// Checked at each function against what upstream read; may abort (§1.6).
    Optimistic,
}

#[derive(Clone, Copy, Debug)]
pub struct Variant {
    pub name: &'static str,
    pub protocol: Protocol,
    /// The CausalMesh artifact's simplified baseline (causalmesh.md §13)
    /// rather than HydroCache as published (baselines.md §1).
    pub artifact: bool,
    /// One line for `cmbench list`.
    pub about: &'static str,
}

impl Variant {
    pub const CON: Variant = Variant {
        name: "hydrocache-con",
        protocol: Protocol::Conservative,
        artifact: false,
        about: "MTCC as published: version query and key shipping with the caches hosting the workflow's functions before it runs; no aborts",
    };
    pub const OPT: Variant = Variant {
        name: "hydrocache-opt",
        protocol: Protocol::Optimistic,
        artifact: false,
        about: "MTCC as published: each function's cache checks its snapshot against what upstream read and fetches from any upstream snapshot; aborts when stuck",
    };
    pub const CON_CM: Variant = Variant {
        name: "hydrocache-con-cm",
        protocol: Protocol::Conservative,
        artifact: true,
        about: "HydroCache-Con as the CausalMesh artifact ran it: two prepare rounds and a clean-up with all N servers per workflow",
    };
    pub const OPT_CM: Variant = Variant {
        name: "hydrocache-opt-cm",
        protocol: Protocol::Optimistic,
        artifact: true,
        about: "HydroCache-Opt as the CausalMesh artifact ran it: per-function prepare fetching from the previous function's node only (su/ru)",
    };

    /// Snapshots per function (§1.4) or one per node and workflow (§13).
    pub fn holder(&self, function: usize) -> Holder {
        if self.artifact {
            Holder::Node
        } else {
            Holder::Function(function)
        }
    }

    /// Prepares and clean-ups reach all N servers (§13.1, §13.2) rather than
    /// the caches hosting the workflow's functions (§1.5, §1.9).
    pub fn involves_all_servers(&self) -> bool {
        self.artifact
    }

    /// Conservative fetch list: the artifact fetches from every server whose
    /// version is not below its own (§13.1 step 3); the published scheduler
    /// walks the frontier only until the target is reached (§1.5 step 4).
    pub fn fetches_every_newer(&self) -> bool {
        self.artifact
    }

    /// Optimistic fetches: from the immediate parent's node only (§13.2), or
    /// from whichever upstream snapshot holds a frontier version (§1.6).
    pub fn fetches_from_parent_only(&self) -> bool {
        self.artifact
    }

    /// Dropping a local key also drops every local key whose chain holds a
    /// newer version of it (§1.6 `drop_local`); the artifact does not (§13.2).
    pub fn cascades_drops(&self) -> bool {
        !self.artifact
    }

    /// The artifact's stream names changed keys only (a Redis PUBLISH of the
    /// key), batched every 100 ms and fetched with a GET (§10, §13.1); Anna
    /// pushes the versions themselves and the cache migrates every 10 ms (§1.3).
    pub fn notifications_name_keys_only(&self) -> bool {
        self.artifact
    }

    pub fn cut_interval(&self) -> Micros {
        if self.artifact { 100_000 } else { 10_000 }
    }

    /// The artifact's last function waits for each ClientWrite RPC (§13);
    /// the published sink answers before it writes (§1.8).
    pub fn awaits_commit(&self) -> bool {
        self.artifact
    }
}
