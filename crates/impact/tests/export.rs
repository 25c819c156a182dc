//! `impact export` carries everything needed to re-verify the chain without this code: an
//! independent verifier in Python (`tests/verify_export.py`) accepts an intact export and names
//! the first bad position of an altered one; `impact verify` agrees with it.

use std::path::Path;
use std::process::Command;

mod common;
use common::{fixture, impact, FIXTURE_EVENTS, FIXTURE_LINES};

/// The verifier needs Python's `blake3` package; a fresh machine gets it from PyPI once, so that
/// `cargo test --workspace` alone runs this test (`.ci/run` installs it too).
fn ensure_blake3() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let has = || {
            Command::new("python3")
                .args(["-c", "import blake3"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !has() {
            let _ = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "blake3"])
                .output();
        }
        assert!(
            has(),
            "python3 with the blake3 package is needed: pip install blake3"
        );
    });
}

fn python_verify(export: &Path, extra: &[&str]) -> (i32, String) {
    ensure_blake3();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/verify_export.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(export)
        .args(extra)
        .output()
        .expect("python3 runs (CI installs it with the blake3 package)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.code().is_some_and(|c| c == 0 || c == 1),
        "verifier failed to run: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), stdout)
}

#[test]
fn an_export_reverifies_in_python_and_tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let imported = impact(&["import", "--data", data, fixture().to_str().unwrap()]);
    assert!(imported.status.success(), "{imported:?}");

    let head = impact(&["head", "--data", data]);
    let head = String::from_utf8(head.stdout).unwrap();
    let (position, hash) = head.trim().split_once(' ').unwrap();
    assert_eq!(position, FIXTURE_EVENTS.to_string());

    let export = dir.path().join("export.jsonl");
    let out = impact(&["export", "--data", data, "--out", export.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&export).unwrap();
    assert_eq!(text.lines().count(), FIXTURE_LINES);

    let (code, stdout) = python_verify(&export, &["--head", &format!("{position}:{hash}")]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains(hash), "{stdout}");

    // A wrong written-down head is caught.
    let (code, _) = python_verify(&export, &["--head", &format!("101:{hash}")]);
    assert_eq!(code, 1);

    // One altered byte in the payload part of record 57.
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let record = lines[56]["record"].as_str().unwrap().to_owned();
    let mut bytes: Vec<u8> = (0..record.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&record[i..i + 2], 16).unwrap())
        .collect();
    let middle = bytes.len() - 100;
    bytes[middle] ^= 0x01;
    lines[56]["record"] =
        serde_json::Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect());
    let tampered = dir.path().join("tampered.jsonl");
    let body: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(&tampered, body.join("\n")).unwrap();
    let (code, stdout) = python_verify(&tampered, &[]);
    assert_eq!(code, 1);
    assert!(stdout.contains("position 57"), "{stdout}");

    // A removed line breaks the chain at the next position.
    let mut removed = body.clone();
    removed.remove(20);
    let gap = dir.path().join("gap.jsonl");
    std::fs::write(&gap, removed.join("\n")).unwrap();
    let (code, stdout) = python_verify(&gap, &[]);
    assert_eq!(code, 1);
    assert!(stdout.contains("position 21"), "{stdout}");

    // The Rust verifier agrees that the stored journal itself is intact.
    let verified = impact(&["verify", "--data", data, "--json"]);
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(report["checked"], FIXTURE_EVENTS);
    assert_eq!(report["head"]["hash"], hash);
}

#[test]
fn verify_exits_two_on_a_directory_without_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let out = impact(&["verify", "--data", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn an_export_imported_into_an_empty_journal_reproduces_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let copy = dir.path().join("copy");
    let (source, copy) = (source.to_str().unwrap(), copy.to_str().unwrap());
    assert!(
        impact(&["import", "--data", source, fixture().to_str().unwrap()])
            .status
            .success()
    );
    let export = dir.path().join("export.jsonl");
    let export = export.to_str().unwrap();
    assert!(impact(&["export", "--data", source, "--out", export])
        .status
        .success());

    let imported = impact(&["import", "--data", copy, export]);
    assert!(imported.status.success(), "{imported:?}");
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(
        said.contains(&format!(
            "{FIXTURE_EVENTS} events, {FIXTURE_EVENTS} recorded"
        )),
        "{said}"
    );
    let head = |data: &str| String::from_utf8(impact(&["head", "--data", data]).stdout).unwrap();
    assert_eq!(head(copy), head(source), "the same chain, to the last hash");
    assert_eq!(impact(&["verify", "--data", copy]).status.code(), Some(0));

    // Importing it again records nothing twice.
    let again = impact(&["import", "--data", copy, export]);
    assert!(again.status.success(), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stdout)
        .contains(&format!("0 recorded, {FIXTURE_EVENTS} already recorded")));
    assert_eq!(head(copy), head(source));

    // The copy's read models are those of the source: export it again, byte for byte the same.
    let second = dir.path().join("second.jsonl");
    assert!(
        impact(&["export", "--data", copy, "--out", second.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read_to_string(&second).unwrap(),
        std::fs::read_to_string(export).unwrap()
    );

    // A range that does not start at the head of an empty journal is refused with its line.
    let later = dir.path().join("later.jsonl");
    assert!(impact(&[
        "export",
        "--data",
        source,
        "--out",
        later.to_str().unwrap(),
        "--from",
        "50"
    ])
    .status
    .success());
    let empty = dir.path().join("empty");
    let refused = impact(&[
        "import",
        "--data",
        empty.to_str().unwrap(),
        later.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("continues at 1"), "{said}");

    // An altered record is refused before anything of it is written.
    let text = std::fs::read_to_string(export).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let record = lines[9]["record"].as_str().unwrap();
    let flipped = format!(
        "{}{}",
        &record[..record.len() - 1],
        if record.ends_with('0') { '1' } else { '0' }
    );
    lines[9]["record"] = serde_json::Value::String(flipped);
    let tampered = dir.path().join("tampered.jsonl");
    let body: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(&tampered, body.join("\n")).unwrap();
    let fresh = dir.path().join("fresh");
    let refused = impact(&[
        "import",
        "--data",
        fresh.to_str().unwrap(),
        tampered.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("position 10") && said.contains("hash"),
        "{said}"
    );
}

#[test]
fn an_export_is_recorded_as_a_read_of_every_person_in_it() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data");
    let data_s = data.to_str().unwrap();
    let out = impact(&["import", "--data", data_s, fixture().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let export = scratch.path().join("export.jsonl");
    let out = impact(&[
        "export",
        "--data",
        data_s,
        "--actor",
        "r.auditor",
        "--out",
        export.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The persons the export shows: every personId of its payloads.
    let persons: std::collections::BTreeSet<String> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let line: serde_json::Value = serde_json::from_str(l).unwrap();
            line["payload"]["personId"].as_str().map(str::to_owned)
        })
        .collect();
    assert!(persons.len() >= 11, "{persons:?}");
    // `impact verify` checks the read audit's own chain too: the export's reads are one record
    // (a request's reads share one event until they outgrow it).
    let out = impact(&["verify", "--data", data_s, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = report["readAudit"]["checked"].as_u64().unwrap();
    assert!(records >= 1, "{report}");
    let text = impact(&["verify", "--data", data_s]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains(&format!("read audit intact: {records} records checked")),
        "{text}"
    );
    // The read audit lists one read per exported person, by the export's actor, on the export
    // channel, and no other read.
    let audit = desk::read_audit::ReadAudit::open(&data).unwrap();
    let reads = audit.by_actor("r.auditor");
    let read: std::collections::BTreeSet<String> =
        reads.iter().map(|r| r.read.person.to_string()).collect();
    assert_eq!(read, persons);
    assert_eq!(reads.len(), persons.len());
    assert_eq!(audit.len(), persons.len());
    assert!(reads
        .iter()
        .all(|r| r.read.channel == desk::read_audit::ReadChannel::Export));
}

/// Changes one readable field of line `index` (0-based) of an export and writes the file.
fn with_line_changed(
    text: &str,
    index: usize,
    dir: &Path,
    name: &str,
    change: impl FnOnce(&mut serde_json::Value),
) -> std::path::PathBuf {
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    change(&mut lines[index]);
    let body: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let path = dir.join(name);
    std::fs::write(&path, body.join("\n") + "\n").unwrap();
    path
}

#[test]
fn verify_export_checks_every_readable_field_and_import_names_the_line_and_keeps_what_is_before() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    assert!(
        impact(&["import", "--data", data, fixture().to_str().unwrap()])
            .status
            .success()
    );
    let head = String::from_utf8(impact(&["head", "--data", data]).stdout).unwrap();
    let head = head.trim().replacen(' ', ":", 1);
    let export = dir.path().join("export.jsonl");
    assert!(
        impact(&["export", "--data", data, "--out", export.to_str().unwrap()])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&export).unwrap();
    let verify = |file: &Path| {
        let out = impact(&[
            "verify-export",
            file.to_str().unwrap(),
            "--head",
            head.as_str(),
        ]);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, said) = verify(&export);
    assert_eq!(code, 0, "{said}");
    let (code, _) = python_verify(&export, &["--head", &head]);
    assert_eq!(code, 0);

    // Each readable field that contradicts the stored bytes is named, at its line, by both
    // verifiers.
    type Change = Box<dyn FnOnce(&mut serde_json::Value)>;
    let changes: Vec<(&str, Change)> = vec![
        (
            "payload",
            Box::new(|l| l["payload"] = serde_json::json!({"altered": true})),
        ),
        ("position", Box::new(|l| l["position"] = 51.into())),
        (
            "occurredAt",
            Box::new(|l| l["occurredAt"] = "1999-01-01T00:00:00.000000Z".into()),
        ),
        (
            "recordedAt",
            Box::new(|l| l["recordedAt"] = "1999-01-01T00:00:00.000000Z".into()),
        ),
        ("actor", Box::new(|l| l["actor"]["role"] = "admin".into())),
        ("hash", Box::new(|l| l["hash"] = "00".repeat(32).into())),
    ];
    for (field, change) in changes {
        let altered = with_line_changed(&text, 49, dir.path(), &format!("{field}.jsonl"), change);
        let (code, said) = verify(&altered);
        assert_eq!(code, 1, "{field}: {said}");
        assert!(
            said.contains(":50:") && said.contains(field),
            "{field}: {said}"
        );
        let (code, said) = python_verify(&altered, &[]);
        assert_eq!(code, 1, "{field}: {said}");
        assert!(said.contains("position 50"), "{field}: {said}");
    }

    // The import of an export whose line 50 lies names line 50, and keeps the whole appends
    // before it, as the README says.
    let altered = with_line_changed(&text, 49, dir.path(), "import.jsonl", |l| {
        l["payload"] = serde_json::json!({"altered": true});
    });
    let fresh = dir.path().join("fresh");
    let fresh = fresh.to_str().unwrap();
    let refused = impact(&["import", "--data", fresh, altered.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("import.jsonl:50:"), "{said}");
    let kept = String::from_utf8(impact(&["head", "--data", fresh]).stdout).unwrap();
    let kept: u64 = kept.split(' ').next().unwrap().parse().unwrap();
    assert!((40..50).contains(&kept), "kept {kept} events");
    assert!(
        said.contains(&format!("({kept} events before it are recorded")),
        "{said}"
    );
    // Mended, the same file imports the rest.
    let again = impact(&["import", "--data", fresh, export.to_str().unwrap()]);
    assert!(again.status.success(), "{again:?}");
    let now = String::from_utf8(impact(&["head", "--data", fresh]).stdout).unwrap();
    assert_eq!(now.trim().replacen(' ', ":", 1), head);
}
