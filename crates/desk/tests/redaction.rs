//! The free text of a diary (and the comments under it) on a real data directory: sealed under
//! the entry's own key before it reaches sled and the journal's log, readable by the read
//! models, and gone for good after `RedactText`, while the chain verifies and a reopened desk
//! reads it as erased (`docs/adr/0010-sealed-free-text.md`).

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use desk::vault::KeyState;
use desk::{Desk, DeskOptions, Refused};
use domain::{
    Actor, Command, CommentLogbookEntry, ErasureReason, PersonalNote, RedactText, RejectionKind,
    Role, RotationSlot, SiteId, WriteLogbookEntry,
};
use journal::Journal;
use projections::{DiaryFilter, Period};
use ulid::Ulid;

const FIXTURE: &str = include_str!("../../../fixtures/montelucci-2024-05.jsonl");

fn options() -> DeskOptions {
    DeskOptions {
        clock: Arc::new(|| Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()),
        ..DeskOptions::default()
    }
}

async fn open(dir: &Path) -> Desk {
    for _ in 0..100 {
        match Desk::open(dir, options()) {
            Ok(desk) => return desk,
            Err(desk::DeskError::Journal(_)) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            Err(other) => panic!("cannot open the desk: {other}"),
        }
    }
    panic!("the journal does not reopen");
}

async fn close(desk: Desk, dir: &Path) {
    let journal = desk.journal().clone();
    drop(desk);
    journal.close();
    for _ in 0..100 {
        match Journal::open(dir, journal::Options::default()) {
            Ok(journal) => return journal.close(),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    panic!("the journal does not reopen");
}

/// The files under `dir` (recursively) whose bytes contain `needle`.
fn holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
            {
                out.push(path);
            }
        }
    }
    out
}

fn supervisor() -> Actor {
    Actor::new("s.ferri", Role::Supervisor)
}

fn may_30() -> DiaryFilter {
    let day = NaiveDate::from_ymd_opt(2024, 5, 30).unwrap();
    DiaryFilter {
        sites: Some(vec![SiteId::new("montelucci-4")]),
        period: Period::new(day, day).unwrap(),
        mediator: Some("m.haddad".into()),
    }
}

async fn run(desk: &Desk, actor: &Actor, command: Command, id: Ulid) -> Result<(), Refused> {
    desk.execute(actor, &command, Some(id), None)
        .await
        .unwrap()
        .map(|_| ())
}

#[tokio::test]
async fn a_diary_names_a_minor_and_a_redaction_takes_the_text_away() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let salt = Ulid::new().to_string();
    let observation = format!("Qvxjpk accompagnato il minore Canarino {salt}");
    let comment = format!("Wkfbzq il minore Canarino va segnalato {salt}");

    // 1. The month, then m.haddad's morning of 30 May naming a minor, and a comment on it.
    let desk = open(&dir).await;
    desk.import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    let entry = Ulid::new();
    let mediator = Actor::new("m.haddad", Role::Mediator);
    let write = WriteLogbookEntry {
        site_id: SiteId::new("montelucci-4"),
        date: NaiveDate::from_ymd_opt(2024, 5, 30).unwrap(),
        occurred_at: Utc.with_ymd_and_hms(2024, 5, 30, 16, 0, 0).unwrap(),
        mediator: "m.haddad".into(),
        slot: RotationSlot::Morning,
        contacts: 4,
        languages: vec!["ar".into()],
        observations: Some(PersonalNote::new(observation.clone())),
        incidents: None,
        emerging_needs: vec![],
        difficulties: Some(PersonalNote::new("nessun tutore nominato")),
        strategies: None,
        training_needs: None,
    };
    run(&desk, &mediator, write.into(), entry).await.unwrap();
    let comment_cmd = CommentLogbookEntry {
        entry_id: entry,
        occurred_at: Utc.with_ymd_and_hms(2024, 5, 31, 9, 0, 0).unwrap(),
        comment: PersonalNote::new(comment.clone()),
    };
    run(
        &desk,
        &supervisor(),
        comment_cmd.clone().into(),
        Ulid::new(),
    )
    .await
    .unwrap();
    let read = desk.read(|m| m.diaries(&may_30()));
    assert_eq!(read.len(), 1);
    assert_eq!(
        read[0].observations.as_ref().map(PersonalNote::as_str),
        Some(observation.as_str()),
        "the sealed text opens again"
    );
    assert_eq!(read[0].comments.len(), 1);
    assert_eq!(read[0].comments[0].comment.as_str(), comment);
    assert_eq!(desk.vault().key_state(entry), KeyState::Active);
    close(desk, &dir).await;

    // 2. Neither text is anywhere in the data directory: both are sealed under the entry's key.
    for text in [&observation, &comment] {
        assert_eq!(
            holding(&dir, text.as_bytes()),
            Vec::<PathBuf>::new(),
            "{text}"
        );
    }
    assert!(
        !holding(&dir, b"montelucci-4").is_empty(),
        "the scan finds what is stored in clear"
    );

    // 3. The redaction: the key goes, the entry and its comment read as erased, now and after a
    //    reopening; nothing more is written under it; the chain still verifies.
    let desk = open(&dir).await;
    let redact = RedactText {
        event_id: entry,
        occurred_at: Utc.with_ymd_and_hms(2024, 6, 1, 10, 0, 0).unwrap(),
        reason: ErasureReason::PersonRequest,
    };
    run(
        &desk,
        &Actor::new("m.haddad", Role::Mediator),
        redact.clone().into(),
        Ulid::new(),
    )
    .await
    .expect_err("a mediator does not redact");
    run(&desk, &supervisor(), redact.into(), Ulid::new())
        .await
        .unwrap();
    assert_eq!(desk.vault().key_state(entry), KeyState::Destroyed);
    let erased = |desk: &Desk| {
        let read = desk.read(|m| m.diaries(&may_30()));
        assert_eq!(read.len(), 1);
        assert!(read[0].redacted);
        assert!(read[0]
            .observations
            .as_ref()
            .is_some_and(PersonalNote::is_erased));
        assert!(read[0]
            .difficulties
            .as_ref()
            .is_some_and(PersonalNote::is_erased));
        assert!(read[0].comments[0].comment.is_erased());
        assert_eq!(read[0].contacts, 4, "the figures stay");
    };
    erased(&desk);
    let refused = run(&desk, &supervisor(), comment_cmd.into(), Ulid::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Refused::Rejected(r) if r.kind == RejectionKind::Erased),
        "{refused:?}"
    );
    close(desk, &dir).await;
    let desk = open(&dir).await;
    erased(&desk);
    close(desk, &dir).await;
    let verified = Journal::verify_dir(&dir, None, None, &mut |_| {}).unwrap();
    assert!(verified.is_intact(), "{:?}", verified.problem);
}
