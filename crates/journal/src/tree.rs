//! The Merkle tree over the chain: roots and proofs.
//!
//! Leaf data is a record's 32-byte hash; position p is leaf index p - 1. The index keeps the
//! frontier and every perfect subtree of level [`KEPT_LEVEL`] and above (about 2n / 256 hashes:
//! some 250 KB at a million events); a lower subtree is recomputed from the hashes of its at most
//! 2^`KEPT_LEVEL` records, read from sled. Appending costs a leaf hash and, amortised, one node
//! hash per event, under the index lock the writer takes anyway.

use merkle::{
    ConsistencyProof, Hash, InclusionProof, LeafIndex, ProveError, RangeError, Root, Subtrees,
    TreeSize,
};

use crate::blocks::{Layout, Slots};
use crate::error::{JournalError, Problem};
use crate::record::{ChainHash, Position};
use crate::store::{Journal, Shared};

/// Subtrees of this level and above stay in memory.
pub(crate) const KEPT_LEVEL: u32 = 8;

pub(crate) fn new_levels() -> merkle::CompactLevels {
    merkle::CompactLevels::new(KEPT_LEVEL)
}

/// The leaf hash of a record: RFC 9162's leaf hash of its chain hash.
pub(crate) fn leaf(hash: &ChainHash) -> Hash {
    merkle::leaf_hash(&hash.0)
}

/// Subtrees for the proof algorithms: kept levels from memory, lower ones from sled.
struct Source<'a> {
    shared: &'a Shared,
}

impl Subtrees for Source<'_> {
    type Error = JournalError;

    fn subtree(&self, level: u32, index: u64) -> Result<Hash, JournalError> {
        if level >= KEPT_LEVEL {
            if let Some(hash) = self.shared.index.read().tree.stored(level, index) {
                return Ok(hash);
            }
            // Only complete subtrees inside the tree are asked for, and all such are kept.
            return Err(JournalError::Corrupt {
                position: Position((index << level) + 1),
                problem: Problem::MissingPosition,
            });
        }
        let first = (index << level) + 1;
        let count = 1u64 << level;
        let last = first + count - 1;
        let mut leaves = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut expected = first;
        for slot in Slots::new(
            &self.shared.blocks,
            Layout::Blocks,
            Position(first),
            Position(last),
        ) {
            let slot = slot?;
            let position = slot.at;
            let value = slot.bytes();
            if position.0 != expected {
                return Err(JournalError::Corrupt {
                    position: Position(expected),
                    problem: Problem::MissingPosition,
                });
            }
            let hash: [u8; 32] = value
                .len()
                .checked_sub(32)
                .and_then(|at| value[at..].try_into().ok())
                .ok_or(JournalError::Corrupt {
                    position,
                    problem: Problem::Undecodable {
                        reason: "shorter than a hash".into(),
                    },
                })?;
            leaves.push(leaf(&ChainHash(hash)));
            expected += 1;
        }
        if expected != last + 1 {
            return Err(JournalError::Corrupt {
                position: Position(expected),
                problem: Problem::MissingPosition,
            });
        }
        Ok(merkle::perfect_root(&leaves))
    }
}

fn flatten(error: ProveError<JournalError>) -> JournalError {
    match error {
        ProveError::Range(range) => JournalError::ProofRange(range),
        ProveError::Source(source) => source,
    }
}

impl Journal {
    /// The tree's size and root as of the acknowledged head (one consistent pair), from memory.
    pub fn tree_head(&self) -> (TreeSize, Root) {
        let index = self.shared.index.read();
        (index.tree.size(), index.tree.root())
    }

    /// The number of leaves: the head position.
    pub fn tree_size(&self) -> TreeSize {
        self.shared.index.read().tree.size()
    }

    /// The root as of the acknowledged head.
    pub fn root(&self) -> Root {
        self.shared.index.read().tree.root()
    }

    fn check_size(&self, size: TreeSize) -> Result<(), JournalError> {
        let available = self.tree_size();
        if size > available {
            return Err(RangeError::Beyond {
                asked: size.0,
                available: available.0,
            }
            .into());
        }
        Ok(())
    }

    /// The root the tree had at `size` (reads at most a few hundred record hashes).
    pub fn root_at(&self, size: TreeSize) -> Result<Root, JournalError> {
        self.check_size(size)?;
        merkle::root(
            &Source {
                shared: &self.shared,
            },
            size,
        )
    }

    /// The proof that the record at `position` is in the tree of `size`.
    pub fn inclusion_proof(
        &self,
        position: Position,
        size: TreeSize,
    ) -> Result<InclusionProof, JournalError> {
        self.check_size(size)?;
        if position.0 == 0 {
            return Err(RangeError::LeafOutsideTree {
                index: 0,
                size: size.0,
            }
            .into());
        }
        merkle::prove_inclusion(
            &Source {
                shared: &self.shared,
            },
            LeafIndex(position.0 - 1),
            size,
        )
        .map_err(flatten)
    }

    /// The proof that the tree of `to` extends the tree of `from`.
    pub fn consistency_proof(
        &self,
        from: TreeSize,
        to: TreeSize,
    ) -> Result<ConsistencyProof, JournalError> {
        self.check_size(to)?;
        merkle::prove_consistency(
            &Source {
                shared: &self.shared,
            },
            from,
            to,
        )
        .map_err(flatten)
    }

    /// Bytes the tree's kept levels take in memory.
    pub fn tree_memory_bytes(&self) -> usize {
        self.shared.index.read().tree.memory_bytes()
    }
}
