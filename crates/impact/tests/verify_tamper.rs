//! `impact verify` catches every kind of damage the journal's own tests make, names the first bad
//! position, exits 1, and never panics; the damage outside a `--from/--to` range leaves the
//! range intact.

use std::path::Path;

use journal::tamper;

mod common;
use common::impact;

/// A journal of the fixture month (one event a line, each its own append) in a fresh directory.
fn journal(dir: &Path) -> String {
    let data = dir.join("data");
    let data = data.to_str().unwrap().to_owned();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/montelucci-2024-05.jsonl");
    let out = impact(&["import", "--data", &data, fixture.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    data
}

/// Runs `impact verify --json` and returns (exit code, first bad position, problem kind).
fn verify(data: &str, extra: &[&str]) -> (i32, Option<u64>, Option<String>) {
    let mut args = vec!["verify", "--data", data, "--json"];
    args.extend_from_slice(extra);
    let out = impact(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let code = out.status.code().unwrap_or(-1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let problem = &report["problem"];
    if problem.is_null() {
        return (code, None, None);
    }
    (
        code,
        problem[0].as_u64(),
        problem[1]["kind"].as_str().map(str::to_owned),
    )
}

fn case(damage: impl FnOnce(&Path), expected: (u64, &str)) {
    let dir = tempfile::tempdir().unwrap();
    let data = journal(dir.path());
    assert_eq!(verify(&data, &[]).0, 0, "intact before the damage");
    damage(Path::new(&data));
    let (code, position, kind) = verify(&data, &[]);
    assert_eq!(code, 1, "damaged: exit 1");
    assert_eq!(position, Some(expected.0));
    assert_eq!(kind.as_deref(), Some(expected.1));
    // The text report names the position too.
    let text = impact(&["verify", "--data", &data]);
    assert_eq!(text.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains(&format!("DAMAGED at position {}", expected.0)),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}

#[test]
fn a_changed_byte_in_the_payload_is_a_hash_mismatch() {
    case(
        |d| tamper::flip_byte(d, 40, 150).unwrap(),
        (40, "hash_mismatch"),
    );
}

#[test]
fn a_changed_byte_in_the_stored_hash_is_a_hash_mismatch() {
    case(
        |d| tamper::flip_byte(d, 40, usize::MAX).unwrap(),
        (40, "hash_mismatch"),
    );
}

#[test]
fn a_changed_position_byte_is_a_misplaced_record() {
    case(|d| tamper::flip_byte(d, 40, 8).unwrap(), (40, "misplaced"));
}

#[test]
fn a_changed_format_byte_is_undecodable() {
    case(
        |d| tamper::flip_byte(d, 40, 0).unwrap(),
        (40, "undecodable"),
    );
}

#[test]
fn a_deleted_record_is_a_missing_position() {
    case(|d| tamper::delete(d, 40).unwrap(), (40, "missing_position"));
}

#[test]
fn swapped_records_are_misplaced() {
    case(|d| tamper::swap(d, 40, 60).unwrap(), (40, "misplaced"));
}

#[test]
fn an_inserted_record_is_caught_where_it_stands() {
    case(
        |d| tamper::insert_copy(d, 10, 40).unwrap(),
        (40, "misplaced"),
    );
}

#[test]
fn a_truncated_tail_is_a_missing_position() {
    case(
        |d| tamper::truncate(d, 90).unwrap(),
        (91, "missing_position"),
    );
}

#[test]
fn damage_outside_the_range_leaves_the_range_intact() {
    let dir = tempfile::tempdir().unwrap();
    let data = journal(dir.path());
    tamper::flip_byte(Path::new(&data), 80, 150).unwrap();
    assert_eq!(
        verify(&data, &["--from", "1", "--to", "79"]),
        (0, None, None)
    );
    assert_eq!(verify(&data, &["--from", "70"]).1, Some(80));
}
