//! The envelope of a recorded event as the domain sees it (`desk::meta`): what this build
//! cannot read is an error with the position, never a default.

use desk::journal::{Actor, ChainHash, Position, RecordedEvent, Timestamp};
use desk::DeskError;

fn record(role: &str, recorded_at: Timestamp) -> RecordedEvent {
    RecordedEvent {
        id: ulid::Ulid::from_parts(1, 7),
        position: Position(42),
        stream: "site-montelucci-4".into(),
        version: 3,
        event_type: "SiteScheduled".into(),
        schema_version: 1,
        occurred_at: Timestamp(1_717_000_000_000_000),
        recorded_at,
        actor: Actor {
            id: "a.conti".into(),
            role: role.into(),
        },
        payload: b"{}".to_vec(),
        append_index: 0,
        append_len: 1,
        prev_hash: ChainHash([0; 32]),
        hash: ChainHash([0; 32]),
        salts: None,
    }
}

#[test]
fn a_readable_envelope_gives_its_role_and_time() {
    let meta = desk::meta(&record("admin", Timestamp(1_717_000_000_000_001))).unwrap();
    assert_eq!(
        meta.actor,
        domain::Actor::new("a.conti", domain::Role::Admin)
    );
    assert_eq!(meta.recorded_at.timestamp_micros(), 1_717_000_000_000_001);
    assert_eq!((meta.position, meta.version), (42, 3));
    assert_eq!(meta.stream.as_str(), "site-montelucci-4");
}

#[test]
fn an_unknown_role_is_an_error_with_the_position() {
    let err = desk::meta(&record("janitor", Timestamp(1_717_000_000_000_000))).unwrap_err();
    let DeskError::UnknownRole { position, role } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((*position, role.as_str()), (Position(42), "janitor"));
}

#[test]
fn an_unreadable_recorded_at_is_an_error_with_the_position() {
    let err = desk::meta(&record("mediator", Timestamp(i64::MAX))).unwrap_err();
    assert!(
        matches!(
            err,
            DeskError::UnreadableRecordedAt {
                position: Position(42),
                micros: i64::MAX
            }
        ),
        "{err:?}"
    );
}
