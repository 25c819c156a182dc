//! Verification reads a long chain in batches of 1,024 records on one thread and checks them on
//! another: damage is found at the same position whichever batch it falls in, or across
//! batches, as a single-threaded walk would. (The file keeps its name from when the range was
//! cut into pieces of 4,096 positions; those boundaries are batch boundaries too.)

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use journal::{Actor, ExpectedVersion, Journal, NewEvent, Options, Problem, Timestamp};
use ulid::Ulid;

/// More than two pieces of 4096 positions, and not a multiple of one.
const EVENTS: u64 = 10_000;

fn build() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Options::default()).unwrap();
    let mut id = 0u128;
    while journal.head().position.0 < EVENTS {
        let events = (0..1000)
            .map(|_| {
                id += 1;
                NewEvent {
                    id: Ulid(id),
                    event_type: "Noted".into(),
                    schema_version: 1,
                    occurred_at: Timestamp(1_700_000_000_000_000),
                    actor: Actor {
                        id: "m.rossi".into(),
                        role: "mediator".into(),
                    },
                    payload: b"{}".to_vec(),
                }
            })
            .collect();
        let stream = format!("case-{}", id % 7);
        journal
            .append_blocking(&stream, ExpectedVersion::Any, events)
            .unwrap()
            .unwrap();
    }
    journal.close();
    dir
}

fn tamper(dir: &Path, f: impl FnOnce(&mut BTreeMap<u64, Vec<u8>>)) {
    journal::tamper::edit(dir, f).unwrap();
}

fn problem(dir: &Path, from: Option<u64>, to: Option<u64>) -> Option<(u64, &'static str)> {
    let report = Journal::verify_dir(dir, from, to, &mut |_| {}).unwrap();
    report.problem.map(|(position, problem)| {
        let kind = match problem {
            Problem::MissingPosition => "MissingPosition",
            Problem::HashMismatch { .. } => "HashMismatch",
            Problem::Undecodable { .. } => "Undecodable",
            _ => "other",
        };
        (position.0, kind)
    })
}

/// Flips one bit of the stored record at `position` (again to mend it).
fn flip_byte(dir: &Path, position: u64) {
    tamper(dir, |records| {
        records.get_mut(&position).unwrap()[100] ^= 1;
    });
}

#[test]
fn damage_is_found_in_any_piece_and_across_pieces() {
    let dir = build();
    let report = Journal::verify_dir(dir.path(), None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.checked, EVENTS);
    // A range that starts and ends inside pieces.
    let report = Journal::verify_dir(dir.path(), Some(4000), Some(9001), &mut |_| {}).unwrap();
    assert!(report.is_intact());
    assert_eq!(report.checked, 5002);

    // The first record of the second batch.
    flip_byte(dir.path(), 1025);
    assert_eq!(
        problem(dir.path(), None, None),
        Some((1025, "HashMismatch"))
    );
    assert_eq!(problem(dir.path(), Some(1026), None), None);
    flip_byte(dir.path(), 1025);

    flip_byte(dir.path(), 5000);
    assert_eq!(
        problem(dir.path(), None, None),
        Some((5000, "HashMismatch"))
    );
    assert_eq!(problem(dir.path(), Some(5001), None), None);

    // A gap that spans a piece boundary, with records after it.
    tamper(dir.path(), |records| {
        for position in 4000..=9000u64 {
            records.remove(&position);
        }
    });
    assert_eq!(
        problem(dir.path(), None, None),
        Some((4000, "MissingPosition"))
    );
    assert_eq!(
        problem(dir.path(), Some(1), Some(3999)),
        None,
        "the part before the gap is intact"
    );

    // A stray key that is no position, inside a later piece.
    let mut key = 9500u64.to_be_bytes().to_vec();
    key.push(0);
    journal::tamper::put_raw(dir.path(), &key, b"x").unwrap();
    assert_eq!(
        problem(dir.path(), Some(9002), None),
        Some((0, "Undecodable"))
    );
}
