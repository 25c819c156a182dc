//! The desk end to end below the API: import, idempotency, refusals, read-your-writes, races.

use std::io::BufReader;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use desk::{Desk, DeskOptions, ImportError, Refused};
use domain::{Actor, Command, ImportLine, RejectionKind, Role};

mod support;
use support::fixture::{FIXTURE, FIXTURE_EVENTS, FIXTURE_LINES};

fn options() -> DeskOptions {
    DeskOptions {
        // The fixture is May 2024; "now" is the end of that month so no date is in the future.
        clock: Arc::new(|| Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()),
        ..DeskOptions::default()
    }
}

fn lines() -> Vec<ImportLine> {
    FIXTURE
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A desk on a new data directory with the fixture month imported.
async fn imported() -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    desk.import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    (dir, desk)
}

#[tokio::test]
async fn importing_twice_records_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    let report = desk
        .import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    assert_eq!(report.lines, FIXTURE_LINES);
    assert_eq!(report.recorded, FIXTURE_LINES);
    let head = desk.journal().head();
    assert_eq!(head.position.0, FIXTURE_EVENTS, "one event a command");
    assert_eq!(desk.applied_position(), head.position, "read your writes");

    let again = desk
        .import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    assert_eq!(again.recorded, 0);
    assert_eq!(again.already_recorded, FIXTURE_LINES);
    assert_eq!(desk.journal().head(), head);
}

#[tokio::test]
async fn a_bad_line_stops_the_import_and_the_mended_file_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    let mut broken: Vec<String> = FIXTURE.lines().map(str::to_owned).collect();
    // Line 30: a session that ends before it starts is refused by the rules; line 20 is not JSON.
    let original_20 = broken[19].clone();
    broken[19] = "{ this is not json".into();
    let text = broken.join("\n");
    match desk.import(BufReader::new(text.as_bytes())).await {
        Err(ImportError::Line {
            line,
            reason,
            report,
        }) => {
            assert_eq!(line, 20);
            assert!(reason.contains("not a command"), "{reason}");
            assert_eq!(report.recorded, 19);
        }
        other => panic!("expected a line error, got {other:?}"),
    }
    assert_eq!(desk.journal().head().position.0, 19, "lines before it stay");
    broken[19] = original_20;
    let mended = broken.join("\n");
    let report = desk
        .import(BufReader::new(mended.as_bytes()))
        .await
        .unwrap();
    assert_eq!(report.already_recorded, 19);
    assert_eq!(report.recorded, FIXTURE_LINES - 19);
    assert_eq!(desk.journal().head().position.0, FIXTURE_EVENTS);
}

#[tokio::test]
async fn a_refused_command_names_the_field_and_records_nothing() {
    let (_dir, desk) = imported().await;
    let head = desk.journal().head();
    // A survey with a score of 7.
    let mut survey = lines()
        .into_iter()
        .find(|l| l.command.name() == "RecordSurveyResponse")
        .unwrap();
    let mut json = serde_json::to_value(&survey.command).unwrap();
    json["surveyId"] = serde_json::json!(ulid::Ulid::new().to_string());
    json["scores"][0]["score"] = serde_json::json!(7);
    survey.command = serde_json::from_value(json).unwrap();
    let outcome = desk
        .execute(&survey.actor, &survey.command, None, None)
        .await
        .unwrap();
    match outcome {
        Err(Refused::Rejected(rejection)) => {
            assert_eq!(rejection.kind, RejectionKind::OutOfRange);
            assert!(rejection.field.contains("score"), "{}", rejection.field);
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(desk.journal().head(), head);
}

#[tokio::test]
async fn a_retry_with_the_same_event_id_returns_the_original_and_a_reused_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    let all = lines();
    let first = &all[0];
    let recorded = desk
        .execute(&first.actor, &first.command, Some(first.event_id), None)
        .await
        .unwrap()
        .unwrap();
    let retry = desk
        .execute(&first.actor, &first.command, Some(first.event_id), None)
        .await
        .unwrap()
        .unwrap();
    assert!(retry.already_recorded);
    assert_eq!(retry.events, recorded.events);
    // Another kind of fact under the same id.
    let other = all
        .iter()
        .find(|l| l.command.event_type() != first.command.event_type())
        .unwrap();
    let refused = desk
        .execute(&other.actor, &other.command, Some(first.event_id), None)
        .await
        .unwrap();
    assert!(
        matches!(refused, Err(Refused::IdReused { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_id_reused_for_the_same_kind_of_fact_with_other_content_is_refused() {
    let (_dir, desk) = imported().await;
    let head = desk.journal().head();
    let all = lines();
    let intakes: Vec<&ImportLine> = all
        .iter()
        .filter(|l| l.command.name() == "RecordIntake")
        .collect();
    let (first, second) = (intakes[0], intakes[1]);
    let position = desk
        .journal()
        .get_by_id(first.event_id)
        .unwrap()
        .unwrap()
        .position;
    let mut json = serde_json::to_value(&first.command).unwrap();
    let other_person = serde_json::to_value(&second.command).unwrap()["personId"].clone();
    assert_ne!(json["personId"], other_person);
    json["personId"] = other_person;
    let another_person: Command = serde_json::from_value(json).unwrap();
    let mut json = serde_json::to_value(&first.command).unwrap();
    json["needs"] = serde_json::json!(["housing"]);
    let other_needs: Command = serde_json::from_value(json).unwrap();
    assert_ne!(other_needs, first.command);
    for command in [&another_person, &other_needs] {
        let outcome = desk
            .execute(&first.actor, command, Some(first.event_id), None)
            .await
            .unwrap();
        match outcome {
            Err(Refused::IdReused { id, position: at }) => {
                assert_eq!(id, first.event_id);
                assert_eq!(at, position);
            }
            other => panic!("expected the reused id to be refused, got {other:?}"),
        }
    }
    // The same command again is a retry.
    let retry = desk
        .execute(&first.actor, &first.command, Some(first.event_id), None)
        .await
        .unwrap()
        .unwrap();
    assert!(retry.already_recorded);
    assert_eq!(desk.journal().head(), head, "nothing recorded");
}

#[tokio::test]
async fn a_pinned_version_that_moved_on_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    let all = lines();
    let service = all
        .iter()
        .find(|l| l.command.name() == "MapService")
        .unwrap();
    desk.execute(
        &service.actor,
        &service.command,
        Some(service.event_id),
        None,
    )
    .await
    .unwrap()
    .unwrap();
    // UpdateService of the same service, as if the client had seen no version yet.
    let mut update = serde_json::to_value(&service.command).unwrap();
    update["command"] = serde_json::json!("UpdateService");
    let update: Command = serde_json::from_value(update).unwrap();
    let admin = Actor::new("a.conti", Role::Admin);
    let outcome = desk.execute(&admin, &update, None, Some(0)).await.unwrap();
    match outcome {
        Err(Refused::Conflict {
            expected, actual, ..
        }) => {
            assert_eq!((expected, actual), (0, 1));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let ok = desk.execute(&admin, &update, None, Some(1)).await.unwrap();
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logbook_entries_one_per_mediator_and_slot() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    let entry = lines()
        .into_iter()
        .find(|l| l.command.name() == "WriteLogbookEntry")
        .unwrap();
    // The same mediator's entry sent eight times at once (other event ids): one is recorded.
    let run = |mediators: Vec<String>| {
        let mut tasks = Vec::new();
        for who in mediators {
            let desk = desk.clone();
            let entry = entry.clone();
            tasks.push(tokio::spawn(async move {
                let actor = Actor::new(who.clone(), Role::Mediator);
                let mut command = serde_json::to_value(&entry.command).unwrap();
                command["mediator"] = serde_json::json!(who);
                let command: Command = serde_json::from_value(command).unwrap();
                desk.execute(&actor, &command, None, None).await.unwrap()
            }));
        }
        tasks
    };
    let mut winners = 0;
    for task in run(vec!["mediator-0".to_string(); 8]) {
        match task.await.unwrap() {
            Ok(_) => winners += 1,
            Err(Refused::Rejected(r)) => assert_eq!(r.kind, RejectionKind::AlreadyExists, "{r:?}"),
            Err(Refused::Conflict { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1, "one entry per mediator, site, day and slot");
    assert_eq!(desk.journal().head().position.0, 1);
    // Seven other mediators of the same day at once: none is refused for the others' entries;
    // each is recorded once (or told to retry after a conflict).
    let mut recorded = 1;
    for task in run((1..8).map(|n| format!("mediator-{n}")).collect()) {
        match task.await.unwrap() {
            Ok(_) => recorded += 1,
            Err(Refused::Conflict { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        recorded > 1,
        "another mediator's entry of the day is recorded"
    );
    assert_eq!(desk.journal().head().position.0, recorded);
}

#[tokio::test]
async fn reopening_replays_the_same_models() {
    let dir = tempfile::tempdir().unwrap();
    let (head, before) = {
        let desk = Desk::open(dir.path().join("data"), options()).unwrap();
        desk.import(BufReader::new(FIXTURE.as_bytes()))
            .await
            .unwrap();
        let head = desk.journal().head();
        let before = desk.read(support::answers);
        let journal = desk.journal().clone();
        drop(desk);
        journal.close();
        (head, before)
    };
    // The old desk's projector task holds the journal's storage until it is polled again and sees
    // the journal closed, so the reopen yields to the runtime between tries.
    let mut reopened = None;
    for _ in 0..50 {
        match Desk::open(dir.path().join("data"), options()) {
            Ok(desk) => {
                reopened = Some(desk);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    let desk = reopened.expect("the journal reopens");
    assert_eq!(desk.journal().head(), head);
    assert_eq!(desk.applied_position(), head.position);
    assert_eq!(desk.read(|m| m.position()), head.position);
    assert_eq!(desk.read(support::answers), before);
}

/// Sixteen bookings of one mediator for one slot, each its own appointment (its own stream),
/// sent at once: the agenda is read across streams, so the desk decides them one at a time and
/// exactly one is recorded; every other is refused as a double booking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bookings_of_one_mediator_one_passes() {
    let (_dir, desk) = imported().await;
    let booking = lines()
        .into_iter()
        .find(|l| l.command.name() == "BookAppointment")
        .unwrap();
    let head = desk.journal().head().position.0;
    let supervisor = Actor::new("s.ferri", Role::Supervisor);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let desk = desk.clone();
        let supervisor = supervisor.clone();
        let mut command = serde_json::to_value(&booking.command).unwrap();
        command["appointmentId"] = serde_json::json!(ulid::Ulid::new());
        command["mediator"] = serde_json::json!("mediatore-di-turno");
        let command: Command = serde_json::from_value(command).unwrap();
        tasks.push(tokio::spawn(async move {
            desk.execute(&supervisor, &command, None, None)
                .await
                .unwrap()
        }));
    }
    let mut recorded = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => recorded += 1,
            Err(Refused::Rejected(r)) => {
                assert_eq!(
                    (r.kind, r.field.as_str()),
                    (RejectionKind::DoubleBooked, "mediator")
                )
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(recorded, 1, "one booking of the mediator's slot");
    assert_eq!(desk.journal().head().position.0, head + 1);
}

/// The generator's years, through the real desk: every line it writes (the calendar, bookings and
/// their ends, person updates, case conferences, diaries among them) is accepted and recorded.
#[tokio::test]
async fn a_generated_journal_is_accepted_whole() {
    use domain::generator::{Generator, GeneratorConfig};
    let lines: Vec<ImportLine> = Generator::new(
        11,
        GeneratorConfig {
            max_lines: Some(3_000),
            ..GeneratorConfig::default()
        },
    )
    .collect();
    let names: std::collections::BTreeSet<&str> = lines.iter().map(|l| l.command.name()).collect();
    for name in [
        "ScheduleSite",
        "BookAppointment",
        "RecordAppointmentAttended",
        "UpdatePerson",
        "RecordCaseConference",
        "WriteLogbookEntry",
    ] {
        assert!(names.contains(name), "the generator wrote no {name}");
    }
    let mut text = String::new();
    for line in &lines {
        text.push_str(&serde_json::to_string(line).unwrap());
        text.push('\n');
    }
    // "Now" is the day after the last line: a minor registered then is still one.
    let now = lines.last().unwrap().command.occurred_at() + chrono::TimeDelta::days(1);
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(
        dir.path().join("data"),
        DeskOptions {
            clock: Arc::new(move || now),
            ..DeskOptions::default()
        },
    )
    .unwrap();
    let report = desk
        .import(BufReader::new(text.as_bytes()))
        .await
        .unwrap_or_else(|e| panic!("a generated line was refused: {e}"));
    assert_eq!(report.recorded, lines.len());
    assert_eq!(
        desk.journal().head().position.0,
        u64::try_from(lines.len()).unwrap()
    );
}
