//! The master key through the CLI: made beside the data directory on first start (or where
//! `--master-key` says), refused when it is missing for a store that has person keys, and the
//! key of the FAMI sheet's pseudonyms. An export carries the personal data sealed.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Output;

mod common;
use common::{fixture, impact};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn fami(data: &Path, master_key: Option<&Path>) -> Vec<Vec<String>> {
    let mut args = vec![
        "report",
        "--data",
        path(data),
        "--quarter",
        "2024-Q2",
        "--fami",
        // Every row, exact: the pseudonyms are what is compared.
        "--exact",
    ];
    if let Some(key) = master_key {
        args.extend(["--master-key", path(key)]);
    }
    let out = ok(impact(&args));
    // The sheet's first line (`# ` and what was done to the rows) is a comment.
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(out.stdout.as_slice());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

#[test]
fn the_master_key_lives_beside_the_data_and_is_never_made_anew_for_sealed_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    ok(impact(&["import", "--data", path(&data), path(&fixture())]));
    let master = tmp.path().join("data.master-key");
    let mode = std::fs::metadata(&master).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read(&master).unwrap().len(), 32);
    assert!(data.join("person-keys").exists());
    let sheet = fami(&data, None);
    // One row per person the fixture registers.
    let registered = std::fs::read_to_string(fixture())
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"command\":\"RegisterPerson\""))
        .count();
    assert_eq!(sheet.len(), registered);

    // Moved away: the desk refuses to start, and says what to do; no new key is made.
    let moved = tmp.path().join("elsewhere.key");
    std::fs::rename(&master, &moved).unwrap();
    let out = impact(&["report", "--data", path(&data), "--period", "2024-05"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("master key"), "{stderr}");
    assert!(!master.exists());
    // Named where it is now, it works, with the same pseudonyms.
    assert_eq!(fami(&data, Some(&moved)), sheet);
}

#[test]
fn an_export_is_sealed_and_pseudonyms_follow_the_master_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    ok(impact(&["import", "--data", path(&data), path(&fixture())]));
    let export = tmp.path().join("export.jsonl");
    ok(impact(&[
        "export",
        "--data",
        path(&data),
        "--out",
        path(&export),
    ]));
    let text = std::fs::read_to_string(&export).unwrap();
    for name in ["Zorbeta Quillfeather", "+39 300 000 0101"] {
        assert!(!text.contains(name), "{name} in the export");
    }
    assert!(text.contains("\"sealed\""));

    // Imported elsewhere with another master key: the same chain and the same figures, but
    // other pseudonyms (and no key to open the personal data with).
    let copy = tmp.path().join("copy");
    ok(impact(&["import", "--data", path(&copy), path(&export)]));
    let head = |d: &Path| ok(impact(&["head", "--data", path(d)])).stdout;
    assert_eq!(head(&data), head(&copy));
    let report = |d: &Path| {
        ok(impact(&[
            "report",
            "--data",
            path(d),
            "--period",
            "2024-05",
            "--format",
            "json",
        ]))
        .stdout
    };
    assert_eq!(report(&data), report(&copy));
    let (ours, theirs) = (fami(&data, None), fami(&copy, None));
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_ne!(a[0], b[0], "pseudonyms are keyed by the master key");
        assert_eq!(a[1..], b[1..], "the statistics columns agree");
    }
}
