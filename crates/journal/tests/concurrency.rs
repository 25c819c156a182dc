//! Many tasks appending at once: optimistic concurrency picks exactly one winner per expected
//! version, and group commit leaves positions and stream versions gap-free.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use journal::{ExpectedVersion, Journal, NewEvent, Options, Position, RecordedEvent, Rejected};
use tokio::sync::Barrier;

use common::event;

const TASKS: usize = 32;

fn ids(task: usize, step: usize, len: usize) -> Vec<NewEvent> {
    (0..len)
        .map(|i| {
            event(
                ((task as u128) << 64) | ((step as u128) << 16) | i as u128,
                0,
            )
        })
        .collect()
}

/// Checks what every concurrent test must leave behind: positions 1..=N, each stream's
/// versions 1..=len in position order, an intact chain, and every acknowledged event readable.
fn check_journal(journal: &Journal, acked: &[RecordedEvent]) {
    let all = journal.read_forward(Position(1), usize::MAX).unwrap();
    assert_eq!(
        all.len(),
        acked.len(),
        "every stored event was acknowledged once"
    );
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.position, Position(i as u64 + 1), "positions are gap-free");
    }
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for e in &all {
        let v = versions.entry(&e.stream).or_default();
        *v += 1;
        assert_eq!(e.version, *v, "versions of {} are gap-free", e.stream);
    }
    for (stream, v) in &versions {
        assert_eq!(journal.stream_version(stream), *v);
    }
    for e in acked {
        assert_eq!(journal.get_by_id(e.id).unwrap().as_ref(), Some(e));
    }
    let report = journal.verify(None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, acked.len() as u64);
    assert_eq!(journal.head().hash, all.last().unwrap().hash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_append_wins_each_expected_version() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Options::default()).unwrap();
    let mut acked = Vec::new();
    for round in 0..8 {
        let version = journal.stream_version("case-shared");
        let barrier = Arc::new(Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let journal = journal.clone();
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    let events = ids(task, round, 1 + task % 3);
                    barrier.wait().await;
                    journal
                        .append("case-shared", ExpectedVersion::Exactly(version), events)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: one winner, got {outcomes:?}"
        );
        let winner = winners[0];
        assert!(!winner.already_recorded);
        assert_eq!(winner.events[0].version, version + 1);
        let actual = version + winner.events.len() as u64;
        for outcome in &outcomes {
            if let Err(rejected) = outcome {
                match rejected {
                    Rejected::Conflict(c) => {
                        assert_eq!(c.stream, "case-shared");
                        assert_eq!(c.expected, ExpectedVersion::Exactly(version));
                        assert_eq!(c.actual, actual, "the conflict names the actual version");
                    }
                    other => panic!("expected a conflict, got {other:?}"),
                }
            }
        }
        acked.extend(winner.events.iter().cloned());
        assert_eq!(journal.stream_version("case-shared"), actual);
    }
    check_journal(&journal, &acked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_to_many_streams_stay_gap_free() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Options::default()).unwrap();
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let journal = journal.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let mut acked = Vec::new();
                let mut counter_wins = 0u64;
                for step in 0..12 {
                    let len = 1 + (task + step) % 3;
                    let events = ids(task, step, len);
                    let outcome = match step % 3 {
                        // Its own stream, with the version only it advances.
                        0 => {
                            let own = format!("case-{task}");
                            let version = journal.stream_version(&own);
                            journal
                                .append(&own, ExpectedVersion::Exactly(version), events)
                                .await
                        }
                        // A few busy streams, no check.
                        1 => {
                            journal
                                .append(&format!("hot-{}", task % 3), ExpectedVersion::Any, events)
                                .await
                        }
                        // One contended stream: read the version, append, retry on conflict.
                        _ => loop {
                            let version = journal.stream_version("counter");
                            let outcome = journal
                                .append(
                                    "counter",
                                    ExpectedVersion::Exactly(version),
                                    events.clone(),
                                )
                                .await;
                            match outcome {
                                Ok(Err(Rejected::Conflict(c))) => {
                                    assert!(c.actual > version, "{c:?}");
                                    tokio::task::yield_now().await;
                                }
                                other => {
                                    counter_wins += len as u64;
                                    break other;
                                }
                            }
                        },
                    };
                    let appended = outcome.unwrap().unwrap();
                    assert!(!appended.already_recorded);
                    assert_eq!(appended.events.len(), len);
                    acked.extend(appended.events);
                }
                (acked, counter_wins)
            })
        })
        .collect();
    let mut acked = Vec::new();
    let mut counter = 0;
    for task in tasks {
        let (events, wins) = task.await.unwrap();
        acked.extend(events);
        counter += wins;
    }
    acked.sort_by_key(|e| e.position);
    assert_eq!(journal.stream_version("counter"), counter);
    check_journal(&journal, &acked);
    // However the appends were grouped into commits, each is contiguous, whole and one stream's.
    let mut by_append: BTreeMap<u64, Vec<&RecordedEvent>> = BTreeMap::new();
    for e in &acked {
        by_append
            .entry(e.position.0 - u64::from(e.append_index))
            .or_default()
            .push(e);
    }
    for (start, events) in by_append {
        assert_eq!(
            events.len(),
            usize::from(events[0].append_len),
            "append at {start}"
        );
        assert!(events.iter().all(|e| e.stream == events[0].stream));
    }
    drop(journal);
    let reopened = Journal::open(dir.path(), Options::default()).unwrap();
    check_journal(&reopened, &acked);
}
