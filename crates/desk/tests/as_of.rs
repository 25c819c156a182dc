//! `Desk::read_models_as_of` answers as the live models did at that position or instant, with
//! corrections recorded after it left out, whether it folds from the start, from a kept
//! snapshot, or hands back one it keeps.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use desk::journal::Position;
use desk::{AsOf, Desk, DeskOptions};
use domain::{Actor, CorrectEvent, ImportLine, PersonalFields, Role};

mod support;
use support::fixture::FIXTURE;
use support::{answers, Answers};

fn options() -> DeskOptions {
    DeskOptions {
        clock: Arc::new(|| Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()),
        ..DeskOptions::default()
    }
}

#[tokio::test]
async fn as_of_answers_like_the_live_models_did_and_leaves_later_corrections_out() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    // What the live models answered after each command, by position.
    let mut live: BTreeMap<Position, Answers> = BTreeMap::new();
    for line in FIXTURE.lines() {
        let line: ImportLine = serde_json::from_str(line).unwrap();
        desk.execute(&line.actor, &line.command, Some(line.event_id), None)
            .await
            .unwrap()
            .unwrap();
        live.insert(desk.applied_position(), desk.read(answers));
    }
    let before_corrections = desk.applied_position();

    // Corrections after all those instants, of the first intakes recorded.
    let intakes: Vec<_> = desk
        .journal()
        .read_forward(Position(1), usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| r.event_type == "IntakeRecorded")
        .take(3)
        .collect();
    assert_eq!(intakes.len(), 3, "the fixture has intakes to correct");
    let supervisor = Actor::new("s.ferri", Role::Supervisor);
    for intake in &intakes {
        let correction = CorrectEvent {
            corrects: intake.id,
            occurred_at: Utc.with_ymd_and_hms(2024, 5, 31, 16, 0, 0).unwrap(),
            fields: [("needs".to_string(), serde_json::json!(["legal"]))].into(),
            personal_fields: PersonalFields::default(),
            reason: "bisogno registrato male all'accoglienza".into(),
        };
        desk.execute(&supervisor, &correction.into(), None, None)
            .await
            .unwrap()
            .unwrap();
    }
    let corrected = desk.read(answers);
    assert_ne!(
        corrected.monitoring_month, live[&before_corrections].monitoring_month,
        "the corrections change the figures"
    );

    // Backwards (each a fold from the start or from a kept later-unusable snapshot), then
    // forwards (each from the nearest kept snapshot), then again (kept snapshots handed back).
    let positions: Vec<Position> = live.keys().copied().collect();
    let sample: Vec<Position> = positions.iter().copied().step_by(9).collect();
    let orders = [
        sample.iter().rev().copied().collect::<Vec<_>>(),
        sample.clone(),
        sample.iter().rev().take(3).copied().collect(),
    ];
    for order in orders {
        for position in order {
            let (at, models) = desk.read_models_as_of(AsOf::Position(position)).unwrap();
            assert_eq!(at, position);
            assert_eq!(answers(&models), live[&position], "as of {position:?}");
        }
    }
    // The last position before the corrections, and as of the instant it was recorded.
    let (_, models) = desk
        .read_models_as_of(AsOf::Position(before_corrections))
        .unwrap();
    assert_eq!(answers(&models), live[&before_corrections]);
    let recorded_at = desk
        .journal()
        .read_forward(before_corrections, 1)
        .unwrap()
        .remove(0)
        .recorded_at
        .to_datetime()
        .unwrap();
    let (at, models) = desk.read_models_as_of(AsOf::Time(recorded_at)).unwrap();
    assert_eq!(at, before_corrections);
    assert_eq!(answers(&models), live[&before_corrections]);
    // And now: the current models, corrections in.
    let (at, models) = desk
        .read_models_as_of(AsOf::Position(desk.applied_position()))
        .unwrap();
    assert_eq!(at, desk.applied_position());
    assert_eq!(answers(&models), corrected);
}

#[tokio::test]
async fn a_kept_head_answers_as_it_did_while_the_live_models_fold_on() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    let lines: Vec<ImportLine> = FIXTURE
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The head kept at a few points (each a clone sharing the live models' tables), the live
    // models folded on after each.
    let mut kept: Vec<(Position, Answers, Arc<projections::ReadModels>)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        desk.execute(&line.actor, &line.command, Some(line.event_id), None)
            .await
            .unwrap()
            .unwrap();
        if i % 40 == 5 {
            let head = desk.applied_position();
            let (at, models) = desk.read_models_as_of(AsOf::Position(head)).unwrap();
            assert_eq!(at, head);
            kept.push((head, desk.read(answers), models));
        }
    }
    assert!(
        kept.len() >= 3,
        "the fixture is long enough to keep several heads"
    );
    for (position, then, models) in &kept {
        assert_eq!(&answers(models), then, "the state kept at {position:?}");
    }
}
