//! The journal's log: every acknowledged record is in its segments as well as in sled; opening
//! compares the two and repairs one from the other; read-only opening changes no byte.

mod common;

use std::path::{Path, PathBuf};

use common::{copy_dir, event, hashes, TestClock};
use journal::{ExpectedVersion, Journal, JournalError, Options, Position, RecordedEvent};

/// Two journals with the same clock and events: `full` has `n + k` events, `short` the first `n`.
fn twins(n: u128, k: u128) -> (tempfile::TempDir, tempfile::TempDir) {
    let clock = TestClock::new(1_700_000_000_000_000);
    let full = tempfile::tempdir().unwrap();
    let short = tempfile::tempdir().unwrap();
    let a = Journal::open(full.path(), clock.options()).unwrap();
    let b = Journal::open(short.path(), clock.options()).unwrap();
    for id in 1..=n + k {
        let stream = format!("s-{}", id % 3);
        a.append_blocking(&stream, ExpectedVersion::Any, vec![event(id, 0)])
            .unwrap()
            .unwrap();
    }
    // The same first n records, salts included (format 2 draws them at each append): taken in
    // as they are.
    let first = a
        .read_forward(Position(1), usize::try_from(n).unwrap())
        .unwrap();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(b.import_recorded(first))
        .unwrap();
    (full, short)
}

fn options() -> Options {
    TestClock::new(0).options()
}

fn all(dir: &Path) -> Vec<RecordedEvent> {
    let journal = Journal::open(dir, options()).unwrap();
    journal.read_forward(Position(1), 100_000).unwrap()
}

fn sled_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name == "db" || name == "conf" || name == "blobs" || name.starts_with("snap.")
        })
        .collect()
}

/// Replaces `to`'s sled files by copies of `from`'s.
fn put_sled_of(from: &Path, to: &Path) {
    for path in sled_files(to) {
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    for path in sled_files(from) {
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            for entry in std::fs::read_dir(&path).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
            }
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir.join("log"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[test]
fn appends_beyond_a_segment_start_new_segments_and_all_read_back() {
    // 256 KiB segments hold about 1,800 of these records: write several times that.
    let clock = TestClock::new(1_700_000_000_000_000);
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), clock.options()).unwrap();
    for chunk in 0..20u128 {
        let events = (0..500).map(|i| event(chunk * 1000 + i + 1, 0)).collect();
        journal
            .append_blocking("bulk", ExpectedVersion::Any, events)
            .unwrap()
            .unwrap();
    }
    drop(journal);
    let names: Vec<String> = segments(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    assert_eq!(names[0], "00000000000000000001.seg");
    for path in segments(dir.path()) {
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 256 * 1024);
    }
    let journal = Journal::open(dir.path(), clock.options()).unwrap();
    assert!(journal.findings().is_empty(), "{:?}", journal.findings());
    assert_eq!(journal.head().position, Position(10_000));
    assert!(journal.verify(None, None, &mut |_| {}).unwrap().is_intact());
}

#[test]
fn sled_that_lost_records_is_restored_from_the_log_and_verify_says_so_first() {
    let (full, short) = twins(30, 12);
    let expected = all(full.path());
    // sled of the 30-event journal beside the log of the 42-event one: sled lost 12.
    put_sled_of(short.path(), full.path());
    let before = hashes(full.path());
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert!(!report.is_intact());
    let finding = &report.findings[0];
    assert_eq!(finding.file, "db");
    assert_eq!(finding.position, Some(31));
    assert!(
        finding.what.contains(
            "sled holds positions 1..30 as the log has them; the journal had acknowledged 42"
        ),
        "{finding}"
    );
    assert_eq!(hashes(full.path()), before, "verify changed no byte");

    let journal = Journal::open(full.path(), options()).unwrap();
    assert_eq!(journal.findings().len(), 1);
    assert_eq!(journal.read_forward(Position(1), 100).unwrap(), expected);
    drop(journal);
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, 42);
}

#[test]
fn sled_files_deleted_or_damaged_are_rebuilt_from_the_log() {
    let (full, _short) = twins(50, 0);
    let expected = all(full.path());
    for path in sled_files(full.path()) {
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert!(!report.is_intact());
    assert!(
        report.findings[0].what.contains("acknowledged 50"),
        "{report:?}"
    );
    let journal = Journal::open(full.path(), options()).unwrap();
    assert_eq!(journal.read_forward(Position(1), 100).unwrap(), expected);
    drop(journal);

    // Every byte of sled's log file turned to garbage: sled cannot open, or opens empty.
    let db = full.path().join("db");
    let size = std::fs::metadata(&db).unwrap().len();
    std::fs::write(&db, vec![0xA5u8; usize::try_from(size).unwrap()]).unwrap();
    let journal = Journal::open(full.path(), options()).unwrap();
    assert!(!journal.findings().is_empty());
    assert_eq!(journal.read_forward(Position(1), 100).unwrap(), expected);
    drop(journal);
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{report:?}");
}

#[test]
fn a_bad_frame_followed_by_valid_ones_is_damage_and_sled_repairs_the_log() {
    let (full, _short) = twins(40, 0);
    let expected = all(full.path());
    let segment = segments(full.path())[0].clone();
    let mut bytes = std::fs::read(&segment).unwrap();
    // A bit in the tenth frame's payload.
    let mut at = 0usize;
    for _ in 0..9 {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
    }
    bytes[at + 60] ^= 0x10;
    std::fs::write(&segment, &bytes).unwrap();

    let before = hashes(full.path());
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert_eq!(hashes(full.path()), before, "verify changed no byte");
    assert!(!report.is_intact());
    let finding = &report.findings[0];
    assert!(finding.file.starts_with("log/"), "{finding}");
    assert_eq!(finding.position, Some(10));
    assert!(
        finding.what.contains("damage, not the torn end"),
        "{finding}"
    );

    let journal = Journal::open(full.path(), options()).unwrap();
    assert_eq!(journal.findings().len(), 1);
    assert_eq!(journal.read_forward(Position(1), 100).unwrap(), expected);
    drop(journal);
    let kept: Vec<_> = std::fs::read_dir(full.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged log is kept aside");
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{report:?}");
}

#[test]
fn damage_in_the_log_that_sled_cannot_cover_refuses_to_open_and_loses_nothing() {
    let (full, short) = twins(20, 20);
    let segment = segments(full.path())[0].clone();
    let mut bytes = std::fs::read(&segment).unwrap();
    let mut at = 0usize;
    for _ in 0..29 {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
    }
    bytes[at + 70] ^= 0x01; // position 30
    std::fs::write(&segment, &bytes).unwrap();
    put_sled_of(short.path(), full.path()); // sled holds only 1..20
    let log_before = hashes(&full.path().join("log"));
    match Journal::open(full.path(), options()) {
        Err(JournalError::Damaged(findings)) => {
            assert_eq!(findings[0].position, Some(30), "{findings:?}");
            assert!(
                findings[0].action.contains("impact restore"),
                "{findings:?}"
            );
        }
        Err(other) => panic!("expected Damaged, got {other}"),
        Ok(_) => panic!("expected Damaged, the journal opened"),
    }
    assert_eq!(
        hashes(&full.path().join("log")),
        log_before,
        "a refused open leaves the log as it was"
    );
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert!(!report.is_intact());
}

#[test]
fn a_torn_end_of_the_log_is_cut_without_a_word() {
    let (full, _short) = twins(15, 0);
    let segment = segments(full.path())[0].clone();
    let mut bytes = std::fs::read(&segment).unwrap();
    let mut at = 0usize;
    for _ in 0..15 {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
    }
    // Half of a frame a crash interrupted.
    bytes[at..at + 4].copy_from_slice(&200u32.to_be_bytes());
    bytes[at + 4..at + 100].fill(0x77);
    std::fs::write(&segment, &bytes).unwrap();
    let journal = Journal::open(full.path(), options()).unwrap();
    assert!(journal.findings().is_empty(), "{:?}", journal.findings());
    assert_eq!(journal.head().position, Position(15));
    journal
        .append_blocking("s", ExpectedVersion::Any, vec![event(99, 0)])
        .unwrap()
        .unwrap();
    drop(journal);
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, 16);
}

#[test]
fn a_commit_sled_kept_and_the_log_lost_to_a_crash_goes_into_the_log() {
    let (full, short) = twins(25, 5);
    // The log of the 25-event journal, sled of the 30-event one.
    std::fs::remove_dir_all(full.path().join("log")).unwrap();
    copy_dir(&short.path().join("log"), &full.path().join("log"));
    let expected = all_from_sled_only(&full);
    let journal = Journal::open(full.path(), options()).unwrap();
    assert!(journal.findings().is_empty(), "{:?}", journal.findings());
    assert_eq!(journal.head().position, Position(30));
    assert_eq!(journal.read_forward(Position(1), 100).unwrap(), expected);
    drop(journal);
    // Now the log holds them: sled alone can go.
    for path in sled_files(full.path()) {
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    assert_eq!(all(full.path()), expected);
}

fn all_from_sled_only(dir: &tempfile::TempDir) -> Vec<RecordedEvent> {
    let copy = tempfile::tempdir().unwrap();
    put_sled_of(dir.path(), copy.path());
    // Without a log the journal reads sled as it is (and writes a log from it).
    all(copy.path())
}

#[test]
fn a_missing_log_is_rewritten_from_sled() {
    let (full, _short) = twins(12, 0);
    let expected = all(full.path());
    std::fs::remove_dir_all(full.path().join("log")).unwrap();
    let report = Journal::verify_dir(full.path(), None, None, &mut |_| {}).unwrap();
    assert!(!report.is_intact());
    assert_eq!(report.findings[0].file, "log");
    let journal = Journal::open(full.path(), options()).unwrap();
    assert_eq!(journal.findings().len(), 1);
    assert_eq!(journal.read_forward(Position(1), 100).unwrap(), expected);
    drop(journal);
    assert!(Journal::verify_dir(full.path(), None, None, &mut |_| {})
        .unwrap()
        .is_intact());
}

#[test]
fn read_only_opens_change_no_byte_and_refuse_appends() {
    let (full, _short) = twins(10, 0);
    let before = hashes(full.path());
    let journal = Journal::open(
        full.path(),
        Options {
            read_only: true,
            ..options()
        },
    )
    .unwrap();
    assert_eq!(journal.head().position, Position(10));
    assert!(matches!(
        journal.append_blocking("s", ExpectedVersion::Any, vec![event(77, 0)]),
        Err(JournalError::ReadOnly)
    ));
    drop(journal);
    assert_eq!(
        hashes(full.path()),
        before,
        "a read-only open changed no byte"
    );
    // A read-only open works beside a server that holds the journal.
    let writer = Journal::open(full.path(), options()).unwrap();
    writer
        .append_blocking("s", ExpectedVersion::Any, vec![event(78, 0)])
        .unwrap()
        .unwrap();
    let reader = Journal::open(
        full.path(),
        Options {
            read_only: true,
            ..options()
        },
    )
    .unwrap();
    assert_eq!(reader.head().position, Position(11));
    assert!(reader.findings().is_empty(), "{:?}", reader.findings());
}

#[test]
fn a_backup_taken_while_appenders_run_restores_a_prefix_with_all_acknowledged_before_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), options()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<u128>::new()));
    let appenders: Vec<_> = (0..3u128)
        .map(|t| {
            let (journal, stop, acked) = (journal.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || {
                let mut n = 0u128;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let id = (t << 64) | n;
                    let events = vec![event(id, 0), event(id | (1 << 40), 0)];
                    journal
                        .append_blocking(&format!("s-{t}"), ExpectedVersion::Any, events)
                        .unwrap()
                        .unwrap();
                    acked.lock().unwrap().push(id);
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before: Vec<u128> = acked.lock().unwrap().clone();
    let mut copy = Vec::new();
    let head = Journal::backup_to(dir.path(), &mut copy).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    stop.store(true, Ordering::SeqCst);
    for appender in appenders {
        appender.join().unwrap();
    }
    let live = journal.read_forward(Position(1), usize::MAX).unwrap();
    drop(journal);
    assert!(
        before.len() > 10,
        "the appenders appended too little: {}",
        before.len()
    );
    assert!(
        head.position.0 < live.len() as u64,
        "the backup ran while appends went on"
    );

    let restored_dir = tempfile::tempdir().unwrap();
    let target = restored_dir.path().join("restored");
    let restored_head = Journal::restore_from(&mut copy.as_slice(), &target).unwrap();
    assert_eq!(restored_head, head);
    let restored = all(&target);
    assert_eq!(restored.len() as u64, head.position.0);
    assert_eq!(
        restored[..],
        live[..restored.len()],
        "a prefix of the live journal"
    );
    for id in before {
        assert!(
            restored.iter().any(|e| e.id.0 == id),
            "{id:x} was acknowledged before the backup started and is not in it"
        );
    }
    assert!(Journal::verify_dir(&target, None, None, &mut |_| {})
        .unwrap()
        .is_intact());
}

/// A journal whose one segment holds several megabytes: more than one read of the log at open.
fn big_records(n: u128) -> (tempfile::TempDir, Options) {
    let clock = TestClock::new(1_700_000_000_000_000);
    let options = Options {
        log_segment_bytes: 16 * 1024 * 1024,
        ..clock.options()
    };
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path(), options.clone()).unwrap();
    for id in 1..=n {
        let mut e = event(id, 0);
        e.payload = format!(
            r#"{{"id":{id},"text":"{}"}}"#,
            "x".repeat(7_000 + (id as usize % 97))
        )
        .into_bytes();
        journal
            .append_blocking(&format!("s-{}", id % 5), ExpectedVersion::Any, vec![e])
            .unwrap()
            .unwrap();
    }
    (dir, options)
}

/// The offset of the frame of `position` (1-based) in a segment's bytes.
fn frame_offset(bytes: &[u8], position: usize) -> usize {
    let mut at = 0usize;
    for _ in 1..position {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
    }
    at
}

#[test]
fn a_segment_of_several_megabytes_rebuilds_sled_whole_and_its_damage_is_found_where_it_is() {
    let (dir, options) = big_records(700);
    let expected = Journal::open(dir.path(), options.clone())
        .unwrap()
        .read_forward(Position(1), 1_000)
        .unwrap();
    assert_eq!(expected.len(), 700);
    let segment = segments(dir.path());
    assert_eq!(segment.len(), 1, "one segment, read in pieces");
    let segment = segment[0].clone();
    let at = frame_offset(&std::fs::read(&segment).unwrap(), 600);
    assert!(
        at > 3 * 1024 * 1024,
        "position 600 lies past the first reads ({at})"
    );

    // sled gone: every record comes back from the log, read across the read boundaries.
    let remove_sled = || {
        for path in sled_files(dir.path()) {
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
    };
    remove_sled();
    let journal = Journal::open(dir.path(), options.clone()).unwrap();
    assert_eq!(journal.read_forward(Position(1), 1_000).unwrap(), expected);
    drop(journal);

    // A stray byte among the zeros far after the last frame: looked at, found to start no
    // record, and the history is whole.
    let mut bytes = std::fs::read(&segment).unwrap();
    let end = frame_offset(&bytes, 701);
    bytes[end + 3 * 1024 * 1024] = 0x5a;
    std::fs::write(&segment, &bytes).unwrap();
    let journal = Journal::open(dir.path(), options.clone()).unwrap();
    assert_eq!(journal.read_forward(Position(1), 1_000).unwrap(), expected);
    drop(journal);

    // A bit of position 600's payload, and no sled to cover it: refused, naming position 600.
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[at + 4 + 200] ^= 0x08;
    std::fs::write(&segment, &bytes).unwrap();
    remove_sled();
    match Journal::open(dir.path(), options) {
        Err(JournalError::Damaged(findings)) => {
            assert_eq!(findings[0].position, Some(600), "{findings:?}")
        }
        Err(other) => panic!("expected Damaged, got {other}"),
        Ok(_) => panic!("expected Damaged, the journal opened"),
    }
}
