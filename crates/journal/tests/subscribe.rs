//! Subscriptions started at every position while appends continue: each delivers exactly the
//! events from its start to the last acknowledged one, in order, then ends when the journal
//! closes.

mod common;

use std::time::Duration;

use journal::{ExpectedVersion, Journal, Options, Position, RecordedEvent};

use common::event;

const WRITERS: u128 = 4;
const APPENDS: u128 = 50;

/// Events each writer appends: lengths 1, 2, 3, 1, ...
fn total_events() -> u64 {
    (0..APPENDS).map(|i| 1 + (i % 3) as u64).sum::<u64>() * WRITERS as u64
}

async fn drain(mut sub: journal::Subscription) -> Vec<RecordedEvent> {
    let mut out = Vec::new();
    while let Some(event) = sub.next().await {
        out.push(event.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscriptions_from_every_position_see_no_gap_and_no_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Options::default()).unwrap();
    let total = total_events();

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let journal = journal.clone();
            tokio::spawn(async move {
                for i in 0..APPENDS {
                    let events = (0..1 + i % 3)
                        .map(|k| event((w << 64) | (i << 8) | k, 0))
                        .collect();
                    journal
                        .append(
                            &format!("case-{}", (w + i) % 5),
                            ExpectedVersion::Any,
                            events,
                        )
                        .await
                        .unwrap()
                        .unwrap();
                }
            })
        })
        .collect();

    // One subscription per position (and one before the first, and past the last), started
    // while the writers run: some catch up from disk, some wait for live appends.
    let subscriber = journal.clone();
    let starter = tokio::spawn(async move {
        let mut subs = Vec::new();
        for from in 0..=total + 1 {
            let sub = subscriber.subscribe(Position(from));
            assert_eq!(sub.next_position(), Position(from.max(1)));
            subs.push((from, tokio::spawn(drain(sub))));
            if from % 8 == 0 {
                tokio::task::yield_now().await;
            }
        }
        subs
    });

    for writer in writers {
        writer.await.unwrap();
    }
    let subs = starter.await.unwrap();
    let all = journal.read_forward(Position(1), usize::MAX).unwrap();
    assert_eq!(all.len() as u64, total);
    // Closing the journal ends every subscription once it has delivered everything.
    drop(journal);

    for (from, task) in subs {
        let got = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .unwrap_or_else(|_| panic!("subscription from {from} did not end"))
            .unwrap();
        let start = usize::try_from(from.max(1) - 1).unwrap().min(all.len());
        assert_eq!(
            got.len(),
            all.len() - start,
            "subscription from {from} delivered a wrong number of events"
        );
        assert!(got == all[start..], "subscription from {from} differs");
    }
}
