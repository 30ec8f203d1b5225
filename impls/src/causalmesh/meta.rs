use serde::{Deserialize, Serialize};

use crate::version::{Deps, Key, NodeId, Version};

/// A written version with the dependencies it was written under (the
/// reference's `Meta`). Two Metas are the same write iff key and clock match.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    pub key: Key,
    /// The server that assigned the clock.
    pub head: NodeId,
    pub version: Version,
    pub deps: Deps,
}

impl Meta {
    pub fn encoded_bytes(&self) -> usize {
        8 + self.version.value.len() + self.version.vc.encoded_bytes() + self.deps.encoded_bytes()
    }

    /// Clock and dependency bytes, without the value.
    pub fn metadata_bytes(&self) -> usize {
        self.version.vc.encoded_bytes() + self.deps.encoded_bytes()
    }
}
