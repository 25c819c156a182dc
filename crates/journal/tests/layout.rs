//! The storage layout: records packed into blocks (format 2), and the move of a format-1
//! journal (one record per key) into blocks when it is opened, safe to interrupt.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use journal::{ExpectedVersion, Journal, Position, RecordedEvent};

use common::{event, TestClock};

/// Rewrites the closed journal in `dir` as format 1 left it: one record per key in `events`.
fn to_format_1(dir: &Path) -> BTreeMap<u64, Vec<u8>> {
    let records = journal::tamper::records(dir).unwrap();
    let db = common::open_sled(dir);
    assert!(db.drop_tree("blocks").unwrap());
    let events = db.open_tree("events").unwrap();
    for (position, bytes) in &records {
        events
            .insert(position.to_be_bytes(), bytes.as_slice())
            .unwrap();
    }
    db.open_tree("meta")
        .unwrap()
        .insert("format", &[1u8])
        .unwrap();
    db.flush().unwrap();
    // Format 1 came before the journal's log.
    std::fs::remove_dir_all(dir.join("log")).unwrap();
    records
}

fn format_and_trees(dir: &Path) -> (Vec<u8>, bool, bool) {
    let db = common::open_sled(dir);
    let format = db
        .open_tree("meta")
        .unwrap()
        .get("format")
        .unwrap()
        .unwrap();
    let names = db.tree_names();
    let has = |name: &str| names.iter().any(|n| n.as_ref() == name.as_bytes());
    (format.to_vec(), has("events"), has("blocks"))
}

fn assert_holds(dir: &Path, events: &[RecordedEvent]) {
    let journal = Journal::open(dir, TestClock::new(0).options()).unwrap();
    assert_eq!(journal.head().position.0, events.len() as u64);
    assert_eq!(
        journal.read_forward(Position(1), usize::MAX).unwrap(),
        events
    );
    let report = journal.verify(None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{report:?}");
    // It goes on appending after the move, into the blocks.
    let appended = journal
        .append_blocking("after", ExpectedVersion::NoStream, vec![event(1 << 90, 0)])
        .unwrap()
        .unwrap();
    assert_eq!(appended.first_position().0, events.len() as u64 + 1);
    journal.close();
    let journal = Journal::open(dir, TestClock::new(0).options()).unwrap();
    assert_eq!(journal.head().position.0, events.len() as u64 + 1);
    assert!(journal.verify(None, None, &mut |_| {}).unwrap().is_intact());
}

#[test]
fn a_format_1_journal_verifies_as_it_is_and_moves_into_blocks_when_opened() {
    let (dir, events) = common::build_closed(500);
    let records = to_format_1(dir.path());
    assert_eq!(records.len(), 500.max(events.len()));
    assert_eq!(format_and_trees(dir.path()), (vec![1], true, false));
    // verify_dir reads format 1 without changing it.
    let report = Journal::verify_dir(dir.path(), None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, events.len() as u64);
    assert_eq!(format_and_trees(dir.path()), (vec![1], true, false));

    assert_holds(dir.path(), &events);
    assert_eq!(format_and_trees(dir.path()), (vec![3], false, true));
    assert!(
        dir.path().join("log").is_dir(),
        "the log is written from sled"
    );
}

#[test]
fn a_move_into_blocks_cut_before_the_format_changed_starts_again() {
    let (dir, events) = common::build_closed(300);
    to_format_1(dir.path());
    {
        // Half of a move: some blocks written (one of them wrong), the format still 1.
        let db = common::open_sled(dir.path());
        let blocks = db.open_tree("blocks").unwrap();
        blocks
            .insert(1u64.to_be_bytes(), b"half a move".to_vec())
            .unwrap();
        blocks.insert(77u64.to_be_bytes(), b"\x05\x00").unwrap();
        db.flush().unwrap();
    }
    assert_holds(dir.path(), &events);
    assert_eq!(format_and_trees(dir.path()), (vec![3], false, true));
    assert!(
        dir.path().join("log").is_dir(),
        "the log is written from sled"
    );
}

#[test]
fn a_move_into_blocks_cut_after_the_format_changed_drops_the_old_tree() {
    let (dir, events) = common::build_closed(300);
    let records = journal::tamper::records(dir.path()).unwrap();
    {
        // The blocks are complete and the format says 2, but the old tree is still there.
        let db = common::open_sled(dir.path());
        let old = db.open_tree("events").unwrap();
        for (position, bytes) in &records {
            old.insert(position.to_be_bytes(), bytes.as_slice())
                .unwrap();
        }
        db.open_tree("meta")
            .unwrap()
            .insert("format", &[2u8])
            .unwrap();
        db.flush().unwrap();
    }
    // Format 2 came before the journal's log.
    std::fs::remove_dir_all(dir.path().join("log")).unwrap();
    assert_eq!(format_and_trees(dir.path()), (vec![2], true, true));
    assert_holds(dir.path(), &events);
    assert_eq!(format_and_trees(dir.path()), (vec![3], false, true));
    assert!(
        dir.path().join("log").is_dir(),
        "the log is written from sled"
    );
}

#[test]
fn single_appends_fill_blocks_and_every_position_reads_back() {
    // Appends of one event rewrite the last block as it grows: every record stays readable by
    // position, by id, forward and backward, across a reopen.
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), TestClock::new(5).options()).unwrap();
    for id in 1..=200u128 {
        journal
            .append_blocking(
                "one",
                ExpectedVersion::Exactly(id as u64 - 1),
                vec![event(id, 0)],
            )
            .unwrap()
            .unwrap();
    }
    journal.close();
    let journal = Journal::open(dir.path(), TestClock::new(5).options()).unwrap();
    let forward = journal.read_forward(Position(1), usize::MAX).unwrap();
    assert_eq!(forward.len(), 200);
    for (i, e) in forward.iter().enumerate() {
        assert_eq!(e.position.0, i as u64 + 1);
        assert_eq!(journal.get(e.position).unwrap().as_ref(), Some(e));
        assert_eq!(journal.get_by_id(e.id).unwrap().as_ref(), Some(e));
    }
    let mut backward = journal.read_backward(None, usize::MAX).unwrap();
    backward.reverse();
    assert_eq!(backward, forward);
    assert_eq!(
        journal.read_forward(Position(57), 3).unwrap(),
        forward[56..59]
    );
    assert_eq!(
        journal.read_backward(Some(Position(57)), 3).unwrap(),
        vec![
            forward[56].clone(),
            forward[55].clone(),
            forward[54].clone()
        ]
    );
    journal.close();
    let blocks = common::open_sled(dir.path())
        .open_tree("blocks")
        .unwrap()
        .len();
    assert!(
        (2..=50).contains(&blocks),
        "200 records of ~150 bytes in {blocks} blocks"
    );
}
