//! Walking the chain: every record decodes, sits at its own position, links to the one before
//! and hashes to its stored hash; nothing is missing up to the recorded head.

use std::path::Path;
use std::sync::mpsc;

use serde::Serialize;

use crate::blocks::{self, Layout, Slots};
use crate::error::{JournalError, Problem};
use crate::record::{decode, ChainHash, Position};
use crate::store::{read_head_mark, Head, Journal};

/// Most records the reading thread copies into one batch for the checking thread.
const BATCH_RECORDS: usize = 1024;
/// A batch takes no more records once it holds this many bytes (large payloads).
const BATCH_BYTES: usize = 512 * 1024;
/// Batches in flight between the two threads (each is reused).
const BATCHES: usize = 4;
/// Records checked between two progress reports.
const PROGRESS_EVERY: u64 = 8192;

/// Where a long verification has got to.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct VerifyProgress {
    pub checked: u64,
    pub position: Position,
}

/// The outcome of a verification. `problem` is the first bad position and what is wrong with it.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub from: Position,
    /// The last position checked and found good (ZERO when none).
    pub last_good: Position,
    /// Records checked and found good.
    pub checked: u64,
    /// The position and hash of the last good record: the digest to compare with one written
    /// down earlier.
    pub head: Option<Head>,
    /// The head the journal recorded at its last commit.
    pub recorded_head: Option<Head>,
    pub problem: Option<(Position, Problem)>,
    /// Faults in the journal's files that the chain walk does not show: sled and the log
    /// disagreeing, a file sled cannot open, a damaged segment of the log. Each says what to do.
    pub findings: Vec<crate::recover::Finding>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none() && self.findings.is_empty()
    }
}

impl Journal {
    /// Verifies positions `from..=to` (defaults: the whole chain). The record before `from` is
    /// trusted for its hash. Progress is reported every 8192 records.
    pub fn verify(
        &self,
        from: Option<u64>,
        to: Option<u64>,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, JournalError> {
        verify_trees(
            &self.shared.blocks,
            Layout::Blocks,
            &self.shared.meta,
            from,
            to,
            progress,
        )
    }

    /// Verifies the journal in `dir` without changing any byte of it: the journal is opened
    /// read-only (its log read and checked in place, sled read from a private copy), the two
    /// copies compared, and the chain walked. What the two copies disagree on is in
    /// [`VerifyReport::findings`]; damage that stops the open is the report's problem or its
    /// findings. Works while the server runs.
    pub fn verify_dir(
        dir: impl AsRef<Path>,
        from: Option<u64>,
        to: Option<u64>,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, JournalError> {
        let dir = dir.as_ref();
        let options = crate::store::Options {
            read_only: true,
            ..crate::store::Options::default()
        };
        let empty = |problem, findings| VerifyReport {
            from: Position(from.unwrap_or(1).max(1)),
            last_good: Position::ZERO,
            checked: 0,
            head: None,
            recorded_head: None,
            problem,
            findings,
        };
        match Journal::open(dir, options) {
            Ok(journal) => {
                let mut report = journal.verify(from, to, progress)?;
                report.findings = in_range(journal.findings(), from, to);
                if !report.findings.is_empty() {
                    // The journal's copy checks; sled's own walk names what is wrong in sled.
                    if let Ok(walk) = walk_sled_copy(dir, from, to, &mut |_| {}) {
                        if walk.problem.is_some() {
                            report.problem = walk.problem;
                            report.last_good = walk.last_good;
                            report.checked = walk.checked;
                        }
                    }
                }
                Ok(report)
            }
            Err(error @ (JournalError::Damaged(_) | JournalError::Corrupt { .. })) => {
                // The chain walk over a copy of sled names the first bad record in the range.
                let mut report = walk_sled_copy(dir, from, to, progress)
                    .unwrap_or_else(|_| empty(None, Vec::new()));
                match error {
                    JournalError::Damaged(findings) => {
                        report.findings = in_range(&findings, from, to);
                        if from.is_none() && to.is_none() && report.findings.is_empty() {
                            report.findings = findings;
                        }
                    }
                    JournalError::Corrupt { position, problem } => {
                        let whole = from.is_none() && to.is_none();
                        if report.problem.is_none() && whole {
                            report.problem = Some((position, problem));
                        }
                    }
                    _ => {}
                }
                Ok(report)
            }
            Err(other) => Err(other),
        }
    }
}

/// The findings that concern positions `from..=to` (all of them for the whole journal; a
/// finding without a position concerns every range).
fn in_range(
    findings: &[crate::recover::Finding],
    from: Option<u64>,
    to: Option<u64>,
) -> Vec<crate::recover::Finding> {
    let (first, last) = (from.unwrap_or(1), to.unwrap_or(u64::MAX));
    findings
        .iter()
        .filter(|f| f.position.is_none_or(|p| p >= first && p <= last))
        .cloned()
        .collect()
}

/// Walks the chain of a private copy of sled's files in `dir`.
fn walk_sled_copy(
    dir: &Path,
    from: Option<u64>,
    to: Option<u64>,
    progress: &mut dyn FnMut(VerifyProgress),
) -> Result<VerifyReport, JournalError> {
    let copy = tempfile::Builder::new()
        .prefix("impact-journal-copy")
        .tempdir()
        .map_err(|e| JournalError::io("create", std::env::temp_dir(), e))?;
    crate::recover::copy_sled(dir, copy.path())?;
    let db = crate::recover::open_sled_caught(|| {
        crate::store::open_sled(sled::Config::new().path(copy.path()))
    })
    .map_err(|e| match e {
        crate::recover::SledOpen::Damaged(reason) => JournalError::Failed(reason),
        crate::recover::SledOpen::Failed(error) => error,
    })?;
    let meta = db.open_tree("meta")?;
    let records = db.open_tree(blocks::BLOCKS_TREE)?;
    verify_trees(&records, Layout::Blocks, &meta, from, to, progress)
}

/// The outcome of checking one record on its own.
type Checked = Result<(Position, ChainHash, ChainHash), (Position, Problem)>;

fn check_one(position: Position, value: &[u8]) -> Checked {
    let view = decode(value).map_err(|e| (position, e.into()))?;
    if view.position != position {
        return Err((
            position,
            Problem::Misplaced {
                found: view.position.0,
            },
        ));
    }
    let computed = view.recompute_hash();
    if computed != view.hash {
        return Err((
            position,
            Problem::HashMismatch {
                stored: view.hash,
                computed,
            },
        ));
    }
    Ok((position, view.prev_hash, view.hash))
}

pub(crate) fn verify_trees(
    events: &sled::Tree,
    layout: Layout,
    meta: &sled::Tree,
    from: Option<u64>,
    to: Option<u64>,
    progress: &mut dyn FnMut(VerifyProgress),
) -> Result<VerifyReport, JournalError> {
    let from = Position(from.unwrap_or(1).max(1));
    let recorded_head = read_head_mark(meta).ok().flatten();
    let mut report = VerifyReport {
        from,
        last_good: Position(from.0 - 1),
        checked: 0,
        head: None,
        recorded_head,
        problem: None,
        findings: Vec::new(),
    };
    // The hash the first checked record must link to.
    let prev = if from.0 == 1 {
        ChainHash::genesis()
    } else {
        let before = Position(from.0 - 1);
        let stored = match blocks::get(events, layout, before) {
            Ok(stored) => stored,
            Err(JournalError::Corrupt { position, problem }) => {
                report.problem = Some((position, problem));
                return Ok(report);
            }
            Err(other) => return Err(other),
        };
        match stored {
            None => {
                // Past the end (nothing stored there, nothing recorded there) is nothing to check.
                let past_end = recorded_head.is_none_or(|mark| mark.position < before)
                    && Slots::new(events, layout, before, Position(u64::MAX))
                        .next()
                        .is_none();
                if !past_end {
                    report.problem = Some((before, Problem::MissingPosition));
                }
                return Ok(report);
            }
            Some(slot) => match decode(slot.bytes()) {
                Ok(view) => view.hash,
                Err(e) => {
                    report.problem = Some((before, e.into()));
                    return Ok(report);
                }
            },
        }
    };
    let end = to.map(Position);
    if matches!(end, Some(end) if end < from) {
        return Ok(report);
    }
    let upper = end.unwrap_or(Position(u64::MAX));
    let mut walk = Walk {
        expected: from,
        prev,
        recorded_head,
        report,
        progress,
        next_progress: PROGRESS_EVERY,
    };
    read_and_check(events, layout, upper, &mut walk)?;
    let Walk {
        expected,
        mut report,
        ..
    } = walk;
    if report.problem.is_some() {
        return Ok(report);
    }
    // Nothing may be missing up to the head the journal recorded (or the end asked for, if
    // earlier): a removed tail leaves a valid but shorter chain, and this is how it shows.
    let must_reach = recorded_head.map(|mark| end.map_or(mark.position, |e| e.min(mark.position)));
    if let Some(must_reach) = must_reach {
        if report.last_good < must_reach {
            report.problem = Some((expected, Problem::MissingPosition));
            return Ok(report);
        }
    }
    if let (Some(mark), Some(head)) = (recorded_head, report.head) {
        if head.position == mark.position && head.hash != mark.hash {
            report.problem = Some((
                head.position,
                Problem::HashMismatch {
                    stored: mark.hash,
                    computed: head.hash,
                },
            ));
        }
    }
    Ok(report)
}

/// The state of a walk along the chain, fed one stored record at a time in key order.
struct Walk<'p> {
    /// The position the next record must have.
    expected: Position,
    /// The hash the next record must link to.
    prev: ChainHash,
    recorded_head: Option<Head>,
    report: VerifyReport,
    progress: &'p mut dyn FnMut(VerifyProgress),
    next_progress: u64,
}

impl Walk<'_> {
    /// Checks one stored record; false once a problem is found (it is in the report).
    fn check(&mut self, at: Position, value: &[u8]) -> bool {
        let (position, prev_hash, hash) = match check_one(at, value) {
            Ok(checked) => checked,
            Err((position, problem)) => return self.stop(position, problem),
        };
        if position != self.expected {
            return self.stop(self.expected, Problem::MissingPosition);
        }
        if prev_hash != self.prev {
            let found = prev_hash;
            let expected = self.prev;
            return self.stop(position, Problem::BrokenLink { expected, found });
        }
        // Records may follow the recorded head (a crash before the head was written), but the
        // record at the head must be the one committed.
        if let Some(mark) = self.recorded_head.filter(|m| m.position == position) {
            if mark.hash != hash {
                let (stored, computed) = (mark.hash, hash);
                return self.stop(position, Problem::HashMismatch { stored, computed });
            }
        }
        self.prev = hash;
        self.report.checked += 1;
        self.report.last_good = position;
        self.report.head = Some(Head { position, hash });
        self.expected = position.next();
        if self.report.checked >= self.next_progress {
            self.next_progress += PROGRESS_EVERY;
            (self.progress)(VerifyProgress {
                checked: self.report.checked,
                position,
            });
        }
        true
    }

    /// Ends the walk with `problem` at `position`. Damage found at a later position than the
    /// one expected (a record stored out of order, a block cut after a gap) means the expected
    /// position is missing. Always false, for `check` to return.
    fn stop(&mut self, position: Position, problem: Problem) -> bool {
        self.report.problem = if position > self.expected {
            Some((self.expected, Problem::MissingPosition))
        } else {
            Some((position, problem))
        };
        false
    }

    /// Ends the walk with a record that could not be read out of its stored value. False when
    /// the error is no damage (it is then the caller's to return).
    fn unreadable(&mut self, error: &JournalError) -> bool {
        let JournalError::Corrupt { position, problem } = error else {
            return false;
        };
        self.stop(*position, problem.clone());
        true
    }
}

/// Stored records copied out of sled, back to back.
struct Batch {
    bytes: Vec<u8>,
    /// For each record: the position it is stored at and where it ends in `bytes`.
    ends: Vec<(Position, usize)>,
    /// A read that failed after the records above; it ends the walk.
    error: Option<JournalError>,
    /// Nothing follows this batch.
    last: bool,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            bytes: Vec::with_capacity(BATCH_BYTES),
            ends: Vec::with_capacity(BATCH_RECORDS),
            error: None,
            last: false,
        }
    }

    fn records(&self) -> impl Iterator<Item = (Position, &[u8])> {
        let mut start = 0;
        self.ends.iter().map(move |&(at, end)| {
            let record = (at, &self.bytes[start..end]);
            start = end;
            record
        })
    }
}

/// Reads the records from the walk's next position up to `upper` on a second thread and checks
/// them in order on this one, until the end or the first problem.
///
/// One thread reads sled and the other decodes and hashes. Two threads that both read spend
/// more time in all: a page evicted on one thread was often allocated on the other, and freeing
/// it waits for that thread's malloc arena. The reader copies each record into a reused batch,
/// so sled's pages are allocated and freed on the reading thread alone.
/// Measurements: `docs/BENCHMARKS.md`, Journal.
fn read_and_check(
    events: &sled::Tree,
    layout: Layout,
    upper: Position,
    walk: &mut Walk<'_>,
) -> Result<(), JournalError> {
    let lower = walk.expected;
    let (full_tx, full_rx) = mpsc::channel::<Batch>();
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    for _ in 0..BATCHES {
        // The receiver lives until the end of this function.
        let _ = empty_tx.send(Batch::new());
    }
    let outcome = std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("journal-verify-read".into())
            .spawn_scoped(scope, move || {
                read_batches(
                    Slots::new(events, layout, lower, upper),
                    &empty_rx,
                    &full_tx,
                );
            });
        let outcome = check_batches(walk, &full_rx, &empty_tx);
        // Dropping the channels stops the reader if the walk ended early.
        drop(full_rx);
        drop(empty_tx);
        if let Ok(reader) = reader {
            let _ = reader.join();
        }
        outcome
    });
    match outcome {
        Ok(CheckEnd::Done) => Ok(()),
        Err(error) => Err(error),
        Ok(CheckEnd::ReaderGone) => {
            // The reading thread died (it does not panic, but should it): read the rest here.
            for slot in Slots::new(events, layout, walk.expected, upper) {
                let slot = match slot {
                    Ok(slot) => slot,
                    Err(error) if walk.unreadable(&error) => break,
                    Err(error) => return Err(error),
                };
                if !walk.check(slot.at, slot.bytes()) {
                    break;
                }
            }
            Ok(())
        }
    }
}

enum CheckEnd {
    /// The range is read, or a problem was found.
    Done,
    /// The reader stopped without saying it was done.
    ReaderGone,
}

fn check_batches(
    walk: &mut Walk<'_>,
    full: &mpsc::Receiver<Batch>,
    empty: &mpsc::Sender<Batch>,
) -> Result<CheckEnd, JournalError> {
    loop {
        let Ok(mut batch) = full.recv() else {
            return Ok(CheckEnd::ReaderGone);
        };
        for (at, value) in batch.records() {
            if !walk.check(at, value) {
                return Ok(CheckEnd::Done);
            }
        }
        if let Some(error) = batch.error.take() {
            if walk.unreadable(&error) {
                return Ok(CheckEnd::Done);
            }
            return Err(error);
        }
        if batch.last {
            return Ok(CheckEnd::Done);
        }
        // The reader may have stopped already; then the batch is simply dropped.
        let _ = empty.send(batch);
    }
}

fn read_batches(mut records: Slots, empty: &mpsc::Receiver<Batch>, full: &mpsc::Sender<Batch>) {
    // A receive or send fails only when the checker has finished: then stop.
    while let Ok(mut batch) = empty.recv() {
        batch.bytes.clear();
        batch.ends.clear();
        while batch.ends.len() < BATCH_RECORDS && batch.bytes.len() < BATCH_BYTES {
            match records.next() {
                None => {
                    batch.last = true;
                    break;
                }
                Some(Err(error)) => {
                    batch.error = Some(error);
                    batch.last = true;
                    break;
                }
                Some(Ok(slot)) => {
                    batch.bytes.extend_from_slice(slot.bytes());
                    batch.ends.push((slot.at, batch.bytes.len()));
                }
            }
        }
        let last = batch.last;
        if full.send(batch).is_err() || last {
            return;
        }
    }
}
