//! `Journal::import_recorded` takes records as another journal stored them, and keeps appends
//! whole: records that end inside an append, or that do not fit the append they name, are refused
//! and nothing is written (a torn append below the head would make the journal refuse to open).

mod common;

use journal::{chain_hash, ChainHash, Journal, JournalError, RecordedEvent};

use common::TestClock;

/// Recomputes every link and hash, as a forger of an export would.
fn rechain(events: &mut [RecordedEvent]) {
    let mut prev = ChainHash::genesis();
    for event in events {
        event.prev_hash = prev;
        event.hash = chain_hash(&prev, &event.body_bytes());
        prev = event.hash;
    }
}

/// Imports `records` into a new journal: the outcome, and the head afterwards.
fn import(records: Vec<RecordedEvent>) -> (Result<u64, String>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let journal = Journal::open(dir.path(), TestClock::new(0).options()).unwrap();
    let outcome = runtime
        .block_on(journal.import_recorded(records))
        .map(|head| head.position.0)
        .map_err(|e| match e {
            JournalError::InvalidAppend(why) => why,
            other => panic!("expected InvalidAppend, got {other}"),
        });
    let head = journal.head().position.0;
    journal.close();
    // Whatever was accepted opens again.
    let journal = Journal::open(dir.path(), TestClock::new(0).options()).unwrap();
    assert_eq!(journal.head().position.0, head);
    (outcome, head)
}

fn first_append_of(events: &[RecordedEvent], len: u16) -> usize {
    events
        .iter()
        .position(|e| e.append_len == len && e.append_index == 0)
        .unwrap()
}

#[test]
fn a_whole_export_is_imported_as_it_was() {
    let (_dir, events) = common::build_closed(60);
    let n = events.len() as u64;
    assert_eq!(import(events), (Ok(n), n));
}

#[test]
fn records_that_end_inside_an_append_are_refused() {
    let (_dir, events) = common::build_closed(60);
    let start = first_append_of(&events, 3);
    let (outcome, head) = import(events[..start + 2].to_vec());
    let why = outcome.unwrap_err();
    assert!(why.contains("end inside an append"), "{why}");
    assert_eq!(head, 0, "nothing is written");
}

#[test]
fn a_record_out_of_its_append_is_refused_even_with_every_hash_recomputed() {
    let (_dir, events) = common::build_closed(60);

    // Event 1 of an append of 1.
    let mut forged = events.clone();
    let single = first_append_of(&forged, 1);
    forged[single].append_index = 1;
    rechain(&mut forged);
    let (outcome, head) = import(forged);
    let why = outcome.unwrap_err();
    assert!(why.contains("event 1 of an append of 1"), "{why}");
    assert_eq!(head, 0);

    // The second event of an append of two that claims an append of five.
    let mut forged = events.clone();
    let pair = first_append_of(&forged, 2);
    forged[pair + 1].append_len = 5;
    rechain(&mut forged);
    let (outcome, _) = import(forged);
    let why = outcome.unwrap_err();
    assert!(
        why.contains(&format!("position {}", pair + 2)) && why.contains("does not follow"),
        "{why}"
    );

    // An append index far past the position (a u16 near its end).
    let mut forged = events;
    forged[0].append_index = u16::MAX;
    forged[0].append_len = u16::MAX;
    rechain(&mut forged);
    let (outcome, _) = import(forged);
    assert!(outcome.unwrap_err().contains("position 1"));
}
