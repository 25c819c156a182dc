//! The test vectors of docs/VERIFYING.md (`tests/vectors/`): each file, and what a verifier must
//! say of it (`expected.txt`), checked with the `impact` binary and with the Python verifiers,
//! which know nothing of this code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::impact;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn python(script: &str, args: &[&str]) -> Output {
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
        assert!(has(), "pip install blake3 cryptography");
    });
    Command::new("python3")
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests")
                .join(script),
        )
        .args(args)
        .output()
        .expect("python3 runs")
}

fn said(output: &Output) -> (i32, String) {
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn the_vectors_verify_as_documented_in_rust_and_python() {
    // Record format 1, made before docs/adr/0015: still verified as they are.
    let checked = check_vectors(&vectors());
    assert!(checked >= 10, "{checked} vectors");
}

#[test]
fn the_format_2_vectors_verify_as_documented_in_rust_and_python() {
    let checked = check_vectors(&vectors().join("format-2"));
    assert!(checked >= 4, "{checked} vectors");
}

/// Checks every line of `dir`'s `expected.txt` with the `impact` binary and the Python
/// verifiers; returns how many.
fn check_vectors(dir: &Path) -> usize {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let key = std::fs::read_to_string(dir.join("public-key.txt")).unwrap();
    let key = key.trim();
    let head = std::fs::read_to_string(dir.join("export.head")).unwrap();
    let head = head.trim();
    let (note, early) = (path("checkpoint.txt"), path("checkpoint-early.txt"));
    let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    let mut checked = 0;
    for line in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut words = line.splitn(4, ' ');
        let (check, file, code, words) = (
            words.next().unwrap(),
            path(words.next().unwrap()),
            words.next().unwrap().parse::<i32>().unwrap(),
            words.next().unwrap(),
        );
        let mut outputs = Vec::new();
        match check {
            "export" => {
                outputs.push(impact(&["verify-export", &file, "--head", head]));
                outputs.push(python("verify_export.py", &[&file, "--head", head]));
            }
            "inclusion" | "consistency" | "checkpoint" => {
                let proof = if check == "checkpoint" {
                    path("inclusion.json")
                } else {
                    file.clone()
                };
                let notes = match check {
                    "consistency" => vec!["--checkpoint", early.as_str(), "--checkpoint", &note],
                    "checkpoint" => vec!["--checkpoint", file.as_str()],
                    _ => vec!["--checkpoint", note.as_str()],
                };
                let mut args = vec!["proof", "verify", "--proof", &proof, "--public-key", key];
                args.extend(notes.iter().copied());
                outputs.push(impact(&args));
                let mut args = vec![proof.as_str(), "--public-key", key];
                args.extend(notes);
                outputs.push(python("verify_proof.py", &args));
            }
            "bundle" => {
                outputs.push(impact(&["bundle", "verify", &file, "--public-key", key]));
                outputs.push(python("verify_bundle.py", &[&file, "--public-key", key]));
            }
            // The figures recomputed and the small cells checked (`--report`).
            "report" => {
                outputs.push(impact(&[
                    "bundle",
                    "verify",
                    &file,
                    "--public-key",
                    key,
                    "--report",
                ]));
                outputs.push(python(
                    "verify_bundle.py",
                    &[&file, "--public-key", key, "--report"],
                ));
            }
            other => panic!("unknown check {other} in expected.txt"),
        }
        for output in &outputs {
            let (found, text) = said(output);
            assert_eq!(found, code, "{line}: {text}");
            assert!(text.contains(words), "{line}: {text}");
        }
        checked += 1;
    }
    checked
}
