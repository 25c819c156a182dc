//! The upper levels of a growing tree, kept in memory.

use crate::{node_hash, Hash, Root, TreeSize};

/// The frontier of a growing tree and every perfect subtree at level `min_level` or above.
///
/// Appending a leaf costs one leaf-to-frontier merge: O(1) node hashes amortised. Memory is
/// about `2 * n / 2^min_level` hashes: at `min_level` 8, some 250 KB for a million leaves. Lower
/// subtrees are recomputed from the leaves by whoever holds them ([`perfect_root`]).
#[derive(Clone, Debug)]
pub struct CompactLevels {
    min_level: u32,
    size: u64,
    /// `frontier[l]`: the perfect subtree of level `l` on the right edge; valid when bit `l` of
    /// `size` is set.
    frontier: Vec<Hash>,
    /// `stored[l - min_level][i]`: the perfect subtree of level `l` over leaves from `i * 2^l`.
    stored: Vec<Vec<Hash>>,
}

impl CompactLevels {
    /// An empty tree keeping subtrees of level `min_level` (at most 63) and above.
    pub fn new(min_level: u32) -> CompactLevels {
        CompactLevels {
            min_level: min_level.min(63),
            size: 0,
            frontier: vec![Hash([0; 32]); 64],
            stored: Vec::new(),
        }
    }

    pub fn min_level(&self) -> u32 {
        self.min_level
    }

    pub fn size(&self) -> TreeSize {
        TreeSize(self.size)
    }

    /// Adds the next leaf, given as its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut level = 0u32;
        self.store(level, hash);
        while self.size >> level & 1 == 1 {
            hash = node_hash(&self.frontier[level as usize], &hash);
            level += 1;
            self.store(level, hash);
        }
        self.frontier[level as usize] = hash;
        self.size += 1;
    }

    fn store(&mut self, level: u32, hash: Hash) {
        if level < self.min_level {
            return;
        }
        let at = (level - self.min_level) as usize;
        if self.stored.len() <= at {
            self.stored.resize_with(at + 1, Vec::new);
        }
        self.stored[at].push(hash);
    }

    /// The root of the whole tree, from the frontier: O(log n), no leaf needed.
    pub fn root(&self) -> Root {
        if self.size == 0 {
            return crate::empty_root();
        }
        let mut bits = self.size;
        let low = bits.trailing_zeros();
        let mut hash = self.frontier[low as usize];
        bits &= bits - 1;
        while bits != 0 {
            let level = bits.trailing_zeros();
            hash = node_hash(&self.frontier[level as usize], &hash);
            bits &= bits - 1;
        }
        Root(hash)
    }

    /// The perfect subtree of `level` over the leaves from `index * 2^level`, if kept: its level
    /// is at least `min_level` and it is complete.
    pub fn stored(&self, level: u32, index: u64) -> Option<Hash> {
        let at = level.checked_sub(self.min_level)? as usize;
        let index = usize::try_from(index).ok()?;
        self.stored.get(at)?.get(index).copied()
    }

    /// Bytes held by the kept levels (not counting the fixed frontier).
    pub fn memory_bytes(&self) -> usize {
        self.stored
            .iter()
            .map(|level| level.capacity() * std::mem::size_of::<Hash>())
            .sum()
    }
}

/// The root of a perfect subtree from its leaf hashes (a power of two of them, at least one).
pub fn perfect_root(leaves: &[Hash]) -> Hash {
    debug_assert!(leaves.len().is_power_of_two());
    let mut level: Vec<Hash> = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}
