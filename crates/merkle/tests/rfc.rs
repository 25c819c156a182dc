//! The tree and its proofs against a naive transcription of RFC 9162 §2.1 (MTH, PATH, SUBPROOF
//! computed recursively over a `Vec` of leaves), for every size up to 300, and at random sizes up
//! to 1,000,000 with proptest.

use std::convert::Infallible;

use merkle::{
    empty_root, leaf_hash, node_hash, perfect_root, prove_consistency, prove_inclusion, root,
    CompactLevels, ConsistencyProof, Hash, InclusionProof, LeafIndex, ProofError, RangeError, Root,
    Subtrees, TreeSize,
};
use proptest::prelude::*;

/// Leaf data as the journal gives it: a 32-byte hash (here of the leaf number).
fn leaf(i: u64) -> Hash {
    leaf_hash(blake3::hash(&i.to_be_bytes()).as_bytes())
}

fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(leaf).collect()
}

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) of RFC 9162 §2.1.1, over leaf hashes.
fn naive_mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root().0,
        1 => d[0],
        n => {
            let k = k_of(n);
            node_hash(&naive_mth(&d[..k]), &naive_mth(&d[k..]))
        }
    }
}

/// PATH(m, D[n]) of §2.1.3.1.
fn naive_path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n == 1 {
        return Vec::new();
    }
    let k = k_of(n);
    if m < k {
        let mut p = naive_path(m, &d[..k]);
        p.push(naive_mth(&d[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &d[k..]);
        p.push(naive_mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b) of §2.1.4.1.
fn naive_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![naive_mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = naive_subproof(m, &d[..k], b);
        p.push(naive_mth(&d[k..]));
        p
    } else {
        let mut p = naive_subproof(m - k, &d[k..], false);
        p.push(naive_mth(&d[..k]));
        p
    }
}

/// Every leaf in memory.
struct AllLeaves(Vec<Hash>);

impl Subtrees for AllLeaves {
    type Error = Infallible;
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, Infallible> {
        let start = usize::try_from(index << level).unwrap();
        Ok(perfect_root(&self.0[start..start + (1usize << level)]))
    }
}

/// Upper levels kept, lower ones recomputed from a leaf function: the journal's arrangement.
struct Leveled<F: Fn(u64) -> Hash> {
    levels: CompactLevels,
    leaf: F,
}

impl<F: Fn(u64) -> Hash> Subtrees for Leveled<F> {
    type Error = Infallible;
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, Infallible> {
        if let Some(hash) = self.levels.stored(level, index) {
            return Ok(hash);
        }
        assert!(level < self.levels.min_level(), "a kept level was missing");
        let start = index << level;
        let leaves: Vec<Hash> = (start..start + (1u64 << level)).map(&self.leaf).collect();
        Ok(perfect_root(&leaves))
    }
}

/// A tree whose leaves come from [`leaf`].
type Generated = Leveled<fn(u64) -> Hash>;

fn leveled(n: u64, min_level: u32) -> Generated {
    let mut levels = CompactLevels::new(min_level);
    for i in 0..n {
        levels.push(leaf(i));
    }
    Leveled { levels, leaf }
}

#[test]
fn the_empty_tree_has_the_hash_of_no_bytes() {
    assert_eq!(empty_root().0 .0, *blake3::hash(b"").as_bytes());
    assert_eq!(CompactLevels::new(8).root(), empty_root());
    assert_eq!(root(&AllLeaves(vec![]), TreeSize(0)).unwrap(), empty_root());
}

#[test]
fn leaf_and_node_hashes_are_domain_separated() {
    let data = [7u8; 32];
    let mut leaf_input = vec![0u8];
    leaf_input.extend_from_slice(&data);
    assert_eq!(leaf_hash(&data).0, *blake3::hash(&leaf_input).as_bytes());
    let (a, b) = (leaf(1), leaf(2));
    let mut node_input = vec![1u8];
    node_input.extend_from_slice(&a.0);
    node_input.extend_from_slice(&b.0);
    assert_eq!(node_hash(&a, &b).0, *blake3::hash(&node_input).as_bytes());
    // A node can never be passed off as a leaf of the same bytes.
    assert_ne!(leaf_hash(&node_input[1..]), node_hash(&a, &b));
}

#[test]
fn roots_match_the_rfc_for_every_size_up_to_300() {
    let all = leaves(300);
    let mut growing = CompactLevels::new(3);
    for n in 1..=300usize {
        growing.push(all[n - 1]);
        let expected = naive_mth(&all[..n]);
        assert_eq!(growing.root(), Root(expected), "frontier root, size {n}");
        let source = AllLeaves(all[..n].to_vec());
        let size = TreeSize(n as u64);
        assert_eq!(root(&source, size).unwrap(), Root(expected), "size {n}");
        let kept = Leveled {
            levels: growing.clone(),
            leaf,
        };
        assert_eq!(
            root(&kept, size).unwrap(),
            Root(expected),
            "leveled, size {n}"
        );
    }
}

#[test]
fn inclusion_proofs_match_the_rfc_for_every_index_of_every_size_up_to_300() {
    let all = leaves(300);
    let kept = leveled(300, 3);
    for n in 1..=300usize {
        let size = TreeSize(n as u64);
        let root_n = Root(naive_mth(&all[..n]));
        for m in 0..n {
            let proof = prove_inclusion(&kept, LeafIndex(m as u64), size).unwrap();
            assert_eq!(proof.path, naive_path(m, &all[..n]), "PATH({m}, D[{n}])");
            proof.verify(&all[m], &root_n).unwrap();
            // The same proof does not pass for another leaf, nor for a tree one leaf bigger.
            let other = all[(m + 1) % 300];
            assert!(proof.verify(&other, &root_n).is_err());
            if n < 300 {
                assert!(proof.verify(&all[m], &Root(naive_mth(&all[..=n]))).is_err());
            }
        }
    }
}

#[test]
fn consistency_proofs_match_the_rfc_for_every_pair_of_sizes_up_to_300() {
    let all = leaves(300);
    let kept = leveled(300, 3);
    let roots: Vec<Root> = (0..=300).map(|n| Root(naive_mth(&all[..n]))).collect();
    for n in 1..=300usize {
        for m in 1..=n {
            let proof = prove_consistency(&kept, TreeSize(m as u64), TreeSize(n as u64)).unwrap();
            assert_eq!(
                proof.path,
                naive_subproof(m, &all[..n], true),
                "PROOF({m}, D[{n}])"
            );
            proof.verify(&roots[m], &roots[n]).unwrap();
            if m < n {
                // Not a proof for the neighbouring old root.
                assert!(proof.verify(&roots[m - 1], &roots[n]).is_err() || m == 1);
            }
        }
    }
}

#[test]
fn a_tampered_inclusion_proof_is_rejected_with_a_reason() {
    let kept = leveled(100, 2);
    let r = root(&kept, TreeSize(100)).unwrap();
    let proof = prove_inclusion(&kept, LeafIndex(37), TreeSize(100)).unwrap();
    proof.verify(&leaf(37), &r).unwrap();
    for i in 0..proof.path.len() {
        let mut bad = proof.clone();
        bad.path[i].0[0] ^= 1;
        assert!(matches!(
            bad.verify(&leaf(37), &r),
            Err(ProofError::RootMismatch { .. })
        ));
    }
    let mut short = proof.clone();
    short.path.pop();
    assert!(matches!(
        short.verify(&leaf(37), &r),
        Err(ProofError::WrongLength { .. })
    ));
    let mut long = proof.clone();
    long.path.push(leaf(1));
    assert!(matches!(
        long.verify(&leaf(37), &r),
        Err(ProofError::WrongLength { .. })
    ));
    let mut moved = proof.clone();
    moved.leaf_index = LeafIndex(36);
    assert!(moved.verify(&leaf(37), &r).is_err());
    let mut outside = proof;
    outside.leaf_index = LeafIndex(100);
    assert_eq!(
        outside.verify(&leaf(37), &r),
        Err(ProofError::IndexOutsideTree {
            index: 100,
            size: 100
        })
    );
}

#[test]
fn a_tampered_consistency_proof_is_rejected_with_a_reason() {
    let kept = leveled(100, 2);
    let old = root(&kept, TreeSize(37)).unwrap();
    let new = root(&kept, TreeSize(100)).unwrap();
    let proof = prove_consistency(&kept, TreeSize(37), TreeSize(100)).unwrap();
    proof.verify(&old, &new).unwrap();
    for i in 0..proof.path.len() {
        let mut bad = proof.clone();
        bad.path[i].0[5] ^= 0x80;
        assert!(bad.verify(&old, &new).is_err(), "hash {i} altered");
    }
    let mut short = proof.clone();
    short.path.pop();
    assert!(matches!(
        short.verify(&old, &new),
        Err(ProofError::WrongLength { .. })
    ));
    assert_eq!(
        ConsistencyProof {
            from: TreeSize(0),
            to: TreeSize(3),
            path: vec![]
        }
        .verify(&old, &new),
        Err(ProofError::BadSizes { from: 0, to: 3 })
    );
    let same = ConsistencyProof {
        from: TreeSize(37),
        to: TreeSize(37),
        path: vec![],
    };
    assert_eq!(
        same.verify(&old, &new),
        Err(ProofError::SameSizeDifferentRoots { size: 37 })
    );
}

#[test]
fn a_rewritten_log_of_the_same_length_fails_consistency_with_its_old_root() {
    // Log A is what a checkpoint saw at size 50; log B differs at leaf 20 and has grown to 80.
    let a = leveled(50, 2);
    let old_root = root(&a, TreeSize(50)).unwrap();
    let b_leaf = |i: u64| if i == 20 { leaf(10_000) } else { leaf(i) };
    let mut levels = CompactLevels::new(2);
    for i in 0..80 {
        levels.push(b_leaf(i));
    }
    let b = Leveled {
        levels,
        leaf: b_leaf,
    };
    let proof = prove_consistency(&b, TreeSize(50), TreeSize(80)).unwrap();
    let new_root = root(&b, TreeSize(80)).unwrap();
    let error = proof.verify(&old_root, &new_root).unwrap_err();
    assert!(matches!(error, ProofError::NotAnExtension { from: 50, .. }));
    assert!(error.to_string().contains("rewritten"), "{error}");
}

#[test]
fn proofs_are_refused_for_sizes_that_do_not_fit() {
    let kept = leveled(10, 2);
    assert!(matches!(
        prove_inclusion(&kept, LeafIndex(10), TreeSize(10)),
        Err(merkle::ProveError::Range(RangeError::LeafOutsideTree {
            index: 10,
            size: 10
        }))
    ));
    assert!(matches!(
        prove_consistency(&kept, TreeSize(0), TreeSize(10)),
        Err(merkle::ProveError::Range(RangeError::BadSizes { .. }))
    ));
    assert!(matches!(
        prove_consistency(&kept, TreeSize(6), TreeSize(5)),
        Err(merkle::ProveError::Range(RangeError::BadSizes { .. }))
    ));
}

/// The leaves of one big tree, shared by the random cases (built once, ~1M pushes).
fn big() -> &'static Generated {
    static BIG: std::sync::OnceLock<Generated> = std::sync::OnceLock::new();
    BIG.get_or_init(|| leveled(1_000_000, 8))
}

/// The root of the first n leaves, computed by the frontier of a separate tree (not by the code
/// that generates proofs).
fn frontier_root(n: u64) -> Root {
    let mut levels = CompactLevels::new(63);
    for i in 0..n {
        levels.push(leaf(i));
    }
    levels.root()
}

fn cases() -> u32 {
    std::env::var("MERKLE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn proofs_verify_at_random_sizes_up_to_a_million(
        size in 1u64..=1_000_000,
        index_seed in any::<u64>(),
        from_seed in any::<u64>(),
    ) {
        let tree = big();
        let index = index_seed % size;
        let from = 1 + from_seed % size;
        let root_n = frontier_root(size);
        prop_assert_eq!(root(tree, TreeSize(size)).unwrap(), root_n);
        let proof: InclusionProof = prove_inclusion(tree, LeafIndex(index), TreeSize(size)).unwrap();
        prop_assert!(proof.verify(&leaf(index), &root_n).is_ok());
        prop_assert!(proof.verify(&leaf(index + 1), &root_n).is_err());
        let root_m = frontier_root(from);
        let consistency = prove_consistency(tree, TreeSize(from), TreeSize(size)).unwrap();
        prop_assert!(consistency.verify(&root_m, &root_n).is_ok());
        if from < size {
            prop_assert!(consistency.verify(&root_n, &root_n).is_err() || root_m == root_n);
        }
    }
}

#[test]
fn kept_levels_use_little_memory() {
    let tree = big();
    // About 2n / 256 hashes of 32 bytes; far from the 32 MB all nodes would take.
    assert!(
        tree.levels.memory_bytes() < 400_000,
        "{}",
        tree.levels.memory_bytes()
    );
}
