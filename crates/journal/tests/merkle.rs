//! The journal's Merkle tree: its roots agree with a tree built independently from the records,
//! its proofs verify for every size, it survives a reopen, and a rewritten journal is caught.

mod common;

use common::{event, TestClock};
use journal::merkle::{leaf_hash, CompactLevels, RangeError, Root, TreeSize};
use journal::{ExpectedVersion, Journal, JournalError, Position};

/// Appends `n` events, in appends of 1 to 5 events, to streams in turn.
fn fill(journal: &Journal, n: u128, salt: u128) {
    let mut id = 1u128;
    while id <= n {
        let len = (1 + id % 5).min(n + 1 - id);
        let events = (id..id + len).map(|i| event(salt + i, 0)).collect();
        journal
            .append_blocking(&format!("s-{}", id % 7), ExpectedVersion::Any, events)
            .unwrap()
            .unwrap();
        id += len;
    }
}

/// The root at every size, from the records' hashes alone, by a separate tree.
fn independent_roots(journal: &Journal) -> Vec<Root> {
    let mut levels = CompactLevels::new(63);
    let mut roots = vec![levels.root()];
    for record in journal.iter_forward(Position(1)) {
        levels.push(leaf_hash(&record.unwrap().hash.0));
        roots.push(levels.root());
    }
    roots
}

#[test]
fn roots_and_proofs_hold_for_every_size_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new(1_700_000_000_000_000);
    let journal = Journal::open(dir.path(), clock.options()).unwrap();
    assert_eq!(journal.tree_size(), TreeSize(0));
    fill(&journal, 700, 0);
    let roots = independent_roots(&journal);
    assert_eq!(journal.tree_head(), (TreeSize(700), roots[700]));
    let hashes: Vec<_> = journal
        .iter_forward(Position(1))
        .map(|r| leaf_hash(&r.unwrap().hash.0))
        .collect();
    for size in 1..=700u64 {
        assert_eq!(
            journal.root_at(TreeSize(size)).unwrap(),
            roots[size as usize]
        );
    }
    // Every position against a few sizes, among them sizes below and above the kept level (256).
    for size in [1u64, 2, 255, 256, 257, 511, 512, 513, 700] {
        for position in 1..=size {
            let proof = journal
                .inclusion_proof(Position(position), TreeSize(size))
                .unwrap();
            proof
                .verify(&hashes[position as usize - 1], &roots[size as usize])
                .unwrap();
        }
    }
    for from in (1..=700u64).step_by(7) {
        for to in [from, from + 1, 256, 511, 700] {
            if to < from || to > 700 {
                continue;
            }
            let proof = journal
                .consistency_proof(TreeSize(from), TreeSize(to))
                .unwrap();
            proof
                .verify(&roots[from as usize], &roots[to as usize])
                .unwrap();
        }
    }
    drop(journal);

    let journal = Journal::open(dir.path(), clock.options()).unwrap();
    assert_eq!(journal.tree_head(), (TreeSize(700), roots[700]));
    fill(&journal, 10, 10_000);
    let more = independent_roots(&journal);
    assert_eq!(journal.root(), more[710]);
    assert_eq!(more[700], roots[700]);
    journal
        .consistency_proof(TreeSize(700), TreeSize(710))
        .unwrap()
        .verify(&roots[700], &journal.root())
        .unwrap();
}

#[test]
fn proofs_beyond_the_head_are_refused_as_a_bad_request() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), TestClock::new(1).options()).unwrap();
    fill(&journal, 5, 0);
    assert!(matches!(
        journal.inclusion_proof(Position(3), TreeSize(6)),
        Err(JournalError::ProofRange(RangeError::Beyond {
            asked: 6,
            available: 5
        }))
    ));
    assert!(matches!(
        journal.inclusion_proof(Position(5), TreeSize(4)),
        Err(JournalError::ProofRange(RangeError::LeafOutsideTree { .. }))
    ));
    assert!(matches!(
        journal.inclusion_proof(Position(0), TreeSize(4)),
        Err(JournalError::ProofRange(_))
    ));
    assert!(matches!(
        journal.consistency_proof(TreeSize(0), TreeSize(4)),
        Err(JournalError::ProofRange(RangeError::BadSizes { .. }))
    ));
    assert!(matches!(
        journal.root_at(TreeSize(9)),
        Err(JournalError::ProofRange(RangeError::Beyond { .. }))
    ));
}

#[test]
fn a_journal_rewritten_with_a_valid_chain_fails_consistency_with_the_old_root() {
    // Journal A: what a checkpoint saw. Journal B: another history of the same length, itself a
    // valid chain, that then grew.
    let clock = TestClock::new(1_700_000_000_000_000);
    let a_dir = tempfile::tempdir().unwrap();
    let a = Journal::open(a_dir.path(), clock.options()).unwrap();
    fill(&a, 300, 0);
    let (a_size, a_root) = a.tree_head();
    let b_dir = tempfile::tempdir().unwrap();
    let b = Journal::open(b_dir.path(), clock.options()).unwrap();
    fill(&b, 300, 1_000_000);
    assert_eq!(b.tree_size(), a_size);
    assert!(b.verify(None, None, &mut |_| {}).unwrap().is_intact());
    fill(&b, 20, 2_000_000);
    let proof = b.consistency_proof(a_size, b.tree_size()).unwrap();
    let error = proof.verify(&a_root, &b.root()).unwrap_err();
    assert!(error.to_string().contains("not a prefix"), "{error}");
    // Its own history is consistent with itself.
    proof
        .verify(&b.root_at(a_size).unwrap(), &b.root())
        .unwrap();
}
