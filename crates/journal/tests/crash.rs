//! Crash recovery: this test binary re-runs itself as a child that appends from several threads
//! and prints every acknowledged event id; the parent kills it with SIGKILL at a random moment,
//! reopens the journal and checks that nothing acknowledged is lost, nothing is half-written and
//! the chain holds. The same directory goes through 25 rounds in a row, so later rounds also
//! reopen journals that earlier kills cut (sometimes while the child was still opening); then a
//! new directory starts, so that a long run stays linear in its rounds (every round reads the
//! whole journal).
//!
//! `JOURNAL_CRASH_ROUNDS` raises the number of kill rounds (default 25); the seed is fixed.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use journal::{ExpectedVersion, Journal, Options, Position};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use common::{env_number, event};

const CHILD_DIR: &str = "JOURNAL_CRASH_CHILD_DIR";
const CHILD_ROUND: &str = "JOURNAL_CRASH_CHILD_ROUND";
const CHILD_TEST: &str = "crash_child_writer";
const WRITER_THREADS: u128 = 4;
/// Kill rounds that go through one directory before a new one starts.
const ROUNDS_PER_DIRECTORY: u64 = 25;
/// The thread number the parent uses for its own append after each reopen.
const PARENT: u128 = 255;

/// An event id that says which append it belongs to: round, thread, sequence number, the
/// append's length and the event's index in it.
fn id(round: u128, thread: u128, seq: u128, len: u128, index: u128) -> u128 {
    (round << 80) | (thread << 72) | (seq << 24) | (len << 8) | index
}

fn append_of(id: u128) -> (u128, u16, u16) {
    (id >> 16, ((id >> 8) & 0xff) as u16, (id & 0xff) as u16)
}

/// The child: appends until killed. Does nothing unless the parent set `CHILD_DIR`.
#[test]
fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let round: u128 = std::env::var(CHILD_ROUND).unwrap().parse().unwrap();
    let journal = open_when_unlocked(Path::new(&dir));
    let threads: Vec<_> = (0..WRITER_THREADS)
        .map(|thread| {
            let journal = journal.clone();
            std::thread::spawn(move || {
                let started = std::time::Instant::now();
                // A bound in case the parent dies without killing us.
                for seq in 0..u128::from(u32::MAX) {
                    if started.elapsed() > Duration::from_secs(20) {
                        break;
                    }
                    let len = 1 + (seq * 7 + thread) % 4;
                    let mut events: Vec<_> = (0..len)
                        .map(|index| event(id(round, thread, seq, len, index), 0))
                        .collect();
                    for e in &mut events {
                        // Sizeable payloads; a torn append in the log is still rare, which is
                        // why tamper.rs also tests the repair deterministically.
                        e.payload.resize(200 + (e.id.0 % 300) as usize, b' ');
                    }
                    let stream = format!("case-{}", (seq + thread) % 5);
                    let appended = journal
                        .append_blocking(&stream, ExpectedVersion::Any, events)
                        .unwrap()
                        .unwrap();
                    let mut lines = String::new();
                    for e in &appended.events {
                        lines.push_str(&format!("ack {}\n", e.id.0));
                    }
                    let mut out = std::io::stdout().lock();
                    out.write_all(lines.as_bytes()).unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

/// Opens the journal, waiting while another process still holds sled's directory lock:
/// `Journal::close` returns before sled's background threads have let go of the directory, so
/// the parent's last handle (or its look with sled) may hold the lock for a moment.
fn open_when_unlocked(dir: &Path) -> Journal {
    let mut tries = 0;
    loop {
        match Journal::open(dir, Options::default()) {
            Ok(journal) => return journal,
            Err(e) if tries < 200 && e.to_string().contains("could not acquire lock") => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("opening {}: {e}", dir.display()),
        }
    }
}

/// Runs one child on `dir` and kills it; returns the ids it acknowledged.
fn run_child(dir: &Path, round: u64, rng: &mut StdRng) -> Vec<u128> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_ROUND, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (first_ack, first_ack_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut acked = Vec::new();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        // Only whole lines count: a line cut by the kill was never fully printed.
        while reader.read_line(&mut line).unwrap_or(0) > 0 && line.ends_with('\n') {
            if let Some(id) = line.strip_prefix("ack ") {
                acked.push(id.trim().parse::<u128>().unwrap());
                let _ = first_ack.send(());
            }
            line.clear();
        }
        acked
    });
    if round % 5 == 4 {
        // Sometimes kill without waiting for an append: the child may be opening (and
        // repairing) the journal.
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..40)));
    } else {
        first_ack_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the child acknowledged nothing in 30 s");
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..40)));
    }
    child.kill().unwrap(); // SIGKILL on unix
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the child must die by the kill, not finish: {status:?}"
    );
    reader.join().unwrap()
}

#[test]
fn killed_writers_lose_nothing_acknowledged_and_leave_nothing_half_written() {
    let rounds = env_number("JOURNAL_CRASH_ROUNDS", 25);
    let mut rng = StdRng::seed_from_u64(0x0C4A_54ED);
    let mut dir = tempfile::tempdir().unwrap();
    let mut acked: BTreeSet<u128> = BTreeSet::new();
    let mut acked_total = 0usize;
    // Rounds after which sled's files on disk lacked or differed from the log (sled writes out
    // its last commits in its own time), so that the open rebuilt sled from the log.
    let mut rebuilt = 0;
    for round in 0..rounds {
        if round > 0 && round % ROUNDS_PER_DIRECTORY == 0 {
            acked_total += acked.len();
            acked.clear();
            dir = tempfile::tempdir().unwrap();
        }
        acked.extend(run_child(dir.path(), round, &mut rng));
        // A look that changes nothing first, as `impact verify` would take it.
        let look = Journal::verify_dir(dir.path(), None, None, &mut |_| {})
            .unwrap_or_else(|e| panic!("round {round}: verify failed: {e}"));
        assert!(
            look.problem.is_none(),
            "round {round}: a kill left the chain damaged: {look:?}"
        );
        if !look.findings.is_empty() {
            assert!(
                look.findings.iter().all(|f| f.repairable),
                "round {round}: {:?}",
                look.findings
            );
            rebuilt += 1;
        }

        let journal = Journal::open(dir.path(), Options::default())
            .unwrap_or_else(|e| panic!("round {round}: reopening failed: {e}"));
        for &id in &acked {
            let found = journal.get_by_id(ulid::Ulid(id)).unwrap();
            assert!(
                found.is_some(),
                "round {round}: acknowledged event {id:x} is lost"
            );
        }
        let all = journal.read_forward(Position(1), usize::MAX).unwrap();
        let mut versions: HashMap<&str, u64> = HashMap::new();
        let mut at = 0;
        while at < all.len() {
            // Every append is whole: its events sit together, in order, and all of them are there.
            let first = &all[at];
            let (append, len, index) = append_of(first.id.0);
            assert_eq!(
                index, 0,
                "round {round}: position {} starts no append",
                first.position
            );
            for k in 0..usize::from(len) {
                let e = all.get(at + k).unwrap_or_else(|| {
                    panic!(
                        "round {round}: the append at {} is half-written",
                        first.position
                    )
                });
                assert_eq!(append_of(e.id.0), (append, len, k as u16), "round {round}");
                assert_eq!((e.append_index, e.append_len), (k as u16, len));
                assert_eq!(e.position, Position(at as u64 + k as u64 + 1), "gap-free");
                let v = versions.entry(&e.stream).or_default();
                *v += 1;
                assert_eq!(e.version, *v, "round {round}: versions of {}", e.stream);
            }
            at += usize::from(len);
        }
        let report = journal.verify(None, None, &mut |_| {}).unwrap();
        assert!(report.is_intact(), "round {round}: {report:?}");
        assert_eq!(report.checked, all.len() as u64);
        assert_eq!(journal.head().position, Position(all.len() as u64));

        // And it takes appends again.
        let again = id(u128::from(round), PARENT, 0, 1, 0);
        let appended = journal
            .append_blocking("after-crash", ExpectedVersion::Any, vec![event(again, 0)])
            .unwrap()
            .unwrap();
        assert_eq!(appended.first_position(), Position(all.len() as u64 + 1));
        acked.insert(again);
        journal.close();
    }
    acked_total += acked.len();
    eprintln!(
        "{rounds} kill rounds, {acked_total} acknowledged events, sled rebuilt from the log \
         after {rebuilt}"
    );
    assert!(
        acked_total as u64 > rounds,
        "the children appended too little to test anything"
    );
}
