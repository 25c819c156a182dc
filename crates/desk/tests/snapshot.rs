//! Snapshots of the models (`docs/adr/0014-snapshots.md`) on real data directories: used when
//! the journal holds their hash at their position (the tail folded after them gives the models
//! of a whole replay), refused and rebuilt otherwise (another journal, one that ends before,
//! a damaged or cut file, a child killed while writing one), and never bringing back what an
//! erasure took away.

mod support;

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use desk::{snapshot, Desk, DeskOptions};
use domain::{Actor, Command, PersonId, Role};
use journal::{Journal, Position};
use ulid::Ulid;

const FIXTURE: &str = include_str!("../../../fixtures/montelucci-2024-05.jsonl");
/// The child of `a_child_killed_while_writing_leaves_a_desk_that_opens` reads its directory
/// from this variable.
const CHILD_DIR: &str = "IMPACT_SNAPSHOT_CHILD_DIR";

fn options(master_key: &Path) -> DeskOptions {
    DeskOptions {
        clock: Arc::new(|| Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()),
        master_key: Some(master_key.to_owned()),
        snapshot_every: 0,
        ..DeskOptions::default()
    }
}

struct Data {
    _tmp: tempfile::TempDir,
    /// Two data directories sharing one master key (so a snapshot of one opens in the other).
    a: PathBuf,
    b: PathBuf,
    key: PathBuf,
}

fn data() -> Data {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, key) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("master-key"),
    );
    Data {
        _tmp: tmp,
        a,
        b,
        key,
    }
}

async fn open(dir: &Path, key: &Path) -> Desk {
    for _ in 0..100 {
        match Desk::open(dir, options(key)) {
            Ok(desk) => return desk,
            Err(desk::DeskError::Journal(_)) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            Err(other) => panic!("cannot open the desk: {other}"),
        }
    }
    panic!("the journal does not reopen");
}

/// Closes the desk and waits until the journal can be opened again.
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

/// Registrations of new persons, as import lines: a name in each that appears nowhere else.
fn persons(n: usize) -> (String, Vec<(Ulid, String)>) {
    let mediator = serde_json::json!({"id": "o.kovalenko", "role": "mediator"});
    let mut lines = Vec::new();
    let mut named = Vec::new();
    for i in 0..n {
        let person = Ulid::new();
        let name = format!("Zyxwvu Istantanea-{person}");
        let command = serde_json::json!({"command": "RegisterPerson", "personId": person,
            "siteId": "montelucci-4", "occurredAt": format!("2024-05-31T09:{:02}:00+02:00", i % 60),
            "birthYear": 1990, "sex": "female", "citizenships": ["UA"], "countryOfBirth": "UA",
            "arrivalYear": 2022, "permitType": "temporary_protection",
            "permitExpiresOn": "2024-12-31", "languages": ["uk"], "householdSize": 2,
            "personal": {"fullName": name, "birthDate": "1990-03-04", "contacts": []}});
        lines.push(
            serde_json::json!({"eventId": Ulid::new(), "actor": mediator, "command": command})
                .to_string(),
        );
        named.push((person, name));
    }
    (lines.join("\n"), named)
}

async fn import(desk: &Desk, lines: &str) {
    desk.import(BufReader::new(lines.as_bytes())).await.unwrap();
}

/// Both models as values to compare: every map and set compared as such (arrays sorted, since
/// a set or a map written as pairs has no order of its own).
fn models(desk: &Desk) -> (serde_json::Value, serde_json::Value, support::Answers) {
    fn canonical(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::Array(items) => {
                let mut items: Vec<Value> = items.into_iter().map(canonical).collect();
                items.sort_by_cached_key(|v| v.to_string());
                Value::Array(items)
            }
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, canonical(v))).collect())
            }
            other => other,
        }
    }
    let state = desk.read_state(|s| serde_json::to_value(s).unwrap());
    let read = desk.read(|m| serde_json::to_value(m).unwrap());
    (
        canonical(state),
        canonical(read),
        desk.read(support::answers),
    )
}

/// The models of the whole journal of `dir`, folded from nothing (the snapshot moved aside
/// and put back).
async fn replayed(
    dir: &Path,
    key: &Path,
) -> (serde_json::Value, serde_json::Value, support::Answers) {
    let file = snapshot::path(dir);
    let aside = dir.with_extension("aside");
    let had = file.exists();
    if had {
        std::fs::rename(&file, &aside).unwrap();
    }
    let desk = open(dir, key).await;
    assert_eq!(desk.snapshot_used_at_open(), None);
    let out = models(&desk);
    close(desk, dir).await;
    if had {
        std::fs::rename(&aside, &file).unwrap();
    }
    out
}

/// `dir` with the fixture's month and `n` more registrations, a snapshot taken after the
/// fixture; returns the snapshot's position.
async fn with_snapshot_and_tail(dir: &Path, key: &Path, n: usize) -> Position {
    let desk = open(dir, key).await;
    import(&desk, FIXTURE).await;
    let at = desk.snapshot().unwrap().expect("a snapshot of the fixture");
    assert_eq!(at, desk.applied_position());
    import(&desk, &persons(n).0).await;
    close(desk, dir).await;
    at
}

#[tokio::test]
async fn the_tail_after_a_snapshot_gives_the_models_of_a_whole_replay() {
    let data = data();
    let at = with_snapshot_and_tail(&data.a, &data.key, 5).await;
    let whole = replayed(&data.a, &data.key).await;

    let desk = open(&data.a, &data.key).await;
    assert_eq!(desk.snapshot_used_at_open(), Some(at));
    assert!(desk.applied_position() > at, "a tail was folded");
    let from_snapshot = models(&desk);
    assert!(from_snapshot.0 == whole.0, "the write model differs");
    assert!(from_snapshot.1 == whole.1, "the read models differ");
    assert_eq!(from_snapshot.2, whole.2);
    // And the desk goes on deciding from them: one more registration is accepted and shown.
    let (lines, named) = persons(1);
    import(&desk, &lines).await;
    let view = desk.read(|m| m.person(PersonId(named[0].0))).unwrap();
    assert_eq!(view.personal.full_name, named[0].1);
    close(desk, &data.a).await;
}

#[tokio::test]
async fn a_snapshot_of_another_journal_or_beyond_the_head_is_refused_and_rebuilt() {
    let data = data();
    // a: the fixture, a snapshot, 3 more events. b: 3 other events first, then the fixture, so
    // that b's record at the snapshot's position has another hash.
    let at = with_snapshot_and_tail(&data.a, &data.key, 3).await;
    let desk = open(&data.b, &data.key).await;
    import(&desk, &persons(3).0).await;
    import(&desk, FIXTURE).await;
    assert!(desk.applied_position() > at);
    close(desk, &data.b).await;
    let whole = replayed(&data.b, &data.key).await;
    std::fs::copy(snapshot::path(&data.a), snapshot::path(&data.b)).unwrap();
    let desk = open(&data.b, &data.key).await;
    assert_eq!(
        desk.snapshot_used_at_open(),
        None,
        "another journal's snapshot"
    );
    assert_eq!(models(&desk), whole);
    close(desk, &data.b).await;
    assert!(
        !snapshot::path(&data.b).exists(),
        "a refused snapshot is deleted"
    );

    // A snapshot of a's longer journal in a journal that ends before its position.
    let desk = open(&data.a, &data.key).await;
    let at = desk.snapshot().unwrap().unwrap();
    close(desk, &data.a).await;
    let c = data.b.with_file_name("c");
    let desk = open(&c, &data.key).await;
    import(&desk, FIXTURE).await;
    assert!(desk.applied_position() < at);
    close(desk, &c).await;
    let whole = replayed(&c, &data.key).await;
    std::fs::copy(snapshot::path(&data.a), snapshot::path(&c)).unwrap();
    let desk = open(&c, &data.key).await;
    assert_eq!(
        desk.snapshot_used_at_open(),
        None,
        "a snapshot beyond the head"
    );
    assert_eq!(models(&desk), whole);
    close(desk, &c).await;
}

#[tokio::test]
async fn a_damaged_or_cut_snapshot_is_refused_and_rebuilt() {
    let data = data();
    let at = with_snapshot_and_tail(&data.a, &data.key, 2).await;
    let whole = replayed(&data.a, &data.key).await;
    let file = snapshot::path(&data.a);
    let good = std::fs::read(&file).unwrap();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let mut moved = good.clone();
    moved[16 + 7] ^= 0x01; // the position in the header
    let damaged = [
        ("a flipped bit", flipped),
        ("a changed position", moved),
        ("cut in half", good[..good.len() / 2].to_vec()),
        ("cut in the header", good[..20].to_vec()),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&file, &bytes).unwrap();
        let desk = open(&data.a, &data.key).await;
        assert_eq!(desk.snapshot_used_at_open(), None, "{what}");
        assert_eq!(models(&desk), whole, "{what}");
        close(desk, &data.a).await;
    }
    // The good one is used again.
    std::fs::write(&file, &good).unwrap();
    let desk = open(&data.a, &data.key).await;
    assert_eq!(desk.snapshot_used_at_open(), Some(at));
    close(desk, &data.a).await;
}

/// Every file under `dir` whose bytes contain `needle`.
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

#[tokio::test]
async fn a_snapshot_taken_before_an_erasure_does_not_bring_the_erased_back() {
    let data = data();
    let dir = data.a.as_path();
    let desk = open(dir, &data.key).await;
    import(&desk, FIXTURE).await;
    let (lines, named) = persons(2);
    import(&desk, &lines).await;
    let (erased, name) = named[0].clone();
    let (kept, kept_name) = named[1].clone();
    desk.snapshot().unwrap().unwrap();
    // The snapshot holds the names sealed, never in clear.
    assert_eq!(holding(dir, name.as_bytes()), Vec::<PathBuf>::new());
    let before = std::fs::read(snapshot::path(dir)).unwrap();

    let supervisor = Actor::new("s.ferri", Role::Supervisor);
    let erase = Command::ErasePerson(domain::ErasePerson {
        person_id: PersonId(erased),
        occurred_at: Utc.with_ymd_and_hms(2024, 6, 1, 10, 0, 0).unwrap(),
        reason: domain::ErasureReason::PersonRequest,
    });
    desk.execute(&supervisor, &erase, None, None)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !snapshot::path(dir).exists(),
        "an erasure deletes the snapshot"
    );
    close(desk, dir).await;

    // A crash between the erasure and the deletion, played by putting the old snapshot back.
    std::fs::write(snapshot::path(dir), &before).unwrap();
    let desk = open(dir, &data.key).await;
    let view = desk.read(|m| m.person(PersonId(erased))).unwrap();
    assert!(view.personal.is_erased(), "the erased person stays erased");
    let search = projections::PersonSearch {
        name: Some(name.clone()),
        ..Default::default()
    };
    let found = desk.read(|m| m.search_persons(&search)).unwrap();
    assert!(found.is_empty(), "the erased person is not found by name");
    let other = desk.read(|m| m.person(PersonId(kept))).unwrap();
    assert_eq!(other.personal.full_name, kept_name);
    assert!(
        std::fs::read(snapshot::path(dir)).ok() != Some(before.clone()),
        "the snapshot from before the erasure is gone"
    );
    // Snapshots written after the erasure are used, and know it.
    desk.snapshot().unwrap().unwrap();
    close(desk, dir).await;
    let desk = open(dir, &data.key).await;
    assert!(desk.snapshot_used_at_open().is_some());
    assert!(desk
        .read(|m| m.person(PersonId(erased)))
        .unwrap()
        .personal
        .is_erased());
    close(desk, dir).await;
}

/// Run as a child by the next test: writes snapshots of the desk in `CHILD_DIR` until killed.
#[tokio::test]
async fn child_writing_snapshots_until_killed() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let key = dir.with_file_name("master-key");
    let desk = open(&dir, &key).await;
    loop {
        desk.snapshot().unwrap();
    }
}

#[tokio::test]
async fn a_child_killed_while_writing_leaves_a_desk_that_opens() {
    let data = data();
    let dir = data.a.as_path();
    with_snapshot_and_tail(dir, &data.key, 4).await;
    let whole = replayed(dir, &data.key).await;
    let temp = dir.join("models.snapshot.tmp");
    for round in 0..3 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_writing_snapshots_until_killed",
                "--nocapture",
            ])
            .env(CHILD_DIR, dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill it once it is writing (its temporary file is there), a little later each round.
        while !temp.exists() {
            std::thread::yield_now();
        }
        for _ in 0..round * 1000 {
            std::thread::yield_now();
        }
        // SIGKILL: nothing of the child runs after it.
        child.kill().unwrap();
        child.wait().unwrap();
        let desk = open(dir, &data.key).await;
        assert_eq!(models(&desk), whole, "round {round}");
        close(desk, dir).await;
    }
}
