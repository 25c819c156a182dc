//! The write-ahead file: records a crash kept from sled come back at open; a torn tail is cut
//! off; a frame that disagrees with sled is damage.

mod common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use common::{event, TestClock};
use journal::{ExpectedVersion, Journal, JournalError, Position, Problem};

const WAL: &str = "impact.wal";

/// Two journals with the same clock and events: `full` has `n + k` events, `short` the first `n`.
fn twins(n: u128, k: u128) -> (tempfile::TempDir, tempfile::TempDir) {
    let clock = TestClock::new(1_700_000_000_000_000);
    let full = tempfile::tempdir().unwrap();
    let short = tempfile::tempdir().unwrap();
    let a = Journal::open(full.path(), clock.options()).unwrap();
    let b = Journal::open(short.path(), clock.options()).unwrap();
    for id in 1..=n + k {
        let stream = format!("s-{}", id % 3);
        a.append_blocking(&stream, ExpectedVersion::Any, vec![event(id, 0)])
            .unwrap()
            .unwrap();
        if id <= n {
            b.append_blocking(&stream, ExpectedVersion::Any, vec![event(id, 0)])
                .unwrap()
                .unwrap();
        }
    }
    (full, short)
}

fn frames(dir: &Path, from: u64, to: u64) -> Vec<u8> {
    let journal = Journal::open(dir, TestClock::new(0).options()).unwrap();
    let mut out = Vec::new();
    for p in from..=to {
        let bytes = journal.get(Position(p)).unwrap().unwrap().stored_bytes();
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// Writes frames at the start of the write-ahead file, as the writer does after a checkpoint.
fn write_wal(dir: &Path, bytes: &[u8]) {
    let file = OpenOptions::new().write(true).open(dir.join(WAL)).unwrap();
    file.write_all_at(bytes, 0).unwrap();
}

fn starts_with_end_mark(dir: &Path) -> bool {
    let bytes = std::fs::read(dir.join(WAL)).unwrap();
    bytes.len() >= 4 && bytes[..4] == [0, 0, 0, 0]
}

#[test]
fn a_clean_close_leaves_nothing_to_read_back() {
    let (full, _short) = twins(20, 0);
    assert!(starts_with_end_mark(full.path()));
    let size = std::fs::metadata(full.path().join(WAL)).unwrap().len();
    assert_eq!(
        size,
        256 * 1024,
        "the file is allocated at its full size once"
    );
}

#[test]
fn appends_beyond_the_file_size_cycle_through_checkpoints() {
    // 256 KiB of frames holds about 1,800 of these records: write several times that.
    let clock = TestClock::new(1_700_000_000_000_000);
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), clock.options()).unwrap();
    for chunk in 0..20u128 {
        let events = (0..500).map(|i| event(chunk * 1000 + i + 1, 0)).collect();
        journal
            .append_blocking("bulk", ExpectedVersion::Any, events)
            .unwrap()
            .unwrap();
    }
    let head = journal.head();
    drop(journal);
    assert_eq!(
        std::fs::metadata(dir.path().join(WAL)).unwrap().len(),
        256 * 1024,
        "the file does not grow"
    );
    let reopened = Journal::open(dir.path(), clock.options()).unwrap();
    assert_eq!(reopened.head(), head);
    assert_eq!(head.position, Position(10_000));
    assert!(reopened
        .verify(None, None, &mut |_| {})
        .unwrap()
        .is_intact());
}

#[test]
fn records_missing_from_sled_are_restored_and_a_torn_tail_is_cut() {
    let (full, short) = twins(30, 10);
    let mut wal = frames(full.path(), 25, 39); // overlaps what sled has, then goes beyond
    let torn = frames(full.path(), 40, 40);
    wal.extend_from_slice(&torn[..torn.len() / 2]); // a frame a crash interrupted
    write_wal(short.path(), &wal);

    let restored = Journal::open(short.path(), TestClock::new(0).options()).unwrap();
    let original = Journal::open(full.path(), TestClock::new(0).options()).unwrap();
    assert_eq!(
        restored.head().position,
        Position(39),
        "the torn 40th is not restored"
    );
    assert_eq!(
        restored.read_forward(Position(1), 100).unwrap(),
        original.read_forward(Position(1), 39).unwrap()
    );
    assert!(restored
        .verify(None, None, &mut |_| {})
        .unwrap()
        .is_intact());
    drop(restored);
    assert!(
        starts_with_end_mark(short.path()),
        "a new cycle starts once the restored records are durable in sled"
    );
}

#[test]
fn a_frame_that_disagrees_with_sled_is_damage() {
    let (_full, short) = twins(10, 0);
    // Position 5 of another history: same position, other bytes.
    let clock = TestClock::new(1_800_000_000_000_000);
    let other = tempfile::tempdir().unwrap();
    let journal = Journal::open(other.path(), clock.options()).unwrap();
    for id in 100..105u128 {
        journal
            .append_blocking("x", ExpectedVersion::Any, vec![event(id, 0)])
            .unwrap()
            .unwrap();
    }
    drop(journal);
    write_wal(short.path(), &frames(other.path(), 5, 5));
    match Journal::open(short.path(), TestClock::new(0).options()) {
        Err(JournalError::Corrupt { position, problem }) => {
            assert_eq!(position, Position(5));
            assert!(
                matches!(problem, Problem::HashMismatch { .. }),
                "{problem:?}"
            );
        }
        Err(other) => panic!("expected Corrupt at 5, got {other}"),
        Ok(_) => panic!("expected Corrupt at 5, the journal opened"),
    }
}

#[test]
fn a_frame_beyond_a_gap_is_damage() {
    let (full, short) = twins(10, 5);
    write_wal(short.path(), &frames(full.path(), 13, 15)); // 11 and 12 are missing
    match Journal::open(short.path(), TestClock::new(0).options()) {
        Err(JournalError::Corrupt { position, problem }) => {
            assert_eq!(position, Position(12));
            assert_eq!(problem, Problem::MissingPosition);
        }
        Err(other) => panic!("expected Corrupt at 12, got {other}"),
        Ok(_) => panic!("expected Corrupt at 12, the journal opened"),
    }
}
