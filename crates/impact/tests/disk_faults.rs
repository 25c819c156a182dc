//! The data directory survives its disk, through the real binary: a flipped bit in sled's file
//! is named by `verify` (exit 1, nothing changed), repaired by `repair`; a backup restores into
//! a new directory that verifies against the backup's head, and erasures recorded after the
//! backup are re-applied, never undone.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{fixture, impact, FIXTURE_EVENTS};

fn hashes(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    blake3::hash(&bytes).to_hex().to_string(),
                );
            }
        }
    }
    out
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn imported() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let out = impact(&[
        "import",
        "--data",
        data.to_str().unwrap(),
        fixture().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    (dir, data)
}

/// `impact head`: "<position> <hash>".
fn head_of(data: &Path) -> String {
    let out = impact(&["head", "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_flipped_bit_in_sled_is_named_by_verify_and_repaired() {
    let (_dir, data) = imported();
    let d = data.to_str().unwrap();
    let head = head_of(&data);
    assert!(head.starts_with(&format!("{FIXTURE_EVENTS} ")), "{head}");
    let db = data.join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    let at = bytes
        .windows(10)
        .position(|w| w == b"Montelucci")
        .expect("the service's name is in sled's file");
    bytes[at + 1] ^= 1;
    std::fs::write(&db, bytes).unwrap();

    let before = hashes(&data);
    let verify = impact(&["verify", "--data", d]);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    let said = text(&verify);
    assert!(
        said.contains(&format!(
            "sled holds positions 1..0; the journal had acknowledged {FIXTURE_EVENTS} (hash {}",
            head.split_once(' ').unwrap().1
        )),
        "{said}"
    );
    assert!(said.contains("impact repair"), "{said}");
    assert_eq!(hashes(&data), before, "verify changed no byte");

    assert_eq!(head_of(&data), head);
    assert_eq!(hashes(&data), before, "head changed no byte");

    let repair = impact(&["repair", "--data", d]);
    assert_eq!(repair.status.code(), Some(0), "{}", text(&repair));
    assert!(text(&repair).contains("rebuilt sled"), "{}", text(&repair));
    let verify = impact(&["verify", "--data", d]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(text(&verify).contains(&format!(
        "intact: {FIXTURE_EVENTS} events checked; head {head}"
    )));
    let repair = impact(&["repair", "--data", d]);
    assert!(
        text(&repair).contains("nothing to repair"),
        "{}",
        text(&repair)
    );
}

#[test]
fn a_backup_restores_and_verifies_and_never_undoes_an_erasure() {
    let (dir, data) = imported();
    let d = data.to_str().unwrap();
    let head = head_of(&data);
    let backup = dir.path().join("nightly.tar");
    let out = impact(&["backup", "--data", d, "--out", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&head), "{}", text(&out));

    // After the backup, the person is erased.
    let erase = dir.path().join("erase.jsonl");
    std::fs::write(
        &erase,
        r#"{"eventId":"01HXA0000000000000000ERASE","actor":{"id":"s.ferri","role":"supervisor"},"command":{"command":"ErasePerson","personId":"01HWW2G3903GE5WBXZ6BWN1ZZR","occurredAt":"2024-06-03T10:00:00+02:00","reason":"person_request"}}"#
            .to_string()
            + "\n",
    )
    .unwrap();
    let out = impact(&["import", "--data", d, erase.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));

    // A restore into a directory that is not empty is refused.
    let out = impact(&["restore", backup.to_str().unwrap(), "--data", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("not empty"), "{}", text(&out));

    let master_key = format!("{d}.master-key");
    let restored = dir.path().join("restored");
    let r = restored.to_str().unwrap();
    let out = impact(&[
        "restore",
        backup.to_str().unwrap(),
        "--data",
        r,
        "--master-key",
        &master_key,
        "--erasures-from",
        d,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(&format!("restored {FIXTURE_EVENTS} events")),
        "{said}"
    );
    assert!(said.contains("re-applied 1 erasures"), "{said}");
    // The restored journal is the backup's, then the erasure recorded again.
    let verify = impact(&["verify", "--data", r, "--master-key", &master_key]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(
        // The fixture's events and the erasure.
        text(&verify).contains(&format!("intact: {} events checked", FIXTURE_EVENTS + 1)),
        "{}",
        text(&verify)
    );
    let prefix = impact(&["verify", "--data", r, "--to", &FIXTURE_EVENTS.to_string()]);
    assert!(
        text(&prefix).contains(&format!("head {head}")),
        "{}",
        text(&prefix)
    );

    let person: ulid::Ulid = "01HWW2G3903GE5WBXZ6BWN1ZZR".parse().unwrap();
    let key_state = |dir: &Path| {
        desk::vault::Vault::open(dir, Path::new(&master_key))
            .unwrap()
            .key_state(person)
    };
    assert_eq!(
        key_state(&restored),
        desk::vault::KeyState::Destroyed,
        "the erased person's key came back with the restore"
    );

    // Without the erasures, the same backup brings the name back: the restore says so.
    let again = dir.path().join("again");
    let out = impact(&[
        "restore",
        backup.to_str().unwrap(),
        "--data",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("--erasures-from"), "{}", text(&out));
    assert_eq!(key_state(&again), desk::vault::KeyState::Active);
}

#[test]
fn a_damaged_backup_is_refused_by_name() {
    let (dir, data) = imported();
    let backup = dir.path().join("b.tar");
    let out = impact(&[
        "backup",
        "--data",
        data.to_str().unwrap(),
        "--out",
        backup.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let mut bytes = std::fs::read(&backup).unwrap();
    // A byte inside the journal's records (the first entry, after its 512-byte header).
    bytes[512 + 300] ^= 0x20;
    std::fs::write(&backup, bytes).unwrap();
    let target = dir.path().join("r");
    let out = impact(&[
        "restore",
        backup.to_str().unwrap(),
        "--data",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("journal.frames in the backup is damaged"),
        "{}",
        text(&out)
    );
}

/// The commands that only read, each as a desk runs it, with where it writes its output.
fn read_only_commands(data: &str, out: &str) -> Vec<Vec<String>> {
    let today = chrono::Utc::now().date_naive().to_string();
    let bundle = format!("{out}.bundle.json");
    let commands: Vec<Vec<&str>> = vec![
        vec!["verify", "--data", data],
        vec!["verify", "--data", data, "--json"],
        vec!["head", "--data", data],
        vec![
            "report", "--data", data, "--period", "2024-05", "--out", out,
        ],
        vec![
            "report", "--data", data, "--period", "2024-05", "--format", "json",
        ],
        vec!["report", "--data", data, "--quarter", "2024-Q2", "--fami"],
        vec![
            "replay", "--data", data, "--as-of", &today, "--period", "2024-05",
        ],
        vec!["directory", "--data", data],
        vec![
            "bundle", "create", "--data", data, "--from", &today, "--to", &today, "--out", &bundle,
        ],
        vec![
            "proof",
            "inclusion",
            "--data",
            data,
            "--position",
            "5",
            "--tree-size",
            "50",
        ],
        vec![
            "proof",
            "consistency",
            "--data",
            data,
            "--from",
            "10",
            "--to",
            "50",
        ],
    ];
    commands
        .into_iter()
        .map(|c| c.into_iter().map(str::to_owned).collect())
        .collect()
}

/// Every command that only reads changes no byte of the data directory, on an intact directory
/// and on one whose sled file is damaged (the commands then read the journal's log).
#[test]
fn read_only_commands_change_no_byte_intact_or_damaged() {
    let (dir, data) = imported();
    let d = data.to_str().unwrap().to_owned();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap().to_owned();
    for damaged in [false, true] {
        if damaged {
            let db = data.join("db");
            let mut bytes = std::fs::read(&db).unwrap();
            let at = bytes.len() / 2;
            bytes[at] ^= 0x10;
            std::fs::write(&db, bytes).unwrap();
        }
        for command in read_only_commands(&d, &out) {
            let before = hashes(&data);
            let args: Vec<&str> = command.iter().map(String::as_str).collect();
            let output = impact(&args);
            let code = output.status.code();
            assert!(
                code == Some(0) || (damaged && code == Some(1) && args[0] == "verify"),
                "{args:?} (damaged: {damaged}) exited {code:?}: {}",
                text(&output)
            );
            assert_eq!(
                hashes(&data),
                before,
                "{args:?} (damaged: {damaged}) changed the data directory"
            );
        }
    }
}

/// A signing key file replaced by another installation's (well formed, its public key beside
/// it) is not the key of the journal's checkpoints: verify names it, the server refuses to start
/// and never signs with it.
#[test]
fn another_installations_signing_key_is_named_and_refused() {
    let (_a_dir, a) = imported();
    let (_b_dir, b) = imported();
    let a_s = a.to_str().unwrap();
    let signed = impact(&["checkpoint", "--data", a_s]);
    assert!(signed.status.success(), "{}", text(&signed));
    std::fs::copy(
        b.join("checkpoint-signing.key"),
        a.join("checkpoint-signing.key"),
    )
    .unwrap();
    let verify = impact(&["verify", "--data", a_s]);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    let said = text(&verify);
    assert!(
        said.contains("DAMAGED: checkpoint-signing.key") && said.contains("was signed with"),
        "{said}"
    );
    // `timeout`: a server that started anyway is stopped after 60 s (exit 124), and fails here.
    let serve = std::process::Command::new("timeout")
        .args(["60", env!("CARGO_BIN_EXE_impact")])
        .args(["serve", "--data", a_s, "--listen", "127.0.0.1:0"])
        .env("IMPACT_LOG", "warn")
        .env_remove("IMPACT_DATA")
        .env_remove("IMPACT_MASTER_KEY_FILE")
        .output()
        .unwrap();
    assert_eq!(serve.status.code(), Some(2), "{}", text(&serve));
    assert!(
        text(&serve).contains("holds another key than"),
        "{}",
        text(&serve)
    );
}
