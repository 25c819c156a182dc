//! The installation key and signed checkpoints: created once, signed on demand and after a
//! supervision meeting, recorded in the journal, verifiable with the public key alone.

use std::io::BufReader;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use desk::{Desk, DeskOptions, Refused};
use domain::{Actor, Command, ImportLine, Role};
use journal::merkle::checkpoint::SignedCheckpoint;
use journal::merkle::TreeSize;

mod support;
use support::fixture::{FIXTURE, FIXTURE_EVENTS};

fn options() -> DeskOptions {
    DeskOptions {
        clock: Arc::new(|| Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()),
        ..DeskOptions::default()
    }
}

fn supervisor() -> Actor {
    Actor::new("s.ferri", Role::Supervisor)
}

#[tokio::test]
async fn a_checkpoint_signs_the_tree_and_is_recorded_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    // The key exists from the first start, readable by the owner only.
    let key_file = desk::key_path(&dir.path().join("data"));
    let mode = std::fs::metadata(&key_file).unwrap().permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.mode() & 0o777, 0o600);
    }
    let public = desk.public_key();
    desk.import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    // The fixture's supervision meeting was imported: history, no checkpoint of its own.
    assert!(desk.checkpoints().unwrap().is_empty());
    assert_eq!(desk.journal().head().position.0, FIXTURE_EVENTS);

    let recorded = desk
        .sign_checkpoint(&supervisor(), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        recorded.signed.checkpoint.tree_size,
        TreeSize(FIXTURE_EVENTS)
    );
    assert_eq!(
        recorded.position.0,
        FIXTURE_EVENTS + 1,
        "after the size it signs"
    );
    assert_eq!(
        recorded.signed.checkpoint.root,
        desk.journal().root_at(TreeSize(FIXTURE_EVENTS)).unwrap()
    );
    // The note, written down and read back, verifies with the public key alone.
    let note = recorded.note();
    SignedCheckpoint::parse(&note)
        .unwrap()
        .verify(&public)
        .unwrap();
    assert_eq!(desk.checkpoints().unwrap(), vec![recorded.clone()]);

    // A mediator cannot sign; nobody can slip in a checkpoint as a command.
    let mediator = Actor::new("m.rossi", Role::Mediator);
    assert!(matches!(
        desk.sign_checkpoint(&mediator, None).await.unwrap(),
        Err(Refused::Rejected(_))
    ));
    let forged = Command::RecordCheckpoint(domain::RecordCheckpoint {
        occurred_at: Utc.with_ymd_and_hms(2024, 5, 31, 0, 0, 0).unwrap(),
        tree_size: 1,
        root: "00".repeat(32),
        public_key: public.to_hex(),
        signature: "AAAA".into(),
    });
    assert!(matches!(
        desk.execute(&supervisor(), &forged, None, None)
            .await
            .unwrap(),
        Err(Refused::Rejected(_))
    ));
    drop(desk);

    // Reopened: the same key, the same checkpoints. The projector task lets go of the journal
    // once it runs again, so the reopen yields between tries.
    let mut reopened = None;
    for _ in 0..100 {
        match Desk::open(dir.path().join("data"), options()) {
            Ok(desk) => {
                reopened = Some(desk);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    let desk = reopened.expect("the journal reopens");
    assert_eq!(desk.public_key(), public);
    assert_eq!(desk.checkpoints().unwrap(), vec![recorded]);
}

#[tokio::test]
async fn a_supervision_meeting_is_followed_by_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    let lines: Vec<ImportLine> = FIXTURE
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for line in &lines {
        let recorded = desk
            .execute(&line.actor, &line.command, Some(line.event_id), None)
            .await
            .unwrap()
            .unwrap();
        if let Command::RecordSupervisionMeeting(_) = line.command {
            let meeting = recorded.events[0].position;
            let checkpoints = desk.checkpoints().unwrap();
            assert_eq!(checkpoints.len(), 1);
            assert_eq!(checkpoints[0].position, meeting.next());
            assert_eq!(
                checkpoints[0].signed.checkpoint.tree_size,
                TreeSize(meeting.0)
            );
            assert_eq!(checkpoints[0].recorded_by, "s.ferri");
            checkpoints[0].signed.verify(&desk.public_key()).unwrap();
        }
    }
    // Sending the meeting again records nothing, and signs nothing more.
    let meeting = lines
        .iter()
        .find(|l| matches!(l.command, Command::RecordSupervisionMeeting(_)))
        .unwrap();
    let again = desk
        .execute(
            &meeting.actor,
            &meeting.command,
            Some(meeting.event_id),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(again.already_recorded);
    assert_eq!(desk.checkpoints().unwrap().len(), 1);
    assert_eq!(desk.journal().head().position.0, FIXTURE_EVENTS + 1);
}

/// `impact verify` checks every recorded checkpoint against the journal's own tree: a signed
/// root the tree does not have at that size (a history re-chained after the signing), or a
/// signature that does not verify under the key the event names, is named at its position.
#[tokio::test]
async fn recorded_checkpoints_are_checked_against_the_journal_tree() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    desk.import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    let recorded = desk
        .sign_checkpoint(&supervisor(), None)
        .await
        .unwrap()
        .unwrap();
    let journal = desk.journal();
    let keys = desk::check::JournalKeys::read(journal.iter_forward(journal::Position(1))).unwrap();
    assert_eq!(keys.checkpoints.len(), 1);
    assert_eq!(keys.checkpoints[0].0, recorded.position);

    let own_tree = |size| journal.root_at(size);
    assert_eq!(
        desk::check::checkpoint_findings(&keys.checkpoints, own_tree),
        vec![]
    );
    // The tree as a re-chained history would have it: another root at the signed size.
    let other_root = journal.root_at(TreeSize(FIXTURE_EVENTS - 1)).unwrap();
    let findings = desk::check::checkpoint_findings(&keys.checkpoints, |_| Ok(other_root));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].position, Some(recorded.position.0));
    assert!(findings[0].what.contains("was rewritten"), "{findings:?}");
    // A signature that does not verify.
    let mut forged = keys.checkpoints.clone();
    forged[0].1.tree_size -= 1;
    let findings = desk::check::checkpoint_findings(&forged, |size| journal.root_at(size));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].what.contains("does not verify"), "{findings:?}");
}

/// `signCheckpoint` retried under the same event id gives the checkpoint recorded the first time
/// (its content is the desk's, signed when first asked), even after the journal moved on.
#[tokio::test]
async fn a_checkpoint_retried_under_its_id_is_the_one_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path().join("data"), options()).unwrap();
    desk.import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    let id = ulid::Ulid::new();
    let first = desk
        .sign_checkpoint(&supervisor(), Some(id))
        .await
        .unwrap()
        .unwrap();
    let head = desk.journal().head();
    let again = desk
        .sign_checkpoint(&supervisor(), Some(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.position, first.position);
    assert_eq!(again.note(), first.note());
    assert_eq!(desk.journal().head(), head, "nothing recorded twice");
    // Another actor under the same id is not a retry.
    let other = Actor::new("s.bianchi", Role::Supervisor);
    assert!(matches!(
        desk.sign_checkpoint(&other, Some(id)).await.unwrap(),
        Err(Refused::IdReused { .. })
    ));
}
