//! Helpers shared by the journal's integration tests: events, a settable clock, env knobs.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use journal::{Actor, NewEvent, Options, Timestamp};
use ulid::Ulid;

/// An event whose content is a function of `id` and `variant`: the same pair is the same fact,
/// another variant is other content under the same id.
pub fn event(id: u128, variant: u8) -> NewEvent {
    NewEvent {
        id: Ulid(id),
        event_type: if variant == 0 { "Noted" } else { "NoteAmended" }.into(),
        schema_version: 1,
        occurred_at: Timestamp(1_700_000_000_000_000 + i64::from(variant)),
        actor: Actor {
            id: "m.rossi".into(),
            role: "mediator".into(),
        },
        payload: format!(r#"{{"id":{id},"variant":{variant}}}"#).into_bytes(),
    }
}

/// A clock the test sets by hand; every group commit reads it once.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn new(micros: i64) -> TestClock {
        TestClock(Arc::new(AtomicI64::new(micros)))
    }

    pub fn set(&self, micros: i64) {
        self.0.store(micros, Ordering::SeqCst);
    }

    /// Options with this clock and a small cache, for fast opens.
    pub fn options(&self) -> Options {
        let now = Arc::clone(&self.0);
        Options {
            cache_capacity_bytes: 8 * 1024 * 1024,
            // Small, so that tests creating many journals stay fast and cycle through checkpoints.
            log_segment_bytes: 256 * 1024,
            clock: Arc::new(move || Timestamp(now.load(Ordering::SeqCst))),
            ..Options::default()
        }
    }
}

/// A number from the environment (for slow-suite knobs), or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {text:?}")),
        Err(_) => default,
    }
}

/// Opens the sled directory of a closed journal directly (for tampering and inspection), waiting
/// for sled's background threads of the last handle to let go of the directory lock.
pub fn open_sled(dir: &std::path::Path) -> sled::Db {
    let started = std::time::Instant::now();
    loop {
        match sled::open(dir) {
            Ok(db) => return db,
            Err(e) if started.elapsed() < std::time::Duration::from_secs(3) => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("cannot open {}: {e}", dir.display()),
        }
    }
}

/// A closed journal in a new temporary directory of at least `n` events, in appends of one to
/// three to five streams, the clock stepping 10 µs an append; and its events in position order.
pub fn build_closed(n: u64) -> (tempfile::TempDir, Vec<journal::RecordedEvent>) {
    use journal::{ExpectedVersion, Journal, Position};
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new(1_000);
    let journal = Journal::open(dir.path(), clock.options()).unwrap();
    let mut id = 0u128;
    let mut round = 0u64;
    while journal.head().position.0 < n {
        round += 1;
        clock.set(1_000 + i64::try_from(round).unwrap() * 10);
        let events = (0..1 + round % 3)
            .map(|_| {
                id += 1;
                event(id, 0)
            })
            .collect();
        journal
            .append_blocking(&format!("case-{}", round % 5), ExpectedVersion::Any, events)
            .unwrap()
            .unwrap();
    }
    let events = journal.read_forward(Position(1), usize::MAX).unwrap();
    journal.close();
    (dir, events)
}

/// Copies a directory tree (a closed journal), for tests that damage their own copy.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
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

/// Every file under `dir` (relative to it) and the blake3 hash of its bytes: equal before and
/// after a command means the command changed no byte.
pub fn hashes(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, String> {
    let mut out = std::collections::BTreeMap::new();
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
