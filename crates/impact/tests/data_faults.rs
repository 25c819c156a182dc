//! Fault injection over a whole data directory, through the real binary: one fault (a flipped
//! bit, a zeroed 4 KiB page, a truncation, a deletion) in one file of the directory (sled's, the
//! journal's log, the read audit's, the key store, the tokens, the signing key), then
//! `impact verify` and `impact serve`, as a desk would after a disk fault. Every trial ends in
//! one of: no effect (verify exit 0, the server starts and serves the same journal); detected
//! and repaired (verify exit 1, the server starts and serves the same journal); detected and
//! refused (verify exit 1, the server exits with a message). Never exit 101, never a server
//! serving another journal, never verify exit 0 on a directory the server refuses, never a byte
//! changed by verify. The desk's own files have no second copy: a fault there is refused or has
//! no effect (the file reads the same: a flipped bit in a line's trailing whitespace), never
//! served; a deleted token file is no effect on the data (every token stops working, loudly).
//! `IMPACT_FAULT_TRIALS=N` runs more than the suite's 60 (the journal crate's own suite runs 200
//! over the journal's files alone).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{fixture, impact, FIXTURE_LINES};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct Pristine {
    root: tempfile::TempDir,
    /// The journal's stored records, one hex string a line, from `impact export`.
    records: Vec<String>,
}

fn records_of(data: &Path) -> Result<Vec<String>, String> {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("export.jsonl");
    let exported = impact(&[
        "export",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    if !exported.status.success() {
        return Err(String::from_utf8_lossy(&exported.stderr).into_owned());
    }
    Ok(std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            value["record"].as_str().unwrap().to_string()
        })
        .collect())
}

fn pristine() -> &'static Pristine {
    static PRISTINE: OnceLock<Pristine> = OnceLock::new();
    PRISTINE.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let d = data.to_str().unwrap();
        let out = impact(&["import", "--data", d, fixture().to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        let out = impact(&[
            "token",
            "issue",
            "--data",
            d,
            "--role",
            "supervisor",
            "--actor",
            "s.ferri",
        ]);
        assert!(out.status.success(), "{out:?}");
        // An export records its reads: the read audit then has records too.
        let records = records_of(&data).unwrap();
        assert_eq!(records.len(), FIXTURE_LINES);
        Pristine { root, records }
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn hashes(dir: &Path) -> BTreeMap<PathBuf, blake3::Hash> {
    files(dir)
        .into_iter()
        .map(|p| (p.clone(), blake3::hash(&std::fs::read(&p).unwrap())))
        .collect()
}

/// Applies trial `seed`'s fault to one file of `data`; says what it did.
fn damage(data: &Path, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    // Every file: the journal's and the read audit's (sled's and the log's), and the desk's
    // own (key store, tokens, signing key), one in four trials on the desk's own.
    let (desk_files, journal_files): (Vec<PathBuf>, Vec<PathBuf>) =
        files(data).into_iter().partition(|p| is_desk_file(p));
    let files = if rng.gen_range(0..4) == 0 {
        desk_files
    } else {
        journal_files
    };
    let file = &files[rng.gen_range(0..files.len())];
    let len = std::fs::metadata(file).unwrap().len();
    let name = file.strip_prefix(data).unwrap().display().to_string();
    let roll = rng.gen_range(0..100);
    if len == 0 || roll >= 97 {
        std::fs::remove_file(file).unwrap();
        return format!("seed {seed}: deleted {name}");
    }
    let mut bytes = std::fs::read(file).unwrap();
    let what = if roll < 60 {
        let at = rng.gen_range(0..bytes.len());
        let bit = rng.gen_range(0..8);
        bytes[at] ^= 1 << bit;
        format!("flipped bit {bit} of byte {at}")
    } else if roll < 85 {
        let page = rng.gen_range(0..bytes.len().div_ceil(4096));
        let from = page * 4096;
        let to = (from + 4096).min(bytes.len());
        bytes[from..to].fill(0);
        format!("zeroed page {page}")
    } else {
        let keep = rng.gen_range(0..bytes.len());
        bytes.truncate(keep);
        format!("cut to {keep} bytes")
    };
    std::fs::write(file, bytes).unwrap();
    format!("seed {seed}: {what} of {name}")
}

/// The desk's own files: no second copy, checked against the journal by `impact verify`.
fn is_desk_file(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name == "person-keys" || name == "tokens.jsonl" || name.starts_with("checkpoint-")
}

/// True when the desk's own files read as before: the key store byte for byte, the text files
/// line by line with surrounding whitespace ignored (as they are read); a token file may be gone.
fn desk_files_read_the_same(before: &Path, after: &Path) -> Result<(), String> {
    for file in files(before).into_iter().filter(|p| is_desk_file(p)) {
        let relative = file.strip_prefix(before).unwrap();
        let name = relative.display().to_string();
        let now = after.join(relative);
        let old = std::fs::read(&file).unwrap();
        let new = match std::fs::read(&now) {
            Ok(new) => new,
            Err(_) if name == "tokens.jsonl" => continue,
            Err(e) => return Err(format!("{name}: {e}")),
        };
        let same = if name == "person-keys" {
            old == new
        } else {
            let lines = |b: &[u8]| -> Vec<String> {
                String::from_utf8_lossy(b)
                    .lines()
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty())
                    .collect()
            };
            lines(&old) == lines(&new)
        };
        if !same {
            return Err(format!("{name} reads otherwise than before"));
        }
    }
    Ok(())
}

enum Start {
    Listening,
    Refused { code: Option<i32>, said: String },
}

/// Starts `impact serve` on `data` and stops it once it listens, or reports how it ended.
fn start(data: &Path) -> Start {
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_impact"))
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env("IMPACT_LOG", "warn")
        .env_remove("IMPACT_DATA")
        .env_remove("IMPACT_MASTER_KEY_FILE")
        .env_remove("IMPACT_DEMO")
        .env_remove("IMPACT_DEV")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if line.contains("listening on") {
                let _ = tx.send(());
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if rx.try_recv().is_ok() {
            let _ = child.kill();
            let _ = child.wait();
            return Start::Listening;
        }
        if let Some(status) = child.try_wait().unwrap() {
            return Start::Refused {
                code: status.code(),
                said: std::fs::read_to_string(log.path()).unwrap_or_default(),
            };
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Start::Refused {
                code: None,
                said: "the server neither listened nor exited in 60 s".into(),
            };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    NoEffect,
    Repaired,
    Refused,
}

fn trial(seed: u64) -> Result<Outcome, String> {
    let pristine = pristine();
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    copy_dir(&pristine.root.path().join("data"), &data);
    std::fs::copy(
        pristine.root.path().join("data.master-key"),
        work.path().join("data.master-key"),
    )
    .unwrap();
    let what = damage(&data, seed);

    let before = hashes(&data);
    let verify = impact(&["verify", "--data", data.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&verify.stdout).into_owned()
        + &String::from_utf8_lossy(&verify.stderr);
    if hashes(&data) != before {
        return Err(format!("{what}: verify changed the directory"));
    }
    let code = verify.status.code();
    if code == Some(101) || said.contains("panicked") {
        return Err(format!("{what}: verify panicked: {said}"));
    }
    // Judged before the server starts (it makes a token file where there is none).
    let desk_same = desk_files_read_the_same(&pristine.root.path().join("data"), &data);
    match start(&data) {
        Start::Listening => {
            let served =
                records_of(&data).map_err(|e| format!("{what}: export after start: {e}"))?;
            if served != pristine.records {
                return Err(format!(
                    "{what}: the server started on {} records that differ from the {} recorded \
                     (verify said {code:?}: {said})",
                    served.len(),
                    pristine.records.len()
                ));
            }
            if code == Some(0) {
                desk_same.map_err(|e| {
                    format!("{what}: verify said intact and the server started, but {e}")
                })?;
            }
            match code {
                Some(0) => Ok(Outcome::NoEffect),
                Some(1) => Ok(Outcome::Repaired),
                other => Err(format!(
                    "{what}: verify exited {other:?} ({said}) on a directory the server serves"
                )),
            }
        }
        Start::Refused {
            code: start_code,
            said: start_said,
        } => {
            if start_code == Some(101) || start_said.contains("panicked") {
                return Err(format!("{what}: the server panicked: {start_said}"));
            }
            if code == Some(0) {
                return Err(format!(
                    "{what}: verify said intact, the server refused: {start_said}"
                ));
            }
            if start_said.trim().is_empty() {
                return Err(format!("{what}: the server refused without a word"));
            }
            Ok(Outcome::Refused)
        }
    }
}

#[test]
fn every_fault_in_a_data_directory_is_harmless_repaired_or_refused_by_name() {
    let trials = std::env::var("IMPACT_FAULT_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60u64);
    let mut tally: BTreeMap<Outcome, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for seed in 0..trials {
        match trial(seed) {
            Ok(outcome) => *tally.entry(outcome).or_default() += 1,
            Err(failure) => failures.push(failure),
        }
    }
    eprintln!(
        "{trials} trials: {tally:?}, {} broke a rule",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
