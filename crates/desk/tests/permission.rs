//! Deny by default at the desk: `Desk::execute` refuses a command whose `Command::roles` does
//! not name the actor's role, whoever called it (the API checks too; the CLI and tools that hold
//! a desk do not have to).

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use desk::{Desk, DeskOptions, Refused};
use domain::{Actor, ImportLine, RejectionKind, Role};
use ulid::Ulid;

mod support;
use support::fixture::{FIXTURE, FIXTURE_LINES};

fn options() -> DeskOptions {
    DeskOptions {
        // The fixture is May 2024; "now" is the end of that month so no date is in the future.
        clock: Arc::new(|| Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()),
        ..DeskOptions::default()
    }
}

/// Each fixture command is first sent by every role it does not name (refused, nothing
/// recorded), then by the fixture's own actor (recorded), so that each refusal meets a state
/// in which the command would be decided and recorded.
#[tokio::test]
async fn a_role_a_command_does_not_name_is_refused_before_anything_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    let mut refused = 0;
    for line in FIXTURE.lines() {
        let line: ImportLine = serde_json::from_str(line).unwrap();
        let name = line.command.name();
        for role in Role::ALL.iter().copied() {
            if line.command.permits(role) {
                continue;
            }
            let head = desk.journal().head();
            let actor = Actor::new(format!("{}-1", role.as_str()), role);
            let outcome = desk
                .execute(&actor, &line.command, Some(Ulid::new()), None)
                .await
                .unwrap();
            match outcome {
                Err(Refused::Rejected(rejection)) => {
                    assert_eq!(
                        (rejection.field.as_str(), rejection.kind),
                        ("actor", RejectionKind::NotPermitted),
                        "{name} sent by a {}",
                        role.as_str()
                    );
                }
                other => panic!("{name} sent by a {}: {other:?}", role.as_str()),
            }
            assert_eq!(desk.journal().head(), head, "{name}: nothing recorded");
            refused += 1;
        }
        let recorded = desk
            .execute(&line.actor, &line.command, Some(line.event_id), None)
            .await
            .unwrap();
        assert!(recorded.is_ok(), "{name} by its own actor: {recorded:?}");
    }
    assert!(
        refused >= FIXTURE_LINES,
        "every command has a role it does not name"
    );
}
