//! Behaviour of one journal, step by step: append, conflict, idempotency, reads, reopen.

use journal::{Actor, ExpectedVersion, Journal, NewEvent, Options, Position, Rejected, Timestamp};
use ulid::Ulid;

fn event(n: u128, payload: &str) -> NewEvent {
    NewEvent {
        id: Ulid(n),
        event_type: "Noted".into(),
        schema_version: 1,
        occurred_at: Timestamp(1_700_000_000_000_000),
        actor: Actor {
            id: "m.rossi".into(),
            role: "mediator".into(),
        },
        payload: payload.as_bytes().to_vec(),
    }
}

#[test]
fn append_read_conflict_idempotency_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Options::default()).unwrap();
    assert_eq!(journal.head().position, Position::ZERO);

    let first = journal
        .append_blocking(
            "case-1",
            ExpectedVersion::NoStream,
            vec![event(1, "{}"), event(2, "{}")],
        )
        .unwrap()
        .unwrap();
    assert_eq!(first.first_position(), Position(1));
    assert_eq!(first.last_position(), Position(2));
    assert_eq!(first.events[1].version, 2);
    assert_eq!(first.events[1].prev_hash, first.events[0].hash);

    // A wrong expectation is a value naming the actual version.
    let conflict = journal
        .append_blocking("case-1", ExpectedVersion::Exactly(1), vec![event(3, "{}")])
        .unwrap()
        .unwrap_err();
    match conflict {
        Rejected::Conflict(c) => assert_eq!(c.actual, 2),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let conflict = journal
        .append_blocking("case-1", ExpectedVersion::NoStream, vec![event(3, "{}")])
        .unwrap()
        .unwrap_err();
    assert!(matches!(conflict, Rejected::Conflict(_)));

    // The same ids and content give the original positions back; other content is refused.
    let again = journal
        .append_blocking(
            "case-1",
            ExpectedVersion::NoStream,
            vec![event(1, "{}"), event(2, "{}")],
        )
        .unwrap()
        .unwrap();
    assert!(again.already_recorded);
    assert_eq!(again.events, first.events);
    let reused = journal
        .append_blocking("case-2", ExpectedVersion::Any, vec![event(1, r#"{"x":1}"#)])
        .unwrap()
        .unwrap_err();
    assert!(matches!(reused, Rejected::IdReused(r) if r.position == Position(1)));

    journal
        .append_blocking("case-2", ExpectedVersion::Any, vec![event(3, "{}")])
        .unwrap()
        .unwrap();
    let head = journal.head();
    assert_eq!(head.position, Position(3));

    let forward = journal.read_forward(Position(1), 10).unwrap();
    assert_eq!(
        forward.iter().map(|e| e.position.0).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let backward = journal.read_backward(None, 2).unwrap();
    assert_eq!(
        backward.iter().map(|e| e.position.0).collect::<Vec<_>>(),
        vec![3, 2]
    );
    let stream = journal.read_stream("case-1", 2, None).unwrap();
    assert_eq!(stream.len(), 1);
    assert_eq!(stream[0].id, Ulid(2));
    assert_eq!(
        journal.get_by_id(Ulid(3)).unwrap().unwrap().stream,
        "case-2"
    );
    let report = journal.verify(None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, 3);
    drop(journal);

    let reopened = Journal::open(dir.path(), Options::default()).unwrap();
    assert_eq!(reopened.head(), head);
    assert_eq!(reopened.stream_version("case-1"), 2);
    assert_eq!(reopened.read_forward(Position(1), 10).unwrap(), forward);
}

#[tokio::test]
async fn subscription_catches_up_then_follows() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), Options::default()).unwrap();
    for n in 1..=3u128 {
        journal
            .append("s", ExpectedVersion::Any, vec![event(n, "{}")])
            .await
            .unwrap()
            .unwrap();
    }
    let mut sub = journal.subscribe(Position(2));
    assert_eq!(sub.next().await.unwrap().unwrap().position, Position(2));
    assert_eq!(sub.next().await.unwrap().unwrap().position, Position(3));
    let writer = journal.clone();
    let task = tokio::spawn(async move {
        writer
            .append("s", ExpectedVersion::Any, vec![event(4, "{}")])
            .await
            .unwrap()
            .unwrap();
    });
    assert_eq!(sub.next().await.unwrap().unwrap().position, Position(4));
    task.await.unwrap();
    drop(journal);
    assert!(
        sub.next().await.is_none(),
        "subscription ends when the journal closes"
    );
}
