//! A fixed, fast hasher for maps keyed by integers and clocks. std's default
//! (SipHash with a random seed) guards against hash flooding, which nothing
//! here faces, and costs several times as much per lookup; the simulator
//! does millions of lookups per simulated second. Output never depends on a
//! map's iteration order with either hasher.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate mixing of one 64-bit word at a time.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

/// An odd constant with well-spread bits (the fractional part of the golden
/// ratio), so multiplication mixes low input bits into the high ones.
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(MIX);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // Hash tables take the bucket from the low bits and a tag from the
        // high ones; fold the well-mixed high half into the low one.
        self.0 ^ (self.0 >> 32)
    }
}

/// The `BuildHasher` for `HashMap<K, V, FastHash>`.
pub type FastHash = BuildHasherDefault<FastHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    #[test]
    fn dense_keys_spread_over_buckets_and_tags() {
        let build = FastHash::default();
        let hashes: Vec<u64> = (0..4096u64).map(|k| build.hash_one(k)).collect();
        let low: HashSet<u64> = hashes.iter().map(|h| h & 4095).collect();
        let high: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(low.len() > 2500, "{} distinct buckets of 4096", low.len());
        assert_eq!(high.len(), 128, "every 7-bit tag is used");
    }

    #[test]
    fn byte_strings_differ_by_length_and_content() {
        let build = FastHash::default();
        let h = |b: &[u8]| build.hash_one(b);
        assert_ne!(h(&[1, 2, 3]), h(&[1, 2, 3, 0]));
        assert_ne!(h(&[0; 9]), h(&[0; 10]));
        assert_ne!(h(&[1; 16]), h(&[2; 16]));
    }
}
