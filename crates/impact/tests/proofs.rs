//! Checkpoints, proofs and evaluator bundles through the real binary: what an outsider does with
//! a written-down checkpoint and the public key, and what they see when something is wrong. An
//! independent verifier in Python (`tests/verify_bundle.py`) checks the same bundles.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{fixture, impact, FIXTURE_EVENTS};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

/// A data directory with the fixture month, its public key, and a checkpoint note of it.
struct Installation {
    data: String,
    key: String,
    note: PathBuf,
}

fn installation(dir: &Path, name: &str) -> Installation {
    let data = dir.join(name).to_str().unwrap().to_owned();
    ok(impact(&[
        "import",
        "--data",
        &data,
        fixture().to_str().unwrap(),
    ]));
    let key = ok(impact(&["key", "show", "--data", &data]))
        .trim()
        .to_owned();
    assert_eq!(key.len(), 64, "{key}");
    let note = ok(impact(&["checkpoint", "--data", &data]));
    let path = dir.join(format!("{name}.checkpoint"));
    std::fs::write(&path, &note).unwrap();
    Installation {
        data,
        key,
        note: path,
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn json_text(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

#[test]
fn proofs_verify_against_a_written_down_checkpoint_and_tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = installation(dir.path(), "a");
    let note = std::fs::read_to_string(&a.note).unwrap();
    let events = FIXTURE_EVENTS.to_string();
    assert_eq!(note.lines().nth(1), Some(events.as_str()), "{note}");
    let note_path = a.note.to_str().unwrap();

    // Inclusion of position 5 in the tree of the fixture, checked with the note and the key only.
    let proof = ok(impact(&[
        "proof",
        "inclusion",
        "--data",
        &a.data,
        "--position",
        "5",
        "--tree-size",
        &events,
    ]));
    let proof_path = write(dir.path(), "inclusion.json", &proof);
    let verified = ok(impact(&[
        "proof",
        "verify",
        "--proof",
        &proof_path,
        "--checkpoint",
        note_path,
        "--public-key",
        &a.key,
    ]));
    assert!(verified.contains("position 5"), "{verified}");
    // The same proof as a GraphQL response holds it, without the optional leafIndex.
    let mut bare: serde_json::Value = serde_json::from_str(&proof).unwrap();
    bare.as_object_mut().unwrap().remove("leafIndex");
    let response = json_text(&serde_json::json!({ "data": { "inclusionProof": bare } }));
    let response = write(dir.path(), "response.json", &response);
    ok(impact(&[
        "proof",
        "verify",
        "--proof",
        &response,
        "--checkpoint",
        note_path,
        "--public-key",
        &a.key,
    ]));

    // One hash of the path altered: refused, naming the position.
    let mut value: serde_json::Value = serde_json::from_str(&proof).unwrap();
    value["path"][0] = serde_json::Value::String("00".repeat(32));
    let bad = write(dir.path(), "bad.json", &value.to_string());
    let out = impact(&[
        "proof",
        "verify",
        "--proof",
        &bad,
        "--checkpoint",
        note_path,
        "--public-key",
        &a.key,
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("position 5"), "{}", stdout(&out));

    // Another installation's key: refused.
    let other = ok(impact(&[
        "key",
        "show",
        "--data",
        dir.path().join("other").to_str().unwrap(),
    ]));
    let out = impact(&[
        "proof",
        "verify",
        "--proof",
        &proof_path,
        "--checkpoint",
        note_path,
        "--public-key",
        other.trim(),
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("key given"), "{}", stdout(&out));

    // An altered note (a bigger tree size): the signature fails.
    let forged = write(
        dir.path(),
        "forged.checkpoint",
        &note.replacen(
            &format!("\n{FIXTURE_EVENTS}\n"),
            &format!("\n{}\n", FIXTURE_EVENTS - 1),
            1,
        ),
    );
    let out = impact(&[
        "proof",
        "verify",
        "--proof",
        &proof_path,
        "--checkpoint",
        &forged,
        "--public-key",
        &a.key,
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("signature"), "{}", stdout(&out));

    // A second checkpoint later; the consistency proof between the two verifies.
    let later = write(
        dir.path(),
        "later.checkpoint",
        &ok(impact(&["checkpoint", "--data", &a.data])),
    );
    let consistency = ok(impact(&[
        "proof",
        "consistency",
        "--data",
        &a.data,
        "--from",
        &events,
        "--to",
        // The later checkpoint's event.
        &(FIXTURE_EVENTS + 1).to_string(),
    ]));
    let consistency_path = write(dir.path(), "consistency.json", &consistency);
    let verified = ok(impact(&[
        "proof",
        "verify",
        "--proof",
        &consistency_path,
        "--checkpoint",
        note_path,
        "--checkpoint",
        &later,
        "--public-key",
        &a.key,
    ]));
    assert!(
        verified.contains(&format!("extends the tree of size {FIXTURE_EVENTS}")),
        "{verified}"
    );
    // And the journal as a whole extends the first checkpoint.
    let verified = ok(impact(&[
        "verify",
        "--data",
        &a.data,
        "--checkpoint",
        note_path,
        "--public-key",
        &a.key,
    ]));
    assert!(verified.contains("consistent"), "{verified}");
}

#[test]
fn a_journal_replaced_by_another_valid_chain_fails_against_the_old_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let a = installation(dir.path(), "a");
    // B: the same month imported again elsewhere (other recording times): as many events, a
    // valid chain of its own, another history.
    let b = installation(dir.path(), "b");
    let intact = ok(impact(&["verify", "--data", &b.data]));
    assert!(intact.starts_with("intact"), "{intact}");

    let out = impact(&[
        "verify",
        "--data",
        &b.data,
        "--checkpoint",
        a.note.to_str().unwrap(),
        "--public-key",
        &a.key,
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("history was rewritten"),
        "{}",
        stdout(&out)
    );

    // The same through a consistency proof that B's server would hand out.
    let proof = ok(impact(&[
        "proof",
        "consistency",
        "--data",
        &b.data,
        "--from",
        &FIXTURE_EVENTS.to_string(),
    ]));
    let proof_path = write(dir.path(), "b-consistency.json", &proof);
    let out = impact(&[
        "proof",
        "verify",
        "--proof",
        &proof_path,
        "--checkpoint",
        a.note.to_str().unwrap(),
        "--public-key",
        &a.key,
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("not a prefix"), "{}", stdout(&out));
}

/// The verifier needs Python's `blake3` and `cryptography` packages; a fresh machine gets them
/// from PyPI once (`.ci/run` installs them too).
fn ensure_python_packages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let has = || {
            Command::new("python3")
                .args(["-c", "import blake3, cryptography"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !has() {
            let _ = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "blake3", "cryptography"])
                .output();
        }
        assert!(
            has(),
            "python3 with blake3 and cryptography is needed: pip install blake3 cryptography"
        );
    });
}

fn python_verify(bundle: &str, key: &str) -> (i32, String) {
    ensure_python_packages();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/verify_bundle.py");
    let output = Command::new("python3")
        .arg(script)
        .args([bundle, "--public-key", key])
        .output()
        .expect("python3 runs");
    (code(&output), stdout(&output))
}

fn rust_verify(bundle: &str, key: &str) -> (i32, String) {
    let output = impact(&["bundle", "verify", bundle, "--public-key", key]);
    (code(&output), stdout(&output))
}

#[test]
fn a_bundle_verifies_offline_in_rust_and_python_and_damage_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = installation(dir.path(), "a");
    // The events were recorded today (the import); the period is by recording time.
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Days::new(1)).to_string();
    let to = (today + chrono::Days::new(1)).to_string();
    let bundle_path = dir.path().join("bundle.json");
    let bundle = bundle_path.to_str().unwrap();
    ok(impact(&[
        "bundle", "create", "--data", &a.data, "--from", &from, "--to", &to, "--out", bundle,
    ]));
    let text = std::fs::read_to_string(&bundle_path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The fixture's events and the checkpoint: a new checkpoint was signed to cover them all.
    let covered = FIXTURE_EVENTS + 1;
    assert_eq!(
        u64::try_from(value["events"].as_array().unwrap().len()).unwrap(),
        covered
    );
    assert_eq!(
        value["checkpoint"].as_str().unwrap().lines().nth(1),
        Some(covered.to_string().as_str())
    );

    // The evaluator view: no names, contacts, notes, birth years or person ids.
    let fixture_text = std::fs::read_to_string(fixture()).unwrap();
    for line in fixture_text.lines() {
        let command: serde_json::Value = serde_json::from_str(line).unwrap();
        let command = &command["command"];
        if let Some(name) = command
            .pointer("/personal/fullName")
            .and_then(|v| v.as_str())
        {
            assert!(!text.contains(name), "a name reached the bundle");
        }
        if let Some(person) = command.get("personId").and_then(|v| v.as_str()) {
            assert!(!text.contains(person), "a person id reached the bundle");
        }
        if let Some(note) = command.get("note").and_then(|v| v.as_str()) {
            assert!(!text.contains(note), "a note reached the bundle");
        }
    }
    assert!(!text.contains("birthYear") && text.contains("ageBand"));
    assert!(value["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["record"].is_string()));

    let (code_rust, out) = rust_verify(bundle, &a.key);
    assert_eq!(code_rust, 0, "{out}");
    assert!(out.contains(&format!("{covered} events")), "{out}");
    let (code_py, out) = python_verify(bundle, &a.key);
    assert_eq!(code_py, 0, "{out}");
    assert!(out.contains(&format!("{covered} events")), "{out}");

    // A full record's payload changed (a service renamed): both name the position.
    let mut altered = value.clone();
    let events = altered["events"].as_array_mut().unwrap();
    let service = events
        .iter_mut()
        .find(|e| e["type"] == "ServiceMapped")
        .unwrap();
    let position = service["position"].as_u64().unwrap();
    service["payload"]["name"] = serde_json::Value::String("Altro servizio".into());
    let path = write(dir.path(), "altered.json", &altered.to_string());
    for (code, out) in [rust_verify(&path, &a.key), python_verify(&path, &a.key)] {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(&format!("position {position}")), "{out}");
        assert!(out.contains("payload"), "{out}");
    }

    // An event hash changed: its proof fails.
    let mut altered = value.clone();
    altered["events"][40]["eventHash"] = serde_json::Value::String("ab".repeat(32));
    let path = write(dir.path(), "rehashed.json", &altered.to_string());
    for (code, out) in [rust_verify(&path, &a.key), python_verify(&path, &a.key)] {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("position 41"), "{out}");
    }

    // An event left out: the gap is named.
    let mut gap = value.clone();
    gap["events"].as_array_mut().unwrap().remove(10);
    let path = write(dir.path(), "gap.json", &gap.to_string());
    for (code, out) in [rust_verify(&path, &a.key), python_verify(&path, &a.key)] {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("position 11"), "{out}");
        assert!(out.contains("missing"), "{out}");
    }

    // The last events cut off (still valid JSON): the bundle ends early.
    let mut short = value.clone();
    short["events"].as_array_mut().unwrap().truncate(90);
    let path = write(dir.path(), "short.json", &short.to_string());
    for (code, out) in [rust_verify(&path, &a.key), python_verify(&path, &a.key)] {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("position 91"), "{out}");
    }

    // A truncated file.
    let path = write(dir.path(), "truncated.json", &text[..text.len() / 2]);
    for (code, out) in [rust_verify(&path, &a.key), python_verify(&path, &a.key)] {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("truncated"), "{out}");
    }

    // Another installation's key.
    let other = ok(impact(&[
        "key",
        "show",
        "--data",
        dir.path().join("other").to_str().unwrap(),
    ]));
    for (code, out) in [
        rust_verify(bundle, other.trim()),
        python_verify(bundle, other.trim()),
    ] {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("checkpoint"), "{out}");
    }

    // Usage errors are 2, not 1.
    let (code, _) = rust_verify(dir.path().join("absent.json").to_str().unwrap(), &a.key);
    assert_eq!(code, 2);
    let (code, _) = rust_verify(bundle, "not a key");
    assert_eq!(code, 2);
}

#[test]
fn a_bundle_of_days_when_nothing_was_recorded_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let a = installation(dir.path(), "a");
    // The fixture's events happened in May 2024 but were recorded today.
    let bundle_path = dir.path().join("bundle.json");
    let output = impact(&[
        "bundle",
        "create",
        "--data",
        &a.data,
        "--from",
        "2024-05-01",
        "--to",
        "2024-05-31",
        "--out",
        bundle_path.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(code(&output), 2, "{stderr}");
    assert!(
        stderr.contains("no event was recorded from 2024-05-01 to 2024-05-31"),
        "{stderr}"
    );
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(stderr.contains(&format!("to {today}")), "{stderr}");
    assert!(!bundle_path.exists());
}
