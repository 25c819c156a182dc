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

    // An altered note (a smaller tree size): the signature fails.
    let mut lines: Vec<String> = note.lines().map(String::from).collect();
    let size: u64 = lines[1].parse().unwrap();
    lines[1] = (size - 1).to_string();
    let forged = write(
        dir.path(),
        "forged.checkpoint",
        &format!("{}\n", lines.join("\n")),
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
    // An altered fromRoot or toRoot is refused, though the path still links the signed roots.
    for field in ["fromRoot", "toRoot"] {
        let mut value: serde_json::Value = serde_json::from_str(&consistency).unwrap();
        value[field] = serde_json::Value::String("ab".repeat(32));
        let bad = write(dir.path(), "bad-root.json", &value.to_string());
        let out = impact(&[
            "proof",
            "verify",
            "--proof",
            &bad,
            "--checkpoint",
            note_path,
            "--checkpoint",
            &later,
            "--public-key",
            &a.key,
        ]);
        assert_eq!(code(&out), 1, "{field}: {}", stdout(&out));
        assert!(stdout(&out).contains(field), "{}", stdout(&out));
    }

    // An inclusion proof's eventId is bound by the event's record (its export line); without
    // it, the verifier says the id is not proven.
    assert!(
        verified_without_record_says_the_id_is_not_proven(&proof_path, note_path, &a.key),
        "the eventId was claimed without its record"
    );
    let export = dir.path().join("event5.jsonl");
    ok(impact(&[
        "export",
        "--data",
        &a.data,
        "--from",
        "5",
        "--to",
        "5",
        "--out",
        export.to_str().unwrap(),
    ]));
    let with_record = |proof: &str| {
        impact(&[
            "proof",
            "verify",
            "--proof",
            proof,
            "--checkpoint",
            note_path,
            "--public-key",
            &a.key,
            "--record",
            export.to_str().unwrap(),
        ])
    };
    let out = with_record(&proof_path);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let id = serde_json::from_str::<serde_json::Value>(&proof).unwrap()["eventId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(stdout(&out).contains(&id), "{}", stdout(&out));
    let mut value: serde_json::Value = serde_json::from_str(&proof).unwrap();
    value["eventId"] = serde_json::Value::String("01HZ0000000000000000000001".into());
    let relabelled = write(dir.path(), "relabelled.json", &value.to_string());
    let out = with_record(&relabelled);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("eventId"), "{}", stdout(&out));

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

fn verified_without_record_says_the_id_is_not_proven(proof: &str, note: &str, key: &str) -> bool {
    let out = ok(impact(&[
        "proof",
        "verify",
        "--proof",
        proof,
        "--checkpoint",
        note,
        "--public-key",
        key,
    ]));
    out.contains("is not proven")
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
    // B's proof carries B's root of the old size: named before the path is even followed.
    assert!(stdout(&out).contains("fromRoot"), "{}", stdout(&out));
    assert!(stdout(&out).contains("another history"), "{}", stdout(&out));
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
    // The evaluator view never shows a birth year (the age band only; the year is a proven
    // disclosure, ADR 0015). The fixture's persons each have a combination fewer than five
    // share: their events are withheld for k-anonymity.
    for event in value["events"].as_array().unwrap() {
        assert!(event["payload"].get("birthYear").is_none());
    }
    assert!(text.contains("\"k-anonymity\""));
    // Every record of the fixture is of format 2: each entry proves its envelope by its body.
    assert!(value["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["body"].is_string() && e.get("record").is_none()));

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

    // Completeness and what each event is: each tamper is refused by both verifiers, naming it.
    let b = installation(dir.path(), "b");
    let b_bundle = dir.path().join("b-bundle.json");
    ok(impact(&[
        "bundle",
        "create",
        "--data",
        &b.data,
        "--from",
        &from,
        "--to",
        &to,
        "--out",
        b_bundle.to_str().unwrap(),
    ]));
    let b_value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&b_bundle).unwrap()).unwrap();
    let last = value["events"].as_array().unwrap().len() - 1;
    let personal = value["events"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["type"] == "IntakeRecorded" && e["record"].is_null())
        .unwrap();
    type Tamper = Box<dyn Fn(&mut serde_json::Value)>;
    let tampers: Vec<(&str, Tamper, &str)> = vec![
        (
            "drop the first event, renumber the range",
            Box::new(|v| {
                v["events"].as_array_mut().unwrap().remove(0);
                v["firstPosition"] = 2.into();
            }),
            "position 1",
        ),
        (
            "drop the last event, shorten the range",
            Box::new(move |v| {
                v["events"].as_array_mut().unwrap().remove(last);
                v["lastPosition"] = u64::try_from(last).unwrap().into();
            }),
            "manifest",
        ),
        (
            "drop every event and the range",
            Box::new(|v| {
                v["events"] = serde_json::json!([]);
                v["lastPosition"] = 0.into();
            }),
            "missing",
        ),
        (
            "relabel a type",
            Box::new(move |v| v["events"][personal]["type"] = "ServiceRetired".into()),
            "type differs from the signed manifest",
        ),
        (
            "move a time",
            Box::new(move |v| {
                v["events"][personal]["recordedAt"] = "1999-05-02T07:17:00.000000Z".into();
            }),
            "recordedAt",
        ),
        (
            "move the period",
            Box::new(|v| v["period"]["from"] = "1999-01-01".into()),
            "period",
        ),
        (
            "remove the manifest's signature",
            Box::new(|v| v["manifestSignature"] = "".into()),
            "manifest",
        ),
    ];
    for (what, tamper, named) in tampers {
        let mut altered = value.clone();
        tamper(&mut altered);
        let path = write(dir.path(), "tampered.json", &altered.to_string());
        for (code, out) in [rust_verify(&path, &a.key), python_verify(&path, &a.key)] {
            assert_eq!(code, 1, "{what}: {out}");
            assert!(out.contains(named), "{what}: {out}");
        }
    }
    // The checkpoint swapped for another installation's: neither key verifies the bundle.
    let mut swapped = value.clone();
    swapped["checkpoint"] = b_value["checkpoint"].clone();
    let path = write(dir.path(), "swapped.json", &swapped.to_string());
    for key in [&a.key, &b.key] {
        for (code, out) in [rust_verify(&path, key), python_verify(&path, key)] {
            assert_eq!(code, 1, "{out}");
            assert!(
                out.contains("checkpoint") || out.contains("manifest"),
                "{out}"
            );
        }
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

#[test]
fn an_empty_bundle_proves_by_its_boundary_that_nothing_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let a = installation(dir.path(), "a");
    let bundle_path = dir.path().join("empty.json");
    let bundle = bundle_path.to_str().unwrap();
    ok(impact(&[
        "bundle",
        "create",
        "--data",
        &a.data,
        "--from",
        "2024-05-01",
        "--to",
        "2024-05-31",
        "--out",
        bundle,
        "--allow-empty",
    ]));
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle_path).unwrap()).unwrap();
    assert_eq!(value["firstPosition"], 1);
    assert_eq!(value["lastPosition"], 0);
    assert_eq!(value["boundary"]["after"]["position"], 1);
    for (code, out) in [rust_verify(bundle, &a.key), python_verify(bundle, &a.key)] {
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("0 events"), "{out}");
    }
    // The event after the period moved into it: refused.
    let mut moved = value.clone();
    moved["boundary"]["after"]["recordedAt"] = "2024-05-10T10:00:00.000000Z".into();
    let path = write(dir.path(), "moved.json", &moved.to_string());
    for (code, out) in [rust_verify(&path, &a.key), python_verify(&path, &a.key)] {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("boundary.after"), "{out}");
    }
}

#[test]
fn a_bundle_withholds_the_content_of_persons_without_reporting_consent() {
    let dir = tempfile::tempdir().unwrap();
    let a = installation(dir.path(), "a");
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Days::new(1)).to_string();
    let to = (today + chrono::Days::new(1)).to_string();
    let create = |name: &str| {
        let path = dir.path().join(name);
        ok(impact(&[
            "bundle",
            "create",
            "--data",
            &a.data,
            "--from",
            &from,
            "--to",
            &to,
            "--out",
            path.to_str().unwrap(),
        ]));
        let text = std::fs::read_to_string(&path).unwrap();
        (path, text)
    };
    // Five more persons alike the fixture's first (age band, sex, citizenship, permit type and
    // household size), each with the `reporting` consent: k-anonymity (ADR 0015) lets her
    // fields through, which it does not for a combination fewer than five share.
    let fixture_text = std::fs::read_to_string(fixture()).unwrap();
    let first = "01HWW2G3903GE5WBXZ6BWN1ZZR";
    let mut alike = String::new();
    for i in 0..5 {
        let id = format!("01HZ{:022}", 100 + i);
        for (n, line) in fixture_text
            .lines()
            .filter(|l| {
                l.contains(first)
                    && (l.contains("\"RegisterPerson\"") || l.contains("\"GiveConsent\""))
            })
            .enumerate()
        {
            let mut line: serde_json::Value = serde_json::from_str(line).unwrap();
            line["eventId"] = format!("01HZ{:022}", 200 + 10 * i + n).into();
            line["command"]["personId"] = id.clone().into();
            if let Some(name) = line.pointer_mut("/command/personal/fullName") {
                *name = format!("Persona Simile {i}").into();
            }
            alike.push_str(&format!("{line}\n"));
        }
    }
    let alike = write(dir.path(), "alike.jsonl", &alike);
    ok(impact(&["import", "--data", &a.data, &alike]));
    let (_, before_text) = create("before.json");
    let before: serde_json::Value = serde_json::from_str(&before_text).unwrap();
    // Every person in the fixture gave the `reporting` consent: none is withheld for it.
    assert!(before["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["payloadWithheld"] != "reporting"));
    // The consent of the fixture's first person (given 2024-05-02 at 09:17 in Rome).
    let consent = before["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "ConsentGiven" && e["occurredAt"] == "2024-05-02T07:17:00.000000Z")
        .unwrap();
    let pseudonym = consent["payload"]["personId"].as_str().unwrap().to_owned();
    let positions: Vec<u64> = before["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["payload"]["personId"] == pseudonym.as_str())
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert!(positions.len() > 2, "{positions:?}");

    // They withdraw it.
    let withdraw = serde_json::json!({
        "eventId": "01HZ0000000000000000000001",
        "actor": {"id": "o.kovalenko", "role": "mediator"},
        "command": {"command": "WithdrawConsent", "personId": "01HWW2G3903GE5WBXZ6BWN1ZZR",
            "siteId": "montelucci-4", "occurredAt": "2024-05-31T10:00:00+02:00",
            "scopes": ["reporting"]}
    });
    let line = write(dir.path(), "withdraw.jsonl", &format!("{withdraw}\n"));
    ok(impact(&["import", "--data", &a.data, &line]));
    let (after_path, after_text) = create("after.json");
    let after: serde_json::Value = serde_json::from_str(&after_text).unwrap();
    assert!(
        !after_text.contains(&pseudonym),
        "the person's pseudonym is still in the bundle"
    );
    for event in after["events"].as_array().unwrap() {
        if positions.contains(&event["position"].as_u64().unwrap()) {
            assert_eq!(event["payloadWithheld"], "reporting", "{event}");
            assert!(event["payload"].is_null(), "{event}");
        }
    }
    // Other persons' events are still shown, and the bundle verifies.
    assert!(after["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "PersonRegistered" && e["payload"]["personId"].is_string()));
    let after_path = after_path.to_str().unwrap();
    for (code, out) in [
        rust_verify(after_path, &a.key),
        python_verify(after_path, &a.key),
    ] {
        assert_eq!(code, 0, "{out}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_witness_cosigns_only_a_consistent_checkpoint_and_a_bundle_can_require_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = installation(dir.path(), "a");
    let state = dir.path().join("witness");
    let state = state.to_str().unwrap();
    let witness_key = ok(impact(&[
        "witness",
        "init",
        "--state",
        state,
        "--name",
        "comune-guidonia/witness",
    ]))
    .trim()
    .to_owned();
    assert_eq!(witness_key.len(), 64);
    let cosign = |args: &[&str]| {
        let mut all = vec!["witness", "cosign", "--state", state, "--desk-key", &a.key];
        all.extend_from_slice(args);
        impact(&all)
    };
    // The first checkpoint of a desk is taken as it is.
    let first_note = a.note.to_str().unwrap();
    let line = ok(cosign(&["--checkpoint", first_note]));
    assert!(
        line.starts_with("\u{2014} comune-guidonia/witness "),
        "{line}"
    );
    let size: u64 = std::fs::read_to_string(&a.note)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();

    // A copy of the desk that goes another way: the same key, another history.
    let rewritten = dir.path().join("rewritten");
    copy_dir(Path::new(&a.data), &rewritten);
    std::fs::copy(
        format!("{}.master-key", a.data),
        dir.path().join("rewritten.master-key"),
    )
    .unwrap();
    let rewritten = rewritten.to_str().unwrap();
    let withdraw = serde_json::json!({
        "eventId": "01HZ0000000000000000000002",
        "actor": {"id": "o.kovalenko", "role": "mediator"},
        "command": {"command": "WithdrawConsent", "personId": "01HWW2G3903GE5WBXZ6BWN1ZZR",
            "siteId": "montelucci-4", "occurredAt": "2024-05-31T10:00:00+02:00",
            "scopes": ["reporting"]}
    });
    let line_file = write(dir.path(), "withdraw.jsonl", &format!("{withdraw}\n"));
    ok(impact(&["import", "--data", rewritten, &line_file]));
    // The desk goes on: a checkpoint, then a bundle whose checkpoint the witness cosigns with the
    // consistency proof from the one it cosigned.
    ok(impact(&["checkpoint", "--data", &a.data]));
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Days::new(1)).to_string();
    let to = (today + chrono::Days::new(1)).to_string();
    let bundle_path = dir.path().join("bundle.json");
    let bundle = bundle_path.to_str().unwrap();
    ok(impact(&[
        "bundle", "create", "--data", &a.data, "--from", &from, "--to", &to, "--out", bundle,
    ]));
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle_path).unwrap()).unwrap();
    let new_size = value["checkpoint"]
        .as_str()
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    // Without a proof: refused.
    let out = cosign(&["--bundle", bundle]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("consistency proof"),
        "{}",
        stdout(&out)
    );
    let proof = ok(impact(&[
        "proof",
        "consistency",
        "--data",
        &a.data,
        "--from",
        &size.to_string(),
        "--to",
        &new_size,
    ]));
    let proof = write(dir.path(), "consistency.json", &proof);
    ok(cosign(&["--bundle", bundle, "--proof", &proof]));
    let verified = ok(impact(&[
        "bundle",
        "verify",
        bundle,
        "--public-key",
        &a.key,
        "--witness",
        &witness_key,
    ]));
    assert!(verified.contains("cosigned"), "{verified}");

    // The cosignature removed: a bundle verify that requires the witness refuses it.
    let mut bare: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle_path).unwrap()).unwrap();
    bare.as_object_mut().unwrap().remove("cosignatures");
    let bare = write(dir.path(), "bare.json", &bare.to_string());
    let out = impact(&[
        "bundle",
        "verify",
        &bare,
        "--public-key",
        &a.key,
        "--witness",
        &witness_key,
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("cosignatures"), "{}", stdout(&out));
    // The Python verifier agrees on both.
    ensure_python_packages();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/verify_bundle.py");
    for (file, expected) in [(bundle, 0), (bare.as_str(), 1)] {
        let out = Command::new("python3")
            .arg(&script)
            .args([file, "--public-key", &a.key, "--witness", &witness_key])
            .output()
            .unwrap();
        assert_eq!(code(&out), expected, "{}", stdout(&out));
    }

    // The rewritten desk's checkpoint, signed with the same key, with its own consistency proof
    // from the size the witness cosigned: the witness refuses it.
    ok(impact(&["checkpoint", "--data", rewritten]));
    let note = write(
        dir.path(),
        "rewritten.checkpoint",
        &ok(impact(&["checkpoint", "--data", rewritten])),
    );
    let rewritten_size = std::fs::read_to_string(&note)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    let proof = ok(impact(&[
        "proof",
        "consistency",
        "--data",
        rewritten,
        "--from",
        &new_size,
        "--to",
        &rewritten_size,
    ]));
    let proof = write(dir.path(), "rewritten-consistency.json", &proof);
    let out = cosign(&["--checkpoint", &note, "--proof", &proof]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("history was rewritten"),
        "{}",
        stdout(&out)
    );
}
