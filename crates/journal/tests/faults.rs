//! Fault injection over real journal directories: one fault in one file the journal or sled
//! writes (a flipped bit, a zeroed 4 KiB page, a truncation, a deleted file), then `verify_dir`
//! and an open, as `impact verify` and the server do. Every trial must end in one of:
//! - no effect: verify says intact with every event, the open serves the same history;
//! - repaired: verify names the fault (not intact), the open repairs it and serves the same
//!   history, and verify then says intact;
//! - detected and refused: verify names the fault, the open refuses with a named error;
//!
//! never fewer events reported intact, never other data served, never a panic, and verify never
//! changes a byte. `JOURNAL_FAULT_TRIALS=N` runs more trials than the suite's 200.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{copy_dir, env_number, hashes, TestClock};
use journal::{Journal, Position, RecordedEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct Pristine {
    dir: tempfile::TempDir,
    events: Vec<RecordedEvent>,
}

fn pristine() -> &'static Pristine {
    static PRISTINE: OnceLock<Pristine> = OnceLock::new();
    PRISTINE.get_or_init(|| {
        // Several segments of the log (256 KiB each in the tests' options).
        let (dir, events) = common::build_closed(3_000);
        Pristine { dir, events }
    })
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

#[derive(Clone, Copy, Debug)]
enum Fault {
    Flip { offset: u64, bit: u8 },
    ZeroPage { page: u64 },
    Truncate { len: u64 },
    Delete,
}

/// The fault of trial `seed`: a file of the journal's directory and what happens to it.
fn plan(dir: &Path, seed: u64) -> (PathBuf, Fault) {
    let mut rng = StdRng::seed_from_u64(seed);
    let files = files(dir);
    // The log's segments are mostly zeros past the end; sled's `db` holds the most: weigh
    // every file alike, so that `conf` and the snapshot are hit as often as the rest.
    let file = files[rng.gen_range(0..files.len())].clone();
    let len = std::fs::metadata(&file).unwrap().len().max(1);
    let roll = rng.gen_range(0..100);
    let fault = if roll < 60 {
        Fault::Flip {
            offset: rng.gen_range(0..len),
            bit: rng.gen_range(0..8),
        }
    } else if roll < 85 {
        Fault::ZeroPage {
            page: rng.gen_range(0..len.div_ceil(4096)),
        }
    } else if roll < 97 {
        Fault::Truncate {
            len: rng.gen_range(0..len),
        }
    } else {
        Fault::Delete
    };
    (file, fault)
}

fn apply(file: &Path, fault: Fault) {
    match fault {
        Fault::Flip { offset, bit } => {
            let mut bytes = std::fs::read(file).unwrap();
            bytes[usize::try_from(offset).unwrap()] ^= 1 << bit;
            std::fs::write(file, bytes).unwrap();
        }
        Fault::ZeroPage { page } => {
            let mut bytes = std::fs::read(file).unwrap();
            let from = usize::try_from(page * 4096).unwrap();
            let to = (from + 4096).min(bytes.len());
            bytes[from..to].fill(0);
            std::fs::write(file, bytes).unwrap();
        }
        Fault::Truncate { len } => {
            let handle = std::fs::OpenOptions::new().write(true).open(file).unwrap();
            handle.set_len(len).unwrap();
        }
        Fault::Delete => std::fs::remove_file(file).unwrap(),
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    NoEffect,
    Repaired,
    Refused,
}

/// Runs trial `seed`; a broken rule is an `Err` naming it.
fn trial(seed: u64) -> Result<Outcome, String> {
    let truth = &pristine().events;
    let head = truth.last().map(|e| (e.position, e.hash));
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("journal");
    copy_dir(pristine().dir.path(), &dir);
    let (file, fault) = plan(&dir, seed);
    let what = format!(
        "seed {seed}: {fault:?} in {}",
        file.strip_prefix(&dir).unwrap().display()
    );
    apply(&file, fault);

    let before = hashes(&dir);
    let report = Journal::verify_dir(&dir, None, None, &mut |_| {})
        .map_err(|e| format!("{what}: verify failed instead of reporting: {e}"))?;
    if hashes(&dir) != before {
        return Err(format!("{what}: verify changed the directory"));
    }
    let intact = report.is_intact();
    if intact {
        let reported = report.head.map(|h| (h.position, h.hash));
        if reported != head || report.checked != truth.len() as u64 {
            return Err(format!(
                "{what}: verify says intact with {} events, head {reported:?}; the journal had \
                 {} (head {head:?})",
                report.checked,
                truth.len()
            ));
        }
    } else {
        let named = !report.findings.is_empty() || report.problem.is_some();
        if !named {
            return Err(format!("{what}: not intact, yet nothing named: {report:?}"));
        }
    }

    match Journal::open(&dir, TestClock::new(0).options()) {
        Ok(journal) => {
            let served = journal
                .read_forward(Position(1), usize::MAX)
                .map_err(|e| format!("{what}: reading after open: {e}"))?;
            if &served != truth {
                return Err(format!(
                    "{what}: the open serves {} events that differ from the {} recorded \
                     (findings {:?}, verify said intact: {intact})",
                    served.len(),
                    truth.len(),
                    journal.findings()
                ));
            }
            let repaired = !journal.findings().is_empty();
            if intact && repaired {
                return Err(format!(
                    "{what}: verify said intact, but the open repaired {:?}",
                    journal.findings()
                ));
            }
            drop(journal);
            let after = Journal::verify_dir(&dir, None, None, &mut |_| {})
                .map_err(|e| format!("{what}: verify after the open: {e}"))?;
            if !after.is_intact() {
                return Err(format!("{what}: not intact after the open: {after:?}"));
            }
            Ok(if intact {
                Outcome::NoEffect
            } else {
                Outcome::Repaired
            })
        }
        Err(error) => {
            if intact {
                return Err(format!(
                    "{what}: verify said intact, but the open refused: {error}"
                ));
            }
            let message = error.to_string();
            if message.is_empty() || message.contains("Error {") || message.contains("Some(") {
                return Err(format!("{what}: the refusal is not a message: {message:?}"));
            }
            Ok(Outcome::Refused)
        }
    }
}

fn run(seed: u64) -> Result<Outcome, String> {
    std::panic::catch_unwind(|| trial(seed))
        .unwrap_or_else(|_| Err(format!("seed {seed}: panicked")))
}

#[test]
fn every_fault_is_harmless_repaired_or_refused_by_name() {
    let trials = env_number("JOURNAL_FAULT_TRIALS", 200);
    let mut tally: BTreeMap<Outcome, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for seed in 0..trials {
        match run(seed) {
            Ok(outcome) => *tally.entry(outcome).or_default() += 1,
            Err(failure) => failures.push(failure),
        }
    }
    eprintln!(
        "{trials} trials: {tally:?}, {} broke a rule",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        tally.get(&Outcome::Repaired).copied().unwrap_or(0) > 0,
        "some faults must need repair: {tally:?}"
    );
}

/// Trials that once broke a rule: a fault in sled's `db` that sled read past without a word,
/// its tree then ending early (at 2,111 to 2,724 of 3,000). Putting the log's records back into
/// that tree in place did not hold (reads after the open lost records again), so sled is now
/// rebuilt whole from the log. sled's own reaction to these faults varies from run to run:
/// each must end in an allowed outcome, whichever.
#[test]
fn regression_faults_in_db_that_sled_hides_end_in_an_allowed_outcome() {
    for seed in [38, 45, 71, 170, 186, 216, 232] {
        if let Err(failure) = run(seed) {
            panic!("{failure}");
        }
    }
}
