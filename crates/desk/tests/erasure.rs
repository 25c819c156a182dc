//! Personal data at rest, on a real data directory: sealed before it reaches sled and the
//! write-ahead file, and gone for good after `ErasePerson`, while the chain verifies, the read
//! models rebuild and the statistics stay. Every check reads the raw bytes of every file.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use chrono::{TimeZone, Utc};
use desk::vault::{self, KeyState};
use desk::{Desk, DeskOptions, Refused};
use domain::{Actor, Command, Event, PersonId, RejectionKind, Role};
use journal::{Journal, Position};
use projections::{MonitoringReport, Month, Period};
use ulid::Ulid;

const FIXTURE: &str = include_str!("../../../fixtures/montelucci-2024-05.jsonl");
/// A person of the fixture whose name must stay readable after someone else's erasure.
const OTHER_NAME: &str = "Zorbeta Quillfeather";

fn options() -> DeskOptions {
    DeskOptions {
        clock: Arc::new(|| Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()),
        ..DeskOptions::default()
    }
}

/// The canary person: ids and texts that appear nowhere else.
struct Canary {
    person: Ulid,
    case: Ulid,
    name: String,
    note: String,
    goal: String,
    email: String,
}

impl Canary {
    fn new() -> Canary {
        let salt = Ulid::new().to_string();
        Canary {
            person: Ulid::new(),
            case: Ulid::new(),
            name: format!("Zyxwvu Canarino-{salt}"),
            note: format!("Qvxjpk nota canarina {salt}"),
            goal: format!("Wkfbzq obiettivo {salt}"),
            email: format!("canarino.{}@example.org", salt.to_lowercase()),
        }
    }

    /// Several facts about the canary, as import lines (the import path seals too).
    fn lines(&self) -> String {
        let mediator = serde_json::json!({"id": "o.kovalenko", "role": "mediator"});
        let asl = "01HWVYS2P08YEB52DDD3BHMNM3";
        let commands = [
            serde_json::json!({"command": "RegisterPerson", "personId": self.person,
                "siteId": "montelucci-4", "occurredAt": "2024-05-31T09:00:00+02:00",
                "birthYear": 1990, "sex": "female", "citizenships": ["UA"], "countryOfBirth": "UA",
                "arrivalYear": 2022, "permitType": "temporary_protection",
                "permitExpiresOn": "2024-12-31", "languages": ["uk"], "householdSize": 2,
                "personal": {"fullName": self.name, "birthDate": "1990-03-04",
                    "contacts": [{"kind": "email", "value": self.email}]}}),
            serde_json::json!({"command": "GiveConsent", "personId": self.person,
                "siteId": "montelucci-4", "occurredAt": "2024-05-31T09:02:00+02:00",
                "scopes": ["service", "sharing", "reporting"], "sharedWith": ["ASL Roma 1"],
                "givenBy": "person"}),
            serde_json::json!({"command": "RecordIntake", "personId": self.person,
                "siteId": "montelucci-4", "occurredAt": "2024-05-31T09:05:00+02:00",
                "channel": "walk_in", "referredBy": null, "needs": ["health"],
                "note": self.note}),
            serde_json::json!({"command": "OpenCase", "caseId": self.case,
                "personId": self.person, "siteId": "montelucci-4",
                "occurredAt": "2024-05-31T09:10:00+02:00", "caseWorker": "o.kovalenko",
                "vulnerabilities": [], "partnerServices": [asl]}),
            serde_json::json!({"command": "AgreeCarePlan", "caseId": self.case,
                "occurredAt": "2024-05-31T09:20:00+02:00", "needs": ["health"],
                "goals": [self.goal, "visita pediatrica"], "partnerServices": [asl],
                "reviewOn": "2024-06-30"}),
            serde_json::json!({"command": "RecordIntervention", "interventionId": Ulid::new(),
                "personId": self.person, "caseId": self.case, "siteId": "montelucci-4",
                "occurredAt": "2024-05-31T09:40:00+02:00", "activity": "orientation_accompaniment",
                "mode": "in_person", "durationMinutes": 20, "staff": ["o.kovalenko"],
                "language": "uk", "need": "health", "serviceId": asl, "legalTopic": null,
                "parentalKind": null, "outcome": "referred",
                "note": format!("{} accompagnata", self.name)}),
        ];
        commands
            .iter()
            .map(|command| {
                serde_json::json!({"eventId": Ulid::new(), "actor": mediator, "command": command})
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

struct Data {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

fn data() -> Data {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    Data { _tmp: tmp, dir }
}

/// Opens the desk, waiting for a closed desk's projector to let go of sled's lock.
/// Opens the desk on `dir` with the month of the fixture and a new canary with its six facts.
async fn open_with_canary(dir: &Path) -> (Desk, Canary) {
    let canary = Canary::new();
    let desk = open(dir).await;
    desk.import(BufReader::new(FIXTURE.as_bytes()))
        .await
        .unwrap();
    let report = desk
        .import(BufReader::new(canary.lines().as_bytes()))
        .await
        .unwrap();
    assert_eq!(report.recorded, 6);
    (desk, canary)
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

/// Closes the desk so that sled writes what it holds to its files, and waits until it has
/// (the journal reopens only once the last handle is gone).
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

fn may() -> Period {
    Period::month(Month::of(
        chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
    ))
}

/// The monitoring figures of May, without the position they were read at (an erasure is one
/// more event).
fn figures(desk: &Desk) -> MonitoringReport {
    let mut report = desk.read(|m| m.monitoring(&may(), None));
    report.as_of = Position::ZERO;
    report
}

/// Every file under `dir`, recursively, with its raw bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// The files under `dir` whose bytes contain `needle`.
fn holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    assert!(needle.len() >= 16, "a needle that cannot match by chance");
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(path, _)| path)
        .collect()
}

/// The canary's slot of `person-keys`: the wrapped key, and the key unwrapped with the master
/// key file (read by hand, following the layout documented in the `vault` crate).
fn person_key(dir: &Path, person: Ulid) -> (Vec<u8>, Vec<u8>) {
    let keys = std::fs::read(dir.join(vault::PERSON_KEYS_FILE)).unwrap();
    let slot = keys
        .chunks(vault::SLOT_LEN)
        .find(|slot| slot[..16] == person.0.to_be_bytes())
        .expect("the canary has a slot");
    assert_eq!(slot[vault::SLOT_LEN - 1], vault::STATE_ACTIVE);
    let wrapped = slot[vault::SLOT_WRAPPED_AT..vault::SLOT_LEN - 1].to_vec();
    let master = std::fs::read(vault::default_master_key_path(dir)).unwrap();
    let mut aad = vault::WRAP_AAD.to_vec();
    aad.extend_from_slice(&person.0.to_be_bytes());
    let (nonce, ciphertext) = wrapped.split_at(vault::NONCE_LEN);
    let key = XChaCha20Poly1305::new(Key::from_slice(&master))
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .expect("the master key unwraps the canary's key");
    assert_eq!(key.len(), vault::KEY_LEN);
    (wrapped, key)
}

fn supervisor() -> Actor {
    Actor::new("s.ferri", Role::Supervisor)
}

fn erase(person: Ulid) -> Command {
    Command::ErasePerson(domain::ErasePerson {
        person_id: PersonId(person),
        occurred_at: Utc.with_ymd_and_hms(2024, 6, 1, 10, 0, 0).unwrap(),
        reason: domain::ErasureReason::PersonRequest,
    })
}

/// The sealed form of the canary's registration, as stored: `personal` is `{"sealed", "person"}`.
fn stored_registration(desk: &Desk, person: Ulid) -> journal::RecordedEvent {
    let stream = format!("person-{person}");
    let events = desk.journal().read_stream(&stream, 1, Some(1)).unwrap();
    assert_eq!(events[0].event_type, "PersonRegistered");
    events[0].clone()
}

#[tokio::test]
async fn an_erased_person_leaves_no_trace_in_the_data_directory() {
    let data = data();
    let dir = data.dir.as_path();

    // 1. A month of the desk, then the canary and several facts about them.
    let (desk, canary) = open_with_canary(dir).await;
    let view = desk
        .read(|m| m.person(PersonId(canary.person)))
        .expect("the canary is registered");
    assert_eq!(
        view.personal.full_name, canary.name,
        "sealed values open again"
    );
    assert!(!view.personal.is_erased());
    let registration = stored_registration(&desk, canary.person);
    let stored: serde_json::Value = serde_json::from_slice(&registration.payload).unwrap();
    let sealed_name = stored["personal"]["sealed"]
        .as_str()
        .expect("the registration's personal data is sealed")
        .to_owned();
    assert_eq!(stored["personal"]["person"], canary.person.to_string());
    assert_eq!(stored["birthYear"], 1990, "statistics fields stay in clear");
    let before = figures(&desk);
    close(desk, dir).await;

    // 2. Before the erasure: no plaintext anywhere, the key is only wrapped, and the scan does
    //    find what is there (the wrapped key in person-keys, the sealed payload in the journal).
    let (wrapped, key) = person_key(dir, canary.person);
    for text in [&canary.name, &canary.note, &canary.goal, &canary.email] {
        assert_eq!(
            holding(dir, text.as_bytes()),
            Vec::<PathBuf>::new(),
            "{text}"
        );
    }
    assert_eq!(holding(dir, OTHER_NAME.as_bytes()), Vec::<PathBuf>::new());
    assert_eq!(
        holding(dir, &key),
        Vec::<PathBuf>::new(),
        "the key in clear"
    );
    assert_eq!(
        holding(dir, &wrapped),
        vec![dir.join(vault::PERSON_KEYS_FILE)],
        "the scan finds the wrapped key where it is"
    );
    let journal_files = holding(dir, sealed_name.as_bytes());
    assert!(
        !journal_files.is_empty(),
        "the scan finds the sealed payload in sled's files"
    );
    assert!(
        files(dir)
            .iter()
            .any(|(p, _)| p.starts_with(dir.join("log"))),
        "the scan covers the journal's log"
    );

    // 3. The erasure.
    let desk = open(dir).await;
    assert_eq!(figures(&desk), before, "reopening changes no figure");
    let recorded = desk
        .execute(&supervisor(), &erase(canary.person), None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(recorded.events[0].event_type, "PersonErased");
    assert_eq!(desk.vault().key_state(canary.person), KeyState::Destroyed);
    let view = desk.read(|m| m.person(PersonId(canary.person))).unwrap();
    assert!(view.personal.is_erased());
    assert_eq!(view.birth_year, 1990);
    assert_eq!(
        figures(&desk),
        before,
        "statistics are unchanged by an erasure"
    );
    // Every sealed value of the canary now decodes as erased; others still open.
    for record in desk.journal().iter_forward(Position(1)) {
        let record = record.unwrap();
        match desk.decode(&record).unwrap() {
            Event::PersonRegistered(e) if e.person_id.0 == canary.person => {
                assert!(e.personal.is_erased());
                assert_eq!(e.birth_year, 1990);
            }
            Event::PersonRegistered(e) if e.personal.full_name == OTHER_NAME => {}
            Event::PersonRegistered(e) => assert!(!e.personal.is_erased()),
            Event::IntakeRecorded(e) if e.person_id.0 == canary.person => {
                assert!(e.note.unwrap().is_erased())
            }
            Event::CarePlanAgreed(e) if e.person_id.0 == canary.person => {
                assert_eq!(e.goals.len(), 2);
                assert!(e.goals.iter().all(|g| g.is_erased()));
            }
            _ => {}
        }
    }
    // The past, too: the read models as of before the erasure show nothing erased either.
    let (_, past) = desk
        .read_models_as_of(desk::AsOf::Position(Position(registration.position.0 + 1)))
        .unwrap();
    assert!(past
        .person(PersonId(canary.person))
        .unwrap()
        .personal
        .is_erased());
    // Nothing new about the person is recorded.
    let again = desk
        .execute(&supervisor(), &erase(canary.person), None, None)
        .await
        .unwrap();
    assert!(
        matches!(&again, Err(Refused::Rejected(r)) if r.kind == RejectionKind::Erased),
        "{again:?}"
    );
    close(desk, dir).await;

    // 4. After: neither the plaintext nor the key, in clear or wrapped, is in any file.
    for text in [&canary.name, &canary.note, &canary.goal, &canary.email] {
        assert_eq!(
            holding(dir, text.as_bytes()),
            Vec::<PathBuf>::new(),
            "{text}"
        );
    }
    assert_eq!(
        holding(dir, &key),
        Vec::<PathBuf>::new(),
        "the key in clear"
    );
    assert_eq!(
        holding(dir, &wrapped),
        Vec::<PathBuf>::new(),
        "the wrapped key"
    );
    assert!(
        !holding(dir, sealed_name.as_bytes()).is_empty(),
        "the ciphertext stays: the stored bytes never change"
    );

    // 5. The chain still verifies, and the models rebuild from scratch to the same figures.
    let verified = Journal::verify_dir(dir, None, None, &mut |_| {}).unwrap();
    assert!(verified.is_intact(), "{:?}", verified.problem);
    let desk = open(dir).await;
    assert_eq!(figures(&desk), before);
    let view = desk.read(|m| m.person(PersonId(canary.person))).unwrap();
    assert!(view.personal.is_erased());
    assert_eq!(view.personal.full_name, domain::ERASED);
    assert!(view.personal.contacts.is_empty() && view.personal.birth_date.is_none());
    let other = desk
        .read(|m| m.persons(&Default::default()))
        .into_iter()
        .find(|p| p.personal.full_name == OTHER_NAME);
    assert!(other.is_some(), "another person's data still opens");
    close(desk, dir).await;
}

#[tokio::test]
async fn replaying_an_erasure_destroys_a_key_that_survived_it() {
    // A crash after the erasure was recorded but before the key was destroyed is played here by
    // putting the old key store back: the next open destroys the key as it replays the erasure.
    let data = data();
    let dir = data.dir.as_path();
    let (desk, canary) = open_with_canary(dir).await;
    close(desk, dir).await;
    let keys = dir.join(vault::PERSON_KEYS_FILE);
    let kept = std::fs::read(&keys).unwrap();
    let (wrapped, _) = person_key(dir, canary.person);

    let desk = open(dir).await;
    desk.execute(&supervisor(), &erase(canary.person), None, None)
        .await
        .unwrap()
        .unwrap();
    close(desk, dir).await;
    std::fs::write(&keys, &kept).unwrap();
    assert_eq!(holding(dir, &wrapped), vec![keys.clone()]);

    let desk = open(dir).await;
    assert_eq!(desk.vault().key_state(canary.person), KeyState::Destroyed);
    assert!(desk
        .read(|m| m.person(PersonId(canary.person)))
        .unwrap()
        .personal
        .is_erased());
    close(desk, dir).await;
    assert_eq!(holding(dir, &wrapped), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn after_an_erasure_no_new_personal_data_is_kept_but_statistics_can_be_corrected() {
    let data = data();
    let dir = data.dir.as_path();
    let (desk, canary) = open_with_canary(dir).await;
    let intake = desk
        .journal()
        .read_stream(&format!("person-{}", canary.person), 1, None)
        .unwrap()
        .into_iter()
        .find(|r| r.event_type == "IntakeRecorded")
        .unwrap();
    desk.execute(&supervisor(), &erase(canary.person), None, None)
        .await
        .unwrap()
        .unwrap();
    let correct = |personal: serde_json::Value, fields: serde_json::Value| -> Command {
        serde_json::from_value(serde_json::json!({
            "command": "CorrectEvent", "corrects": intake.id,
            "occurredAt": "2024-06-01T11:00:00Z", "fields": fields,
            "personalFields": personal, "reason": "trascrizione",
        }))
        .unwrap()
    };
    let mediator = Actor::new("o.kovalenko", Role::Mediator);
    let new_note = format!("{} ancora", canary.name);
    // The rules do not look at the person for a correction: the desk refuses to keep new
    // personal data for a person whose key is gone.
    let refused = desk
        .execute(
            &mediator,
            &correct(serde_json::json!({"note": new_note}), serde_json::json!({})),
            None,
            None,
        )
        .await
        .unwrap();
    assert!(
        matches!(&refused, Err(Refused::Rejected(r)) if r.kind == RejectionKind::Erased),
        "{refused:?}"
    );
    let accepted = desk
        .execute(
            &mediator,
            &correct(
                serde_json::json!({}),
                serde_json::json!({"needs": ["health", "work"]}),
            ),
            None,
            None,
        )
        .await
        .unwrap();
    assert!(accepted.is_ok(), "{accepted:?}");
    close(desk, dir).await;
    assert_eq!(holding(dir, new_note.as_bytes()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn values_written_in_clear_before_the_vault_read_as_erased_too() {
    // A journal from before the vault: the registration goes to the journal in clear, below the
    // desk. Its bytes cannot change (the chain covers them), but it decodes as erased.
    let data = data();
    let dir = data.dir.as_path();
    let canary = Canary::new();
    let desk = open(dir).await;
    let line: domain::ImportLine =
        serde_json::from_str(canary.lines().lines().next().unwrap()).unwrap();
    // The event the desk's rules make of it, not sealed.
    let ctx = domain::Context {
        now: Utc::now(),
        actor: Actor::new("o.kovalenko", Role::Mediator),
    };
    let mut decision = domain::DeskState::new()
        .decide(&line.command, &ctx)
        .unwrap();
    let event = decision.events.remove(0);
    assert!(matches!(event, Event::PersonRegistered(_)), "{event:?}");
    let appended = desk
        .journal()
        .append(
            &format!("person-{}", canary.person),
            journal::ExpectedVersion::Exactly(0),
            vec![journal::NewEvent {
                id: line.event_id,
                event_type: event.event_type().to_owned(),
                schema_version: event.schema_version(),
                occurred_at: journal::Timestamp::from(event.occurred_at()),
                actor: journal::Actor {
                    id: "o.kovalenko".into(),
                    role: "mediator".into(),
                },
                payload: event.to_payload(),
            }],
        )
        .await
        .unwrap()
        .unwrap();
    desk.wait_for(appended.last_position()).await.unwrap();
    let record = appended.events[0].clone();
    let Event::PersonRegistered(before) = desk.decode(&record).unwrap() else {
        panic!("a registration")
    };
    assert_eq!(
        before.personal.full_name, canary.name,
        "in clear, as written"
    );

    desk.execute(&supervisor(), &erase(canary.person), None, None)
        .await
        .unwrap()
        .unwrap();
    let Event::PersonRegistered(after) = desk.decode(&record).unwrap() else {
        panic!("a registration")
    };
    assert!(after.personal.is_erased());
    assert_eq!(after.birth_year, before.birth_year);
    assert!(desk
        .read(|m| m.person(PersonId(canary.person)))
        .unwrap()
        .personal
        .is_erased());
    close(desk, dir).await;
    let desk = open(dir).await;
    assert!(desk
        .read(|m| m.person(PersonId(canary.person)))
        .unwrap()
        .personal
        .is_erased());
    close(desk, dir).await;
}
