//! Opening, appending (with group commit) and reading.
//!
//! Layout in sled (see `docs/adr/0002-storage-layout.md` and `docs/adr/0006-record-blocks.md`):
//! - tree `blocks`: the stored records (body ‖ hash), packed in position order into blocks of
//!   about 4 KiB, key = the block's first position (`blocks.rs`). A group commit writes each
//!   block it touches with one plain insert, the last block again as it grows.
//! - tree `meta`: `format` = [2]; `head` = position (u64 BE) ‖ hash, written once per group
//!   commit, so that a removed tail is noticed. A format-1 journal (one record per key in tree
//!   `events`) is moved into blocks when it is opened.
//!
//! The stream index (stream → positions) and the id index (event id → position) live in memory
//! and are rebuilt by the scan that opening does anyway to check the chain's links.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use tokio::sync::{oneshot, watch};
use ulid::Ulid;

use crate::blocks::{self, Layout, Packer, Slot, Slots};
use crate::error::{JournalError, Problem};
use crate::log::{LogWriter, LOG_DIR};
use crate::record::{
    chain_hash, decode, encode_body, BodyFields, ChainHash, NewEvent, Position, RecordedEvent,
    Timestamp, MAX_EVENTS_PER_APPEND, MAX_NAME_BYTES, MAX_PAYLOAD_BYTES,
};
use crate::recover::{Finding, SledOpen};
use crate::subscribe::Subscription;
use crate::AppendResult;

const META_TREE: &str = "meta";
const META_FORMAT: &[u8] = b"format";
const META_HEAD: &[u8] = b"head";
/// `meta.format` of a journal that keeps its log (`log.rs`) beside sled.
pub(crate) const FORMAT_LOG: u8 = 3;

/// A source of time for `recorded_at`; tests inject a fixed or stepping clock.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How to open a journal.
#[derive(Clone)]
pub struct Options {
    /// sled's page cache, in bytes. sled's own default (1 GiB) is far more than a small server
    /// wants; 64 MiB keeps a million-event journal well under 256 MiB of memory.
    pub cache_capacity_bytes: u64,
    /// Most events written in one group commit (one flush and fsync).
    pub max_batch_events: usize,
    /// How many records at the tail have their hash recomputed when the journal opens.
    pub tail_check_events: u64,
    /// The clock that stamps `recorded_at`.
    pub clock: Clock,
    /// Size of a segment of the journal's log, allocated (filled with zeros) when the segment
    /// is started. Each time one fills, the writer also makes sled durable on its own.
    pub log_segment_bytes: u64,
    /// Open without changing any byte of the journal's directory: the records are read from a
    /// private copy (or rebuilt from the journal's log), and appends are refused with
    /// [`JournalError::ReadOnly`]. For the commands that only read (`verify`, `export`, ...).
    pub read_only: bool,
    /// Free space the writer keeps on the journal's filesystem: a commit that finds less is
    /// refused with [`JournalError::DiskFull`] before anything is written, so that sled and a
    /// new segment of the log always find room for what was acknowledged, and appends resume
    /// once space is freed. It must cover a segment of the log (`log_segment_bytes`) and what
    /// sled writes besides. 0 turns the check off.
    pub disk_reserve_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cache_capacity_bytes: 64 * 1024 * 1024,
            max_batch_events: 4096,
            tail_check_events: 1024,
            clock: Arc::new(Timestamp::now),
            log_segment_bytes: 64 * 1024 * 1024,
            read_only: false,
            disk_reserve_bytes: 96 * 1024 * 1024,
        }
    }
}

/// What the writer expects of the stream before the append.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream has no event yet.
    NoStream,
    /// The stream's last event has exactly this version (0 means no event yet).
    Exactly(u64),
}

/// The last acknowledged position and its hash: the digest an auditor writes down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Head {
    pub position: Position,
    pub hash: ChainHash,
}

impl Head {
    pub(crate) fn empty() -> Head {
        Head {
            position: Position::ZERO,
            hash: ChainHash::genesis(),
        }
    }
}

/// A successful append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The recorded events, in order.
    pub events: Vec<RecordedEvent>,
    /// True when every event id was already recorded with the same content: nothing was
    /// written and `events` are the original records.
    pub already_recorded: bool,
}

impl Appended {
    pub fn first_position(&self) -> Position {
        self.events.first().map(|e| e.position).unwrap_or_default()
    }

    pub fn last_position(&self) -> Position {
        self.events.last().map(|e| e.position).unwrap_or_default()
    }
}

/// The stream was not at the expected version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub stream: String,
    pub expected: ExpectedVersion,
    /// The stream's actual version (0: no event yet).
    pub actual: u64,
}

/// An event id was already recorded with other content (or some ids of an append were recorded
/// and others not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdReused {
    pub id: Ulid,
    pub position: Position,
}

/// An append that was refused, as a value the caller must look at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Rejected {
    Conflict(Conflict),
    IdReused(IdReused),
}

/// The in-memory indexes and the acknowledged head.
pub(crate) struct Index {
    pub head: Head,
    pub last_recorded_at: Timestamp,
    /// Positions of each stream's events; version N is at `positions[N - 1]`.
    pub streams: HashMap<Box<str>, Vec<u64>>,
    pub ids: HashMap<u128, u64>,
    /// The Merkle tree's frontier and upper levels (`tree.rs`); its size is `head.position`.
    pub tree: merkle::CompactLevels,
}

impl Shared {
    pub(crate) fn head(&self) -> Head {
        self.index.read().head
    }

    pub(crate) fn read_forward(
        &self,
        from: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, JournalError> {
        let head = self.head().position;
        let from = from.max(Position(1));
        if from > head || limit == 0 {
            return Ok(Vec::new());
        }
        Slots::new(&self.blocks, Layout::Blocks, from, head)
            .take(limit)
            .map(|slot| decode_slot(&slot?))
            .collect()
    }
}

impl Index {
    pub(crate) fn empty() -> Index {
        Index {
            head: Head::empty(),
            last_recorded_at: Timestamp(i64::MIN),
            streams: HashMap::new(),
            ids: HashMap::new(),
            tree: crate::tree::new_levels(),
        }
    }

    /// Adds the record stored at `position` after checking that it continues the journal: its
    /// position, its link, its time, its stream's version, its id and its place in its append.
    /// Returns where its append starts, its index in it and the append's length.
    fn push(
        &mut self,
        position: Position,
        view: &crate::record::RecordView<'_>,
    ) -> Result<(u64, u16, u16), JournalError> {
        let corrupt = |problem| JournalError::Corrupt { position, problem };
        let expected = self.head.position.next();
        if position != expected {
            return Err(JournalError::Corrupt {
                position: expected,
                problem: Problem::MissingPosition,
            });
        }
        if view.position != position {
            return Err(corrupt(Problem::Misplaced {
                found: view.position.0,
            }));
        }
        if view.prev_hash != self.head.hash {
            return Err(corrupt(Problem::BrokenLink {
                expected: self.head.hash,
                found: view.prev_hash,
            }));
        }
        if view.recorded_at < self.last_recorded_at {
            return Err(corrupt(Problem::TimeBackwards));
        }
        // Looked up before it is inserted: a new key is made once per stream, not per record.
        let positions = match self.streams.get_mut(view.stream) {
            Some(positions) => positions,
            None => self.streams.entry(view.stream.into()).or_default(),
        };
        let stream_expected = u64::try_from(positions.len()).unwrap_or(u64::MAX) + 1;
        if view.version != stream_expected {
            return Err(corrupt(Problem::StreamVersion {
                stream: view.stream.to_owned(),
                expected: stream_expected,
                found: view.version,
            }));
        }
        positions.push(position.0);
        if let Some(first) = self.ids.insert(view.id.0, position.0) {
            return Err(corrupt(Problem::DuplicateId {
                id: view.id.to_string(),
                first,
            }));
        }
        // A record's place in its append must fit the append and the journal (the hash covers
        // these fields, but the scan of sled recomputes only the tail's hashes).
        let append_start = position.0.checked_sub(u64::from(view.append_index));
        let append_start = match append_start {
            Some(start) if start >= 1 && view.append_index < view.append_len => start,
            _ => {
                return Err(corrupt(Problem::Undecodable {
                    reason: format!(
                        "append index {} does not fit an append of {} events at this position",
                        view.append_index, view.append_len
                    ),
                }))
            }
        };
        self.head = Head {
            position,
            hash: view.hash,
        };
        self.tree.push(crate::tree::leaf(&view.hash));
        self.last_recorded_at = view.recorded_at;
        Ok((append_start, view.append_index, view.append_len))
    }

    fn stream_version(&self, stream: &str) -> u64 {
        self.streams
            .get(stream)
            .map(|p| u64::try_from(p.len()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

pub(crate) struct Shared {
    pub dir: PathBuf,
    pub db: sled::Db,
    /// The records, in blocks.
    pub blocks: sled::Tree,
    pub meta: sled::Tree,
    pub index: RwLock<Index>,
    /// Follows the acknowledged head. The writer thread owns the sender, so receivers learn when
    /// it stops.
    pub head_rx: watch::Receiver<Head>,
    failed: Mutex<Option<Failure>>,
    failed_flag: AtomicBool,
    read_only: bool,
    /// What opening found and repaired.
    findings: Vec<Finding>,
    /// The private copy of sled a read-only journal reads (removed when the journal closes).
    _scratch: Option<tempfile::TempDir>,
}

/// Why the journal stopped accepting appends.
#[derive(Clone)]
struct Failure {
    reason: String,
    disk_full: bool,
}

impl Shared {
    /// Stops accepting appends after `error`, logging why.
    fn poison(&self, what: &str, error: &JournalError) -> JournalError {
        let reason = error.to_string();
        tracing::error!(%reason, "{what} failed; no further appends are accepted");
        let failure = Failure {
            reason,
            disk_full: error.is_disk_full(),
        };
        *self.failed.lock() = Some(failure.clone());
        self.failed_flag.store(true, Ordering::Release);
        failure.error()
    }

    /// The error every request gets once the journal was poisoned.
    fn poisoned(&self) -> Option<JournalError> {
        if self.failed_flag.load(Ordering::Acquire) {
            self.failed.lock().as_ref().map(Failure::error)
        } else {
            None
        }
    }
}

impl Failure {
    fn error(&self) -> JournalError {
        if self.disk_full {
            JournalError::DiskFull(self.reason.clone())
        } else {
            JournalError::Failed(self.reason.clone())
        }
    }
}

struct Request {
    stream: String,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    reply: oneshot::Sender<AppendResult>,
}

/// Records taken as they are (from an export), to continue the chain exactly.
struct ImportRequest {
    records: Vec<RecordedEvent>,
    reply: oneshot::Sender<Result<Head, JournalError>>,
}

enum Job {
    Append(Request),
    Import(ImportRequest),
}

struct Writer {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx.lock().take();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

/// A record as the open scan read and checked it (`Journal::open_and_read`), not yet copied out
/// of the stored bytes: [`StoredRecord::to_recorded`] does that, on whichever thread calls it.
pub struct StoredRecord {
    slot: Slot,
}

impl StoredRecord {
    pub fn position(&self) -> Position {
        self.slot.at
    }

    /// The record as an owned event.
    pub fn to_recorded(&self) -> Result<RecordedEvent, JournalError> {
        decode_slot(&self.slot)
    }
}

/// A handle on an open journal. Cheap to clone; the journal closes when the last handle drops,
/// after every queued append has been written and acknowledged.
#[derive(Clone)]
pub struct Journal {
    pub(crate) shared: Arc<Shared>,
    writer: Arc<Writer>,
}

impl Journal {
    /// Opens (creating if needed) the journal in `dir`, checks it and rebuilds its indexes.
    ///
    /// Checks: the format; every record decodes and sits at its own position; positions are
    /// gap-free; every `prev_hash` links to the record before; stream versions are gap-free; ids
    /// are unique; the last `tail_check_events` hashes recompute; the recorded head is present.
    /// An append that a crash left half-written (never acknowledged) is removed.
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<Journal, JournalError> {
        Journal::open_inner(dir.as_ref(), options, None)
    }

    /// Opens the journal as [`Journal::open`] does and hands `each` every record its scan reads,
    /// in position order, each once: a caller that folds the whole journal at start reads it
    /// once instead of twice.
    ///
    /// Only records of complete appends are handed (an append that a crash left half-written is
    /// removed, never handed). The checks end after the last record is handed, so if this
    /// returns an error, whatever was handed must be thrown away: act on no record irreversibly
    /// before it returns `Ok`.
    pub fn open_and_read(
        dir: impl AsRef<Path>,
        options: Options,
        mut each: impl FnMut(StoredRecord),
    ) -> Result<Journal, JournalError> {
        Journal::open_inner(dir.as_ref(), options, Some(&mut each))
    }

    fn open_inner(
        dir: &Path,
        options: Options,
        each: Option<&mut dyn FnMut(StoredRecord)>,
    ) -> Result<Journal, JournalError> {
        let dir = dir.to_path_buf();
        if options.read_only {
            if !dir.join("db").exists() && !dir.join(LOG_DIR).exists() {
                return Err(JournalError::io(
                    "find a journal in",
                    &dir,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no journal here"),
                ));
            }
        } else {
            std::fs::create_dir_all(&dir).map_err(|e| JournalError::io("create", &dir, e))?;
        }
        let opened = open_files(&dir, &options, each)?;
        let OpenedFiles {
            db,
            events,
            meta,
            syncer,
            index,
            log,
            findings,
            scratch,
        } = opened;
        for finding in &findings {
            if options.read_only {
                tracing::warn!(%finding, "the journal's files need repair");
            } else {
                tracing::warn!(%finding, "repaired the journal");
            }
        }
        tracing::info!(
            head = index.head.position.0,
            streams = index.streams.len(),
            read_only = options.read_only,
            "journal opened"
        );
        let (head_tx, head_rx) = watch::channel(index.head);
        let shared = Arc::new(Shared {
            dir,
            db,
            blocks: events,
            meta,
            index: RwLock::new(index),
            head_rx,
            failed: Mutex::new(None),
            failed_flag: AtomicBool::new(false),
            read_only: options.read_only,
            findings,
            _scratch: scratch,
        });
        let (tx, rx) = mpsc::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || writer_loop(thread_shared, rx, head_tx, syncer, log, options))
            .map_err(|e| JournalError::io("start the writer thread for", "journal", e))?;
        Ok(Journal {
            shared,
            writer: Arc::new(Writer {
                tx: Mutex::new(Some(tx)),
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    /// What opening found wrong in the journal's files and repaired (or, opened read-only,
    /// would repair): empty for a journal whose copies agree.
    pub fn findings(&self) -> &[Finding] {
        &self.shared.findings
    }

    /// Opens the journal in `dir` for writing, repairs what its two copies can repair (sled from
    /// the log, the log from sled) and says what it did; refuses when they cannot. The same as
    /// opening it, as the server does at start, returned as a report instead of log lines.
    pub fn repair(dir: impl AsRef<Path>, options: Options) -> Result<Vec<Finding>, JournalError> {
        let options = Options {
            read_only: false,
            ..options
        };
        let journal = Journal::open(dir, options)?;
        let findings = journal.findings().to_vec();
        journal.close();
        Ok(findings)
    }

    /// The directory the journal lives in.
    /// True when opened with `Options::read_only`: appends are refused, nothing is written.
    pub fn is_read_only(&self) -> bool {
        self.shared.read_only
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Appends `events` to `stream`, all or none, if the stream is at `expected`. Returns once the
    /// events are on disk. Concurrent appends share one flush (group commit).
    pub async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> AppendResult {
        let rx = self.submit(stream, expected, events)?;
        rx.await.map_err(|_| JournalError::Closed)?
    }

    /// [`Journal::append`] for callers outside an async runtime. Must not be called from within
    /// a tokio runtime thread.
    pub fn append_blocking(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> AppendResult {
        let rx = self.submit(stream, expected, events)?;
        rx.blocking_recv().map_err(|_| JournalError::Closed)?
    }

    fn submit(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<oneshot::Receiver<AppendResult>, JournalError> {
        validate_append(stream, &events)?;
        if self.shared.read_only {
            return Err(JournalError::ReadOnly);
        }
        if let Some(error) = self.shared.poisoned() {
            return Err(error);
        }
        let (reply, rx) = oneshot::channel();
        let request = Request {
            stream: stream.to_owned(),
            expected,
            events,
            reply,
        };
        let guard = self.writer.tx.lock();
        let tx = guard.as_ref().ok_or(JournalError::Closed)?;
        tx.send(Job::Append(request))
            .map_err(|_| JournalError::Closed)?;
        Ok(rx)
    }

    /// Appends records exactly as another journal stored them (positions, times, ids, hashes):
    /// how an export is loaded so that the same chain is reproduced. Every record must continue
    /// the chain at the head (next position, previous hash, a hash that recomputes, the next
    /// version of its stream, a new id, `recorded_at` not going back); otherwise nothing is
    /// written and the error names the first record that does not fit. Returns the new head once
    /// the records are durable.
    pub async fn import_recorded(&self, records: Vec<RecordedEvent>) -> Result<Head, JournalError> {
        if self.shared.read_only {
            return Err(JournalError::ReadOnly);
        }
        if let Some(error) = self.shared.poisoned() {
            return Err(error);
        }
        let (reply, rx) = oneshot::channel();
        {
            let guard = self.writer.tx.lock();
            let tx = guard.as_ref().ok_or(JournalError::Closed)?;
            tx.send(Job::Import(ImportRequest { records, reply }))
                .map_err(|_| JournalError::Closed)?;
        }
        rx.await.map_err(|_| JournalError::Closed)?
    }

    /// The last acknowledged position and its hash.
    pub fn head(&self) -> Head {
        self.shared.index.read().head
    }

    /// The version of a stream (0 when it has no event).
    pub fn stream_version(&self, stream: &str) -> u64 {
        self.shared.index.read().stream_version(stream)
    }

    /// Number of streams.
    pub fn stream_count(&self) -> usize {
        self.shared.index.read().streams.len()
    }

    /// The event at `position`, if acknowledged.
    pub fn get(&self, position: Position) -> Result<Option<RecordedEvent>, JournalError> {
        if position == Position::ZERO || position > self.head().position {
            return Ok(None);
        }
        self.read_at(position).map(Some)
    }

    /// The event with this id, if acknowledged.
    pub fn get_by_id(&self, id: Ulid) -> Result<Option<RecordedEvent>, JournalError> {
        let position = self.shared.index.read().ids.get(&id.0).copied();
        match position {
            Some(p) => self.read_at(Position(p)).map(Some),
            None => Ok(None),
        }
    }

    /// The position of the event with this id, if acknowledged.
    pub fn position_of(&self, id: Ulid) -> Option<Position> {
        self.shared
            .index
            .read()
            .ids
            .get(&id.0)
            .copied()
            .map(Position)
    }

    pub(crate) fn read_at(&self, position: Position) -> Result<RecordedEvent, JournalError> {
        read_record(&self.shared.blocks, position)
    }

    /// Up to `limit` events from `from` (inclusive) forward.
    pub fn read_forward(
        &self,
        from: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, JournalError> {
        self.shared.read_forward(from, limit)
    }

    /// An iterator over every acknowledged event from `from` up to the head as it is now.
    pub fn iter_forward(
        &self,
        from: Position,
    ) -> impl Iterator<Item = Result<RecordedEvent, JournalError>> + '_ {
        let head = self.head().position;
        let from = from.max(Position(1));
        Slots::new(&self.shared.blocks, Layout::Blocks, from, head).map(|slot| decode_slot(&slot?))
    }

    /// Up to `limit` events from `from` (inclusive) backward; `None` starts at the head.
    pub fn read_backward(
        &self,
        from: Option<Position>,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, JournalError> {
        let head = self.head().position;
        let from = from.unwrap_or(head).min(head);
        if from == Position::ZERO || limit == 0 {
            return Ok(Vec::new());
        }
        blocks::slots_backward(&self.shared.blocks, from, limit)?
            .iter()
            .map(decode_slot)
            .collect()
    }

    /// The events of `stream` with versions in `from..=to` (1-based; `to` None = to the end).
    pub fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        to_version: Option<u64>,
    ) -> Result<Vec<RecordedEvent>, JournalError> {
        let positions: Vec<u64> = {
            let index = self.shared.index.read();
            let Some(all) = index.streams.get(stream) else {
                return Ok(Vec::new());
            };
            let len = u64::try_from(all.len()).unwrap_or(u64::MAX);
            let from = from_version.max(1);
            let to = to_version.unwrap_or(len).min(len);
            if from > to {
                return Ok(Vec::new());
            }
            let start = usize::try_from(from - 1).unwrap_or(usize::MAX);
            let end = usize::try_from(to).unwrap_or(usize::MAX);
            all[start..end].to_vec()
        };
        positions
            .into_iter()
            .map(|p| self.read_at(Position(p)))
            .collect()
    }

    /// A subscription that delivers every event from `from` (inclusive), then follows live
    /// appends, with no gap and no duplicate.
    /// The subscription does not keep the journal open: once every `Journal` handle has
    /// dropped it delivers what was acknowledged and then ends.
    pub fn subscribe(&self, from: Position) -> Subscription {
        Subscription::new(Arc::clone(&self.shared), from)
    }

    /// Flushes and waits for the writer to finish every queued append. Other clones of this
    /// handle keep the journal open; it closes when the last one drops.
    pub fn close(self) {
        drop(self)
    }

    /// Bytes the sled directory takes on disk.
    pub fn size_on_disk(&self) -> Result<u64, JournalError> {
        Ok(self.shared.db.size_on_disk()?)
    }
}

/// Everything opening read and checked, ready to serve.
struct OpenedFiles {
    db: sled::Db,
    events: sled::Tree,
    meta: sled::Tree,
    syncer: Option<Syncer>,
    index: Index,
    log: Option<LogWriter>,
    findings: Vec<Finding>,
    scratch: Option<tempfile::TempDir>,
}

fn sled_config(dir: &Path, options: &Options) -> sled::Config {
    sled::Config::new()
        .path(dir)
        .cache_capacity(options.cache_capacity_bytes)
        .mode(sled::Mode::HighThroughput)
}

/// Opens sled and the log of `dir`, compares them and repairs one from the other where that is
/// sound (`docs/adr/0007-the-journal-log.md`):
/// - sled cannot open, lacks records the log holds, or holds other bytes: sled is rebuilt from
///   the log (its old files moved aside into `damaged-<time>/`);
/// - sled holds records after the log's last commit: a crash after sled wrote them and before
///   the log's `fdatasync`; never acknowledged, they are removed;
/// - the log is damaged (a bad frame followed by valid ones, a missing segment) or missing
///   while sled holds a whole chain that continues it: the log is rewritten from sled (the old
///   segments moved aside);
/// - both damaged where the other cannot fill in: [`JournalError::Damaged`], naming both.
///
/// Read-only, sled is opened from a private copy (sled writes into its files as it opens) and
/// the repairs happen in that copy only; the findings say what the journal would repair.
fn open_files(
    dir: &Path,
    options: &Options,
    each: Option<&mut dyn FnMut(StoredRecord)>,
) -> Result<OpenedFiles, JournalError> {
    let read_only = options.read_only;
    let log_dir = dir.join(LOG_DIR);
    let has_log = log_dir.is_dir();
    let mut findings = Vec::new();
    // Read-only, whether a server (or another process) holds the journal open now.
    let in_use = read_only && crate::recover::locked_by_another(&dir.join("db"));
    let scratch = if read_only {
        let scratch = tempfile::Builder::new()
            .prefix("impact-journal-copy")
            .tempdir()
            .map_err(|e| JournalError::io("create", std::env::temp_dir(), e))?;
        crate::recover::copy_sled(dir, scratch.path())?;
        Some(scratch)
    } else {
        None
    };
    let sled_dir = scratch.as_ref().map_or(dir, |s| s.path()).to_path_buf();
    let had_sled = sled_dir.join("db").exists();
    let mut db =
        match crate::recover::open_sled_caught(|| open_sled(sled_config(&sled_dir, options))) {
            Ok(db) => db,
            Err(SledOpen::Failed(error)) => return Err(error),
            Err(SledOpen::Damaged(reason)) => {
                if !has_log {
                    return Err(JournalError::Damaged(vec![Finding {
                        file: "db".into(),
                        position: None,
                        what: reason,
                        action: "there is no journal log to rebuild it from: restore the data \
                             directory from a backup (`impact restore`)"
                            .into(),
                        repairable: false,
                    }]));
                }
                let action = if read_only {
                    "the server rebuilds sled from the journal's log at its next start (or run \
                 `impact repair`); nothing acknowledged is lost"
                        .to_string()
                } else {
                    let aside = crate::recover::move_sled_aside(dir)?;
                    format!(
                        "rebuilt sled from the journal's log; its damaged files are kept in {}",
                        crate::recover::relative(dir, &aside)
                    )
                };
                if read_only {
                    crate::recover::clear_sled(&sled_dir)?;
                }
                findings.push(Finding {
                    file: "db".into(),
                    position: None,
                    what: reason,
                    action,
                    repairable: true,
                });
                open_sled(sled_config(&sled_dir, options))?
            }
        };
    let mut events = db.open_tree(blocks::BLOCKS_TREE)?;
    let mut meta = db.open_tree(META_TREE)?;
    let mut syncer = if read_only {
        None
    } else {
        Some(Syncer::new(dir)?)
    };
    let format = read_format_byte(&meta)?;
    match format {
        Some(blocks::FORMAT_RECORDS) => {
            migrate_to_blocks(&db, &events, &meta, syncer.as_ref())?;
        }
        Some(_) => {
            // A move from format 1 that stopped after setting the format leaves the old tree.
            let old = blocks::RECORDS_TREE_V1.as_bytes();
            if db.tree_names().iter().any(|name| name.as_ref() == old) {
                drop_records_tree(&db)?;
            }
        }
        None => {}
    }
    // A journal from before the log kept its recent commits in a write-ahead file: they go
    // back into sled first, and the log is then written from sled.
    let wal_path = dir.join(crate::wal::WAL_FILE);
    if !has_log && wal_path.exists() {
        let frames = crate::wal::read_file_frames(&wal_path)?;
        let restored = replay_wal(&events, &frames)?;
        if restored > 0 {
            tracing::info!(
                restored,
                "restored acknowledged events from the write-ahead file"
            );
        }
    }
    let segment_bytes = options.log_segment_bytes;
    let (index, scan, extended) =
        if has_log {
            let FromLog {
                index,
                scan,
                sled_from,
                sled_ended,
                extended,
                sled_cut,
            } = index_from_log(dir, &events, each)?;
            let head = index.head;
            if let Some(damage) = &scan.damage {
                let file = crate::recover::relative(dir, &damage.file);
                if extended.is_empty() {
                    if sled_from.is_none() {
                        // sled holds what the log holds, the damage too: someone altered both. The
                        // chain walk names the first bad record.
                        let walked = crate::verify::verify_trees(
                            &events,
                            Layout::Blocks,
                            &meta,
                            None,
                            None,
                            &mut |_| {},
                        )?;
                        if let Some((position, problem)) = walked.problem {
                            return Err(JournalError::Corrupt { position, problem });
                        }
                    }
                    return Err(JournalError::Damaged(vec![Finding {
                        file,
                        position: Some(damage.position.0),
                        what: format!(
                            "{}; sled holds no checked records after position {} to take their \
                         place{}",
                            damage.what,
                            scan.head.position,
                            sled_from.map_or(String::new(), |from| format!(
                                " (and sled differs from the log from position {from})"
                            ))
                        ),
                        action: "keep the data directory as it is and restore it from a backup \
                             (`impact restore`); `impact verify` names every fault"
                            .into(),
                        repairable: false,
                    }]));
                }
                let action = if read_only {
                    "the server rewrites the log from sled at its next start (or run `impact \
                 repair`); nothing acknowledged is lost"
                        .to_string()
                } else {
                    let aside = crate::recover::aside_dir(dir)?;
                    let written =
                        rewrite_log_from_sled(dir, &events, head, Some(&aside), segment_bytes)?;
                    format!(
                        "rewrote the log from sled ({written} records, each checked); the damaged \
                     log is kept in {}",
                        crate::recover::relative(dir, &aside)
                    )
                };
                findings.push(Finding {
                    file,
                    position: Some(damage.position.0),
                    what: format!(
                        "{}; sled holds the records from there to position {} and they check",
                        damage.what, head.position
                    ),
                    action,
                    repairable: true,
                });
                let scan = if read_only {
                    scan
                } else {
                    crate::log::scan(dir, &mut |_| Ok(()))?
                };
                (index, scan, Vec::new())
            } else {
                if sled_from.is_none() {
                    // sled writes the head mark after the records of each commit, so a mark past
                    // everything both copies hold means records both lost.
                    if let Some(mark) = read_head_mark(&meta).ok().flatten() {
                        if mark.position > head.position {
                            return Err(JournalError::Corrupt {
                                position: head.position.next(),
                                problem: Problem::MissingPosition,
                            });
                        }
                        // The record at the mark must be the one the mark names: a history
                        // rewritten from some position on, links and hashes made to hold, still
                        // ends at another hash.
                        if mark.position > Position::ZERO {
                            let at_mark = read_record(&events, mark.position)?;
                            if at_mark.hash != mark.hash {
                                return Err(JournalError::Corrupt {
                                    position: mark.position,
                                    problem: Problem::HashMismatch {
                                        stored: mark.hash,
                                        computed: at_mark.hash,
                                    },
                                });
                            }
                        }
                    }
                }
                if sled_cut {
                    tracing::info!(
                        head = head.position.0,
                        "removing records sled wrote after the log's last commit that do not make \
                     a whole, checked append; a crash came before they were acknowledged"
                    );
                    blocks::remove_from(&events, head.position.next())?;
                }
                if let (Some(from), true) = (sled_from, in_use && sled_ended) {
                    // The server holds the journal: sled writes out its last commits in its own
                    // time, so its files on disk end before the log. Not damage.
                    tracing::debug!(
                        from = from.0,
                        "the copy of sled ends before the log while the server runs"
                    );
                    let put_back = put_back_from_log(
                        dir,
                        &sled_dir,
                        options,
                        (db, events, meta),
                        from,
                        head.position,
                    )?;
                    (db, events, meta) = (put_back.0, put_back.1, put_back.2);
                } else if let Some(from) = sled_from {
                    let sled_last = from.0.saturating_sub(1);
                    findings.push(Finding {
                        file: "db".into(),
                        position: Some(from.0),
                        what: if had_sled || from.0 > 1 {
                            format!(
                            "sled holds positions 1..{sled_last}{}; the journal had acknowledged \
                             {} (hash {})",
                            if sled_last > 0 { " as the log has them" } else { "" },
                            head.position,
                            head.hash
                        )
                        } else {
                            format!(
                            "sled's files are missing; the journal had acknowledged {} (hash {})",
                            head.position, head.hash
                        )
                        },
                        action: String::new(),
                        repairable: true,
                    });
                    let (new_db, new_events, new_meta, aside) = if had_sled {
                        put_back_from_log(
                            dir,
                            &sled_dir,
                            options,
                            (db, events, meta),
                            from,
                            head.position,
                        )?
                    } else {
                        // sled's files were not there: the sled just made is empty and new, and
                        // takes the log as it is.
                        restore_sled_from_log(dir, &events, Position(1), head.position)?;
                        (db, events, meta, None)
                    };
                    (db, events, meta) = (new_db, new_events, new_meta);
                    let action = match (read_only, aside) {
                        (true, _) => "the server rebuilds sled from the journal's log at its next \
                                  start (or run `impact repair`); nothing acknowledged is lost"
                            .to_string(),
                        (false, None) => {
                            "rebuilt sled from the journal's log, each record checked".to_string()
                        }
                        (false, Some(aside)) => {
                            syncer = Some(Syncer::new(dir)?);
                            format!(
                                "rebuilt sled from the journal's log, each record checked; sled's \
                             damaged files are kept in {}",
                                crate::recover::relative(dir, &aside)
                            )
                        }
                    };
                    if let Some(finding) = findings.last_mut() {
                        finding.action = action;
                    }
                }
                (index, scan, extended)
            }
        } else {
            let index =
                build_index(&events, &meta, options, each).map_err(|e| first_damage(&events, e))?;
            if format == Some(FORMAT_LOG) {
                findings.push(Finding {
                    file: LOG_DIR.into(),
                    position: None,
                    what: format!(
                        "the journal's log is missing; sled holds positions 1..{} and they check",
                        index.head.position
                    ),
                    action: if read_only {
                        "the server rewrites the log from sled at its next start (or run `impact \
                     repair`)"
                            .into()
                    } else {
                        "rewrote the log from sled".into()
                    },
                    repairable: true,
                });
            }
            let scan = if read_only {
                None
            } else {
                rewrite_log_from_sled(dir, &events, index.head, None, segment_bytes)?;
                Some(crate::log::scan(dir, &mut |_| Ok(()))?)
            };
            match scan {
                Some(scan) => (index, scan, Vec::new()),
                None => {
                    return Ok(OpenedFiles {
                        db,
                        events,
                        meta,
                        syncer,
                        index,
                        log: None,
                        findings,
                        scratch,
                    })
                }
            }
        };
    if index.head.position > Position::ZERO {
        meta.insert(META_HEAD, &head_mark_bytes(&index.head)[..])?;
    }
    meta.insert(META_FORMAT, &[FORMAT_LOG][..])?;
    let log = match &syncer {
        Some(syncer) => {
            // Whatever open wrote into sled is made durable before anything is served.
            db.flush()?;
            syncer.sync_all()?;
            sync_dir(dir)?;
            if wal_path.exists() {
                std::fs::remove_file(&wal_path)
                    .map_err(|e| JournalError::io("remove", &wal_path, e))?;
                sync_dir(dir)?;
            }
            let mut log = LogWriter::open(dir, &scan, index.head.position.next(), segment_bytes)?;
            if let Some(first) = extended.first() {
                // Records sled holds after the log's last commit: the log takes them too.
                tracing::info!(
                    from = first.at.0,
                    to = index.head.position.0,
                    "copied into the log the records of a commit that sled kept and the log \
                     had not yet made durable"
                );
                log.append(first.at, extended.iter().map(Slot::bytes))?;
            }
            Some(log)
        }
        None => None,
    };
    Ok(OpenedFiles {
        db,
        events,
        meta,
        syncer,
        index,
        log,
        findings,
        scratch,
    })
}

/// What reading the log at open found, and how sled compares with it.
struct FromLog {
    index: Index,
    scan: crate::log::LogScan,
    /// The first position where sled lacks the log's record or holds other bytes.
    sled_from: Option<Position>,
    /// sled simply ends there (it holds nothing from `sled_from` on).
    sled_ended: bool,
    /// Records sled holds after the log's last good one, each checked (hash, link, whole
    /// appends) and taken into the index: a commit whose log write a crash cut after sled had
    /// written it, or what damage to the log hides.
    extended: Vec<Slot>,
    /// sled holds records after the last one taken (a torn or damaged tail, never in the log).
    sled_cut: bool,
}

/// Builds the index from the log, every record checked (hash, position, link, then the index's
/// own rules), comparing each with sled's copy as it goes, and hands `each` every record.
fn index_from_log(
    dir: &Path,
    events: &sled::Tree,
    mut each: Option<&mut dyn FnMut(StoredRecord)>,
) -> Result<FromLog, JournalError> {
    let mut index = Index::empty();
    let mut sled_slots = Some(Slots::new(
        events,
        Layout::Blocks,
        Position(1),
        Position(u64::MAX),
    ));
    let mut sled_from: Option<Position> = None;
    let mut sled_ended = false;
    let scan = crate::log::scan(dir, &mut |record| {
        let position = record.position;
        let view = decode(record.bytes).map_err(|e| JournalError::Corrupt {
            position,
            problem: e.into(),
        })?;
        index.push(position, &view)?;
        if sled_from.is_none() {
            let same = match sled_slots.as_mut().and_then(Iterator::next) {
                Some(Ok(slot)) => slot.at == position && slot.bytes() == record.bytes,
                None => {
                    sled_ended = true;
                    false
                }
                Some(Err(_)) => false,
            };
            if !same {
                sled_from = Some(position);
                sled_slots = None;
            }
        }
        if let Some(each) = each.as_mut() {
            each(StoredRecord {
                slot: Slot::owned(position, record.bytes),
            });
        }
        Ok(())
    })?;
    let mut extended = Vec::new();
    let mut sled_cut = false;
    if let (None, Some(slots)) = (sled_from, sled_slots) {
        // sled agrees with the whole log: what it holds after is taken while each record checks
        // and the chain goes on, up to the end of the last whole append.
        let mut last = index.head;
        let mut complete = 0usize;
        for slot in slots {
            let Ok(slot) = slot else {
                sled_cut = true;
                break;
            };
            let good = decode(slot.bytes()).ok().filter(|view| {
                view.position == slot.at
                    && slot.at == last.position.next()
                    && view.prev_hash == last.hash
                    && view.recompute_hash() == view.hash
            });
            let Some(view) = good else {
                sled_cut = true;
                break;
            };
            last = Head {
                position: slot.at,
                hash: view.hash,
            };
            let ends_append = view.append_index + 1 >= view.append_len;
            extended.push(slot);
            if ends_append {
                complete = extended.len();
            }
        }
        if complete < extended.len() {
            sled_cut = true;
            extended.truncate(complete);
        }
        for slot in &extended {
            let view = decode(slot.bytes()).map_err(|e| JournalError::Corrupt {
                position: slot.at,
                problem: e.into(),
            })?;
            index.push(slot.at, &view)?;
        }
        if let Some(each) = each.as_mut() {
            for slot in &extended {
                each(StoredRecord { slot: slot.clone() });
            }
        }
    }
    Ok(FromLog {
        index,
        scan,
        sled_from,
        sled_ended,
        extended,
        sled_cut,
    })
}

/// Builds a fresh sled from the whole log, sled lacking or differing from `from` on: the old
/// files are moved aside (the folder is returned), or read-only, the private copy is started
/// afresh. What was written is read back and compared.
fn put_back_from_log(
    dir: &Path,
    sled_dir: &Path,
    options: &Options,
    opened: (sled::Db, sled::Tree, sled::Tree),
    from: Position,
    to: Position,
) -> Result<(sled::Db, sled::Tree, sled::Tree, Option<PathBuf>), JournalError> {
    let (db, events, meta) = opened;
    // sled that once read other than what was written cannot be trusted to read the same twice
    // (the fault-injection suite saw a tree patched in place lose records again): the whole of
    // it is rebuilt. A desk's journal of 10^4 events a year takes well under a second.
    tracing::info!(from = from.0, "rebuilding sled from the journal's log");
    drop(events);
    drop(meta);
    drop(db);
    // Read-only, the fresh copy goes into a new folder of the private copy: the dropped sled's
    // background threads may still write into the old one for a moment.
    let (aside, target) = if options.read_only {
        let target = sled_dir.join(format!("rebuilt-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&target).map_err(|e| JournalError::io("create", &target, e))?;
        (None, target)
    } else {
        (
            Some(crate::recover::move_sled_aside(dir)?),
            sled_dir.to_path_buf(),
        )
    };
    let db = open_sled(sled_config(&target, options))?;
    let events = db.open_tree(blocks::BLOCKS_TREE)?;
    let meta = db.open_tree(META_TREE)?;
    restore_sled_from_log(dir, &events, Position(1), to)?;
    if !sled_matches_log(dir, &events, Position(1), to)? {
        return Err(JournalError::Failed(
            "sled, rebuilt from the journal's log, does not read back what was written".into(),
        ));
    }
    Ok((db, events, meta, aside))
}

/// True when sled holds exactly the log's records `from..=to` (a server may be appending
/// after `to` while a read-only open reads).
fn sled_matches_log(
    dir: &Path,
    events: &sled::Tree,
    from: Position,
    to: Position,
) -> Result<bool, JournalError> {
    let mut slots = Slots::new(events, Layout::Blocks, from, Position(u64::MAX));
    let mut same = true;
    crate::log::scan(dir, &mut |record| {
        if record.position >= from && record.position <= to && same {
            same = matches!(
                slots.next(),
                Some(Ok(slot)) if slot.at == record.position && slot.bytes() == record.bytes
            );
        }
        Ok(())
    })?;
    Ok(same && slots.next().is_none())
}

/// Replaces sled's records from `from` on with the log's up to `to`, read and checked again.
fn restore_sled_from_log(
    dir: &Path,
    events: &sled::Tree,
    from: Position,
    to: Position,
) -> Result<(), JournalError> {
    blocks::remove_from(events, from)?;
    let mut packer = Packer::after_last(events, from)?;
    crate::log::scan(dir, &mut |record| {
        if record.position >= from && record.position <= to {
            packer.push(record.position, record.bytes)?;
        }
        Ok(())
    })?;
    packer.finish()
}

/// Writes the log anew from sled's records `1..=head`, each checked (hash and link) as it is
/// copied. An old log, if any, is moved into `aside`.
fn rewrite_log_from_sled(
    dir: &Path,
    events: &sled::Tree,
    head: Head,
    aside: Option<&Path>,
    segment_bytes: u64,
) -> Result<u64, JournalError> {
    let mut prev = ChainHash::genesis();
    let mut records = Slots::new(events, Layout::Blocks, Position(1), head.position).map(|slot| {
        let slot = slot?;
        let position = slot.at;
        let view = decode_checked(position, slot.bytes())?;
        if view.prev_hash != prev {
            return Err(JournalError::Corrupt {
                position,
                problem: Problem::BrokenLink {
                    expected: prev,
                    found: view.prev_hash,
                },
            });
        }
        prev = view.hash;
        Ok((position, slot.bytes().to_vec()))
    });
    crate::log::rewrite(dir, aside, segment_bytes, &mut records)
}

/// How long opening waits for sled's directory lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Opens sled, waiting a little for its directory lock: after the last handle of a journal
/// drops, sled's background threads let go of the lock a moment later, so a journal reopened at
/// once (a restart, a tool run right after) would otherwise fail. Another process that really
/// holds the journal still gets the error once the wait is over.
pub(crate) fn open_sled(config: sled::Config) -> Result<sled::Db, JournalError> {
    let started = std::time::Instant::now();
    loop {
        match config.open() {
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("could not acquire lock") =>
            {
                if started.elapsed() >= LOCK_WAIT {
                    return Err(JournalError::io(
                        "lock (is another process using it?)",
                        config.get_path(),
                        e,
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.map_err(JournalError::from),
        }
    }
}

fn validate_append(stream: &str, events: &[NewEvent]) -> Result<(), JournalError> {
    let bad = |reason: String| Err(JournalError::InvalidAppend(reason));
    if stream.is_empty() || stream.len() > MAX_NAME_BYTES {
        return bad(format!(
            "stream id must be 1 to {MAX_NAME_BYTES} bytes, got {}",
            stream.len()
        ));
    }
    if events.is_empty() {
        return bad("an append needs at least one event".into());
    }
    if events.len() > MAX_EVENTS_PER_APPEND {
        return bad(format!(
            "an append holds at most {MAX_EVENTS_PER_APPEND} events, got {}",
            events.len()
        ));
    }
    for (i, event) in events.iter().enumerate() {
        for (what, text) in [
            ("event type", &event.event_type),
            ("actor id", &event.actor.id),
            ("actor role", &event.actor.role),
        ] {
            if text.is_empty() || text.len() > MAX_NAME_BYTES {
                return bad(format!(
                    "event {i}: {what} must be 1 to {MAX_NAME_BYTES} bytes, got {}",
                    text.len()
                ));
            }
        }
        if event.payload.len() > MAX_PAYLOAD_BYTES {
            return bad(format!(
                "event {i}: payload is {} bytes, the limit is {MAX_PAYLOAD_BYTES}",
                event.payload.len()
            ));
        }
        if events[..i].iter().any(|e| e.id == event.id) {
            return bad(format!(
                "event {i}: id {} appears twice in the append",
                event.id
            ));
        }
    }
    Ok(())
}

fn read_record(events: &sled::Tree, position: Position) -> Result<RecordedEvent, JournalError> {
    match blocks::get(events, Layout::Blocks, position)? {
        Some(slot) => decode_slot(&slot),
        None => Err(JournalError::Corrupt {
            position,
            problem: Problem::MissingPosition,
        }),
    }
}

/// Decodes the record stored at `position` and checks that its hash recomputes.
fn decode_checked(
    position: Position,
    bytes: &[u8],
) -> Result<crate::record::RecordView<'_>, JournalError> {
    let view = decode(bytes).map_err(|e| JournalError::Corrupt {
        position,
        problem: e.into(),
    })?;
    let computed = view.recompute_hash();
    if computed != view.hash {
        return Err(JournalError::Corrupt {
            position,
            problem: Problem::HashMismatch {
                stored: view.hash,
                computed,
            },
        });
    }
    Ok(view)
}

/// Decodes a stored record, checking that it is stored at its own position.
fn decode_slot(slot: &Slot) -> Result<RecordedEvent, JournalError> {
    let position = slot.at;
    let view = decode(slot.bytes()).map_err(|e| JournalError::Corrupt {
        position,
        problem: e.into(),
    })?;
    if view.position != position {
        return Err(JournalError::Corrupt {
            position,
            problem: Problem::Misplaced {
                found: view.position.0,
            },
        });
    }
    Ok(view.to_owned())
}

/// The format byte `meta.format` holds: 1 (one record per key), 2 (blocks, no log), 3 (blocks
/// and the journal's log); None for a new (or wiped) sled.
pub(crate) fn read_format_byte(meta: &sled::Tree) -> Result<Option<u8>, JournalError> {
    match meta.get(META_FORMAT)?.as_deref() {
        None => Ok(None),
        Some([format])
            if [blocks::FORMAT_RECORDS, blocks::FORMAT_BLOCKS, FORMAT_LOG].contains(format) =>
        {
            Ok(Some(*format))
        }
        Some(other) => Err(JournalError::UnsupportedFormat(
            other.first().copied().unwrap_or(0),
        )),
    }
}

/// How many bytes of records the move into blocks copies between two flushes of sled.
const MIGRATE_FLUSH_BYTES: usize = 32 * 1024 * 1024;

/// Moves a format-1 journal (one record per key in tree `events`) into blocks. Safe to stop at
/// any point: the blocks are written and made durable before `meta.format` says 2, and the old
/// tree is dropped only after that (or at the next open, if this one stops in between). Damage
/// is carried over as it is (a missing position stays missing) for the scan to find.
fn migrate_to_blocks(
    db: &sled::Db,
    blocks_tree: &sled::Tree,
    meta: &sled::Tree,
    syncer: Option<&Syncer>,
) -> Result<(), JournalError> {
    let sync = || syncer.map_or(Ok(()), Syncer::sync_all);
    let records = db.open_tree(blocks::RECORDS_TREE_V1)?;
    // (`Tree::len` would read every key once more.)
    let head = read_head_mark(meta)
        .ok()
        .flatten()
        .map_or(0, |mark| mark.position.0);
    tracing::info!(
        head,
        "moving the journal's records into blocks (format 1 to 2)"
    );
    blocks_tree.clear()?;
    let mut packer = Packer::new(blocks_tree);
    // sled holds what it has not written out in memory: the move flushes as it goes (and
    // `Slots` lets sled's cache evict what it has read). A million records: 12.3 s
    // (`docs/BENCHMARKS.md`).
    let mut unflushed = 0usize;
    for slot in Slots::new(
        &records,
        Layout::Records,
        Position::ZERO,
        Position(u64::MAX),
    ) {
        let slot = slot?;
        packer.push(slot.at, slot.bytes())?;
        unflushed += slot.bytes().len();
        if unflushed >= MIGRATE_FLUSH_BYTES {
            db.flush()?;
            unflushed = 0;
        }
    }
    packer.finish()?;
    db.flush()?;
    sync()?;
    meta.insert(META_FORMAT, &[blocks::FORMAT_BLOCKS][..])?;
    db.flush()?;
    sync()?;
    drop_records_tree(db)
}

/// Drops the format-1 tree, emptied key by key first: `drop_tree` alone loads every page of the
/// tree and keeps them: the open that moved a million records peaked at 885 MiB with it, against
/// 255 MiB this way (159 MiB at the end of the move itself).
fn drop_records_tree(db: &sled::Db) -> Result<(), JournalError> {
    db.open_tree(blocks::RECORDS_TREE_V1)?.clear()?;
    db.drop_tree(blocks::RECORDS_TREE_V1)?;
    Ok(())
}

pub(crate) fn read_head_mark(meta: &sled::Tree) -> Result<Option<Head>, JournalError> {
    let Some(bytes) = meta.get(META_HEAD)? else {
        return Ok(None);
    };
    let corrupt = || JournalError::Corrupt {
        position: Position::ZERO,
        problem: Problem::Undecodable {
            reason: "the recorded head is not 40 bytes".into(),
        },
    };
    if bytes.len() != 40 {
        return Err(corrupt());
    }
    let mut position = [0u8; 8];
    position.copy_from_slice(&bytes[..8]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&bytes[8..]);
    Ok(Some(Head {
        position: Position(u64::from_be_bytes(position)),
        hash: ChainHash(hash),
    }))
}

fn head_mark_bytes(head: &Head) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&head.position.0.to_be_bytes());
    out[8..].copy_from_slice(&head.hash.0);
    out
}

/// Scans the events tree: checks structure and links, repairs a half-written tail append, and
/// builds the in-memory indexes. Hands `each` the records of complete appends as it goes
/// (`Journal::open_and_read`).
fn build_index(
    events: &sled::Tree,
    meta: &sled::Tree,
    options: &Options,
    mut each: Option<&mut dyn FnMut(StoredRecord)>,
) -> Result<Index, JournalError> {
    let mut index = Index::empty();
    // Sizing the id index once for the recorded head spares the scan its doublings, whose old
    // and new tables are briefly both alive: about a third of the index at the peak. Only a hint:
    // the mark is checked after the scan, and a failed reservation leaves the map to grow.
    if let Some(mark) = read_head_mark(meta).ok().flatten() {
        let hint = usize::try_from(mark.position.0.min(u64::from(u32::MAX))).unwrap_or(0);
        let _ = index.ids.try_reserve(hint);
    }
    // The start position and length of the last append seen, to find a torn tail.
    let mut last_append: Option<(u64, u16, u16)> = None;
    // The records of the append being read, handed to `each` once its last one is read.
    let mut pending: Vec<StoredRecord> = Vec::new();
    for slot in Slots::new(events, Layout::Blocks, Position(1), Position(u64::MAX)) {
        let slot = slot?;
        let position = slot.at;
        let view = decode(slot.bytes()).map_err(|e| JournalError::Corrupt {
            position,
            problem: e.into(),
        })?;
        last_append = Some(index.push(position, &view)?);
        if let Some(each) = each.as_mut() {
            let complete = view.append_index + 1 >= view.append_len;
            if view.append_index == 0 && view.append_len == 1 && pending.is_empty() {
                each(StoredRecord { slot });
            } else {
                pending.push(StoredRecord { slot });
                if complete {
                    pending.drain(..).for_each(&mut **each);
                }
            }
        }
    }

    let mark = read_head_mark(meta)?;
    if let Some((start, append_index, append_len)) = last_append {
        if append_index + 1 < append_len {
            // The last append is incomplete: a crash cut it. It was never acknowledged (an
            // acknowledgement follows the flush of the whole append), so it is removed.
            if let Some(mark) = mark {
                if mark.position.0 >= start {
                    return Err(JournalError::Corrupt {
                        position: Position(start),
                        problem: Problem::IncompleteAppend { len: append_len },
                    });
                }
            }
            tracing::warn!(
                first = start,
                last = index.head.position.0,
                "removing an append that a crash left half-written; it was never acknowledged"
            );
            if let Some(each) = each {
                // Records before the torn append stay (a torn append before an earlier one is
                // read like any other, as `iter_forward` reads it).
                pending
                    .drain(..)
                    .filter(|r| r.position().0 < start)
                    .for_each(each);
            }
            index = drop_tail(events, meta, options, start)?;
            return Ok(index);
        }
    }
    if let Some(mark) = mark {
        if mark.position > index.head.position {
            return Err(JournalError::Corrupt {
                position: index.head.position.next(),
                problem: Problem::MissingPosition,
            });
        }
        let at_mark = read_record(events, mark.position)?;
        if at_mark.hash != mark.hash {
            return Err(JournalError::Corrupt {
                position: mark.position,
                problem: Problem::HashMismatch {
                    stored: mark.hash,
                    computed: at_mark.hash,
                },
            });
        }
    }
    check_tail_hashes(events, &index, options.tail_check_events)?;
    Ok(index)
}

/// The scan at open checks links but recomputes only the tail's hashes, so damage to one record
/// can first show at a later one (a changed stored hash breaks the next link, a changed
/// `recorded_at` makes the next record go back in time). On that error path only, name the first
/// record before the reported position whose hash does not recompute, as `verify` would.
fn first_damage(events: &sled::Tree, error: JournalError) -> JournalError {
    let JournalError::Corrupt { position, .. } = &error else {
        return error;
    };
    let before = Position(position.0.saturating_sub(1));
    for slot in Slots::new(events, Layout::Blocks, Position(1), before) {
        let Ok(slot) = slot else { break };
        let at = slot.at;
        let Ok(view) = decode(slot.bytes()) else {
            break;
        };
        let computed = view.recompute_hash();
        if computed != view.hash {
            return JournalError::Corrupt {
                position: at,
                problem: Problem::HashMismatch {
                    stored: view.hash,
                    computed,
                },
            };
        }
    }
    error
}

/// Removes records from `start` on and rebuilds the index from what is left.
fn drop_tail(
    events: &sled::Tree,
    meta: &sled::Tree,
    options: &Options,
    start: u64,
) -> Result<Index, JournalError> {
    blocks::remove_from(events, Position(start))?;
    build_index(events, meta, options, None)
}

fn check_tail_hashes(events: &sled::Tree, index: &Index, count: u64) -> Result<(), JournalError> {
    let last = index.head.position.0;
    if last == 0 || count == 0 {
        return Ok(());
    }
    let first = last.saturating_sub(count - 1).max(1);
    for slot in Slots::new(events, Layout::Blocks, Position(first), Position(last)) {
        let slot = slot?;
        decode_checked(slot.at, slot.bytes())?;
    }
    Ok(())
}

/// Makes sled's files durable: sled 0.34's flush ends with `sync_file_range`, which neither
/// flushes the disk's cache nor the file's metadata, so after each flush we `fdatasync` the log
/// file ourselves (docs/adr/0001-durability.md).
pub(crate) struct Syncer {
    dir: PathBuf,
    log: File,
}

impl Syncer {
    fn new(dir: &Path) -> Result<Syncer, JournalError> {
        let path = dir.join("db");
        let log = File::open(&path).map_err(|e| JournalError::io("open", &path, e))?;
        Ok(Syncer {
            dir: dir.to_path_buf(),
            log,
        })
    }

    fn sync_log(&self) -> Result<(), JournalError> {
        self.log
            .sync_data()
            .map_err(|e| JournalError::io("fsync", self.dir.join("db"), e))
    }

    /// Everything sled may have written: the log, the config, any blob files and the directories.
    fn sync_all(&self) -> Result<(), JournalError> {
        self.sync_log()?;
        let conf = self.dir.join("conf");
        if let Ok(file) = File::open(&conf) {
            file.sync_all()
                .map_err(|e| JournalError::io("fsync", &conf, e))?;
        }
        let blobs = self.dir.join("blobs");
        if let Ok(entries) = std::fs::read_dir(&blobs) {
            for entry in entries.flatten() {
                let path = entry.path();
                let file = File::open(&path).map_err(|e| JournalError::io("open", &path, e))?;
                file.sync_all()
                    .map_err(|e| JournalError::io("fsync", &path, e))?;
            }
            sync_dir(&blobs)?;
        }
        Ok(())
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    let handle = File::open(dir).map_err(|e| JournalError::io("open", dir, e))?;
    handle
        .sync_all()
        .map_err(|e| JournalError::io("fsync", dir, e))
}

/// Where an id was seen while deciding a batch: already acknowledged, or earlier in this batch.
enum Seen<'a> {
    Stored(u64),
    Pending(&'a RecordedEvent),
}

/// How long the writer waits for one more request when fewer have come than in the last batch.
/// Far below the cost of a commit (an `fdatasync` is about 100 µs here); never waited for by a
/// lone appender, whose batches hold one request.
const COMMIT_DELAY: std::time::Duration = std::time::Duration::from_micros(50);

fn writer_loop(
    shared: Arc<Shared>,
    rx: mpsc::Receiver<Job>,
    head_tx: watch::Sender<Head>,
    syncer: Option<Syncer>,
    log: Option<LogWriter>,
    options: Options,
) {
    let mut disk = Disk { syncer, log };
    // Requests in the last batch: while appenders keep that many in flight, wait a moment for
    // the stragglers of the next batch instead of committing a small one (a commit delay).
    let mut last_batch = 0usize;
    while let Ok(job) = rx.recv() {
        let first = match job {
            Job::Append(first) => first,
            Job::Import(import) => {
                write_import(&shared, &head_tx, &mut disk, import);
                continue;
            }
        };
        let mut count = first.events.len();
        let mut batch = vec![first];
        let mut import = None;
        while count < options.max_batch_events {
            match rx.try_recv() {
                Ok(Job::Append(request)) => {
                    count += request.events.len();
                    batch.push(request);
                }
                Ok(Job::Import(request)) => {
                    import = Some(request);
                    break;
                }
                Err(mpsc::TryRecvError::Empty) if batch.len() < last_batch => {
                    match rx.recv_timeout(COMMIT_DELAY) {
                        Ok(Job::Append(request)) => {
                            count += request.events.len();
                            batch.push(request);
                        }
                        Ok(Job::Import(request)) => {
                            import = Some(request);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                Err(_) => break,
            }
        }
        last_batch = batch.len();
        write_batch(&shared, &head_tx, &mut disk, &options, batch);
        if let Some(import) = import {
            write_import(&shared, &head_tx, &mut disk, import);
        }
    }
    checkpoint(&shared, &mut disk);
    tracing::debug!("journal writer stopped");
}

/// Where the writer makes a commit durable: the journal's log (one write and one `fdatasync`
/// per commit), and sled's files, made durable on their own when a log segment fills and when
/// the journal closes. Both are absent when the journal is read-only.
struct Disk {
    syncer: Option<Syncer>,
    log: Option<LogWriter>,
}

impl Disk {
    /// Writes a commit's records to the log and makes them durable.
    fn append(&mut self, first: Position, frames: &[Vec<u8>]) -> Result<(), JournalError> {
        match self.log.as_mut() {
            Some(log) => log.append(first, frames.iter().map(Vec::as_slice)),
            None => Err(JournalError::ReadOnly),
        }
    }

    /// True when the last append started a new segment of the log.
    fn rolled(&self) -> bool {
        self.log.as_ref().is_some_and(LogWriter::rolled)
    }
}

/// Makes sled durable on its own (flush, then fsync its files), so that an open after a crash
/// has little to restore into it from the log.
fn make_sled_durable(shared: &Shared, disk: &Disk) -> Result<(), JournalError> {
    shared.db.flush()?;
    match &disk.syncer {
        Some(syncer) => syncer.sync_all(),
        None => Ok(()),
    }
}

/// A checkpoint when the writer stops. A failure poisons the journal, as a failed append would.
fn checkpoint(shared: &Shared, disk: &mut Disk) {
    if disk.log.is_none() || shared.failed_flag.load(Ordering::Acquire) {
        return;
    }
    if let Err(error) = make_sled_durable(shared, disk) {
        shared.poison("journal checkpoint", &error);
    }
}

/// Checks that `records` continue the chain at the head, then writes them like a group commit.
fn write_import(
    shared: &Shared,
    head_tx: &watch::Sender<Head>,
    disk: &mut Disk,
    import: ImportRequest,
) {
    let result = import_records(shared, head_tx, disk, &import.records);
    let _ = import.reply.send(result);
}

fn import_records(
    shared: &Shared,
    head_tx: &watch::Sender<Head>,
    disk: &mut Disk,
    records: &[RecordedEvent],
) -> Result<Head, JournalError> {
    if let Some(error) = shared.poisoned() {
        return Err(error);
    }
    let (mut head, mut last_recorded_at) = {
        let index = shared.index.read();
        (index.head, index.last_recorded_at)
    };
    let mut versions: HashMap<&str, u64> = HashMap::new();
    let mut ids: std::collections::HashSet<u128> = std::collections::HashSet::new();
    let mut frames = Vec::with_capacity(records.len());
    // The append the last record left open: its stream, that record's index and the length.
    let mut append: Option<(&str, u16, u16)> = None;
    {
        let index = shared.index.read();
        for record in records {
            let misfit = |why: String| {
                Err(JournalError::InvalidAppend(format!(
                    "record at position {}: {why}",
                    record.position
                )))
            };
            if record.position != head.position.next() {
                return misfit(format!("the journal continues at {}", head.position.next()));
            }
            if record.prev_hash != head.hash {
                return misfit("its previous hash is not the journal's head".into());
            }
            let body = record.body_bytes();
            if chain_hash(&record.prev_hash, &body) != record.hash {
                return misfit("its hash does not match its bytes".into());
            }
            // Appends stay whole: each record continues the append before it or starts one at
            // an append's end (the journal's head always is one).
            let (at, len) = (record.append_index, record.append_len);
            if at >= len {
                return misfit(format!(
                    "it says it is event {at} of an append of {len} (counting from 0)"
                ));
            }
            let continues = match (at, append) {
                (0, None) => true,
                (0, Some(_)) => false,
                (i, Some((stream, last_index, last_len))) => {
                    stream == record.stream && last_index + 1 == i && last_len == len
                }
                (_, None) => false,
            };
            if !continues {
                return misfit(format!(
                    "event {at} of an append of {len} does not follow the events of its append"
                ));
            }
            append = (at + 1 < len).then_some((record.stream.as_str(), at, len));
            let current = match versions.get(record.stream.as_str()) {
                Some(&v) => v,
                None => index.stream_version(&record.stream),
            };
            if record.version != current + 1 {
                return misfit(format!(
                    "stream {} is at version {current}, the record says {}",
                    record.stream, record.version
                ));
            }
            if index.ids.contains_key(&record.id.0) || !ids.insert(record.id.0) {
                return misfit(format!("event id {} is already recorded", record.id));
            }
            if record.recorded_at < last_recorded_at {
                return misfit("recorded_at goes back in time".into());
            }
            versions.insert(&record.stream, record.version);
            last_recorded_at = record.recorded_at;
            head = Head {
                position: record.position,
                hash: record.hash,
            };
            let mut value = body;
            value.extend_from_slice(&record.hash.0);
            frames.push(value);
        }
    }
    if let (Some((_, last_index, len)), Some(last)) = (append, records.last()) {
        return Err(JournalError::InvalidAppend(format!(
            "record at position {}: the records end inside an append (event {last_index} of {len}); import up to the end of that append",
            last.position
        )));
    }
    if frames.is_empty() {
        return Ok(head);
    }
    let written = (|| {
        blocks::write(&shared.blocks, records[0].position, &frames)?;
        shared.meta.insert(META_HEAD, &head_mark_bytes(&head)[..])?;
        disk.append(records[0].position, &frames)?;
        if disk.rolled() {
            make_sled_durable(shared, disk)?;
        }
        Ok(())
    })();
    if let Err(error) = written {
        return Err(shared.poison("journal import", &error));
    }
    {
        let mut index = shared.index.write();
        for record in records {
            index
                .streams
                .entry(record.stream.as_str().into())
                .or_default()
                .push(record.position.0);
            index.ids.insert(record.id.0, record.position.0);
            index.tree.push(crate::tree::leaf(&record.hash));
        }
        index.head = head;
        index.last_recorded_at = last_recorded_at;
    }
    head_tx.send_replace(head);
    Ok(head)
}

/// Puts back into sled every acknowledged record of the write-ahead file that sled lost in a
/// crash. A frame that disagrees with what sled holds at its position, or that does not link to
/// the record before it, is damage, not a crash.
fn replay_wal(events: &sled::Tree, frames: &[Vec<u8>]) -> Result<usize, JournalError> {
    let mut restored = 0;
    for frame in frames {
        let view = decode(frame).map_err(|e| JournalError::Corrupt {
            position: Position::ZERO,
            problem: e.into(),
        })?;
        let position = view.position;
        match blocks::get(events, Layout::Blocks, position)? {
            Some(stored) if stored.bytes() == frame.as_slice() => continue,
            Some(stored) => {
                let stored_hash = decode(stored.bytes())
                    .map(|v| v.hash)
                    .unwrap_or(ChainHash([0; 32]));
                return Err(JournalError::Corrupt {
                    position,
                    problem: Problem::HashMismatch {
                        stored: stored_hash,
                        computed: view.hash,
                    },
                });
            }
            None => {
                let prev = if position.0 == 1 {
                    ChainHash::genesis()
                } else {
                    let before = Position(position.0 - 1);
                    let missing = || JournalError::Corrupt {
                        position: before,
                        problem: Problem::MissingPosition,
                    };
                    let stored =
                        blocks::get(events, Layout::Blocks, before)?.ok_or_else(missing)?;
                    decode(stored.bytes()).map_err(|_| missing())?.hash
                };
                if view.prev_hash != prev {
                    return Err(JournalError::Corrupt {
                        position,
                        problem: Problem::BrokenLink {
                            expected: prev,
                            found: view.prev_hash,
                        },
                    });
                }
                blocks::write(events, position, [frame])?;
                restored += 1;
            }
        }
    }
    Ok(restored)
}

/// From how many records a group commit writes the write-ahead file on a second thread while it
/// inserts into sled; below it, starting the thread costs more than the overlap saves.
const OVERLAP_FROM_EVENTS: usize = 8;

/// Why a commit must wait for space: the filesystem of `dir` has less than `reserve` bytes free.
fn short_of_space(dir: &Path, reserve: u64) -> Option<String> {
    if reserve == 0 {
        return None;
    }
    let free = free_bytes(dir)?;
    (free < reserve).then(|| {
        format!("{free} bytes free on the journal's disk, under the {reserve} kept in reserve")
    })
}

/// Bytes available to this process on the filesystem of `dir`; `None` if it cannot be told
/// (the commit then goes ahead, and a real lack of space is caught when it is written).
fn free_bytes(dir: &Path) -> Option<u64> {
    fs2::available_space(dir).ok()
}

fn write_batch(
    shared: &Shared,
    head_tx: &watch::Sender<Head>,
    disk: &mut Disk,
    options: &Options,
    batch: Vec<Request>,
) {
    if shared.poisoned().is_some() {
        for request in batch {
            let error = shared.poisoned().unwrap_or(JournalError::Closed);
            let _ = request.reply.send(Err(error));
        }
        return;
    }
    if let Some(reason) = short_of_space(&shared.dir, options.disk_reserve_bytes) {
        // Nothing written: refused, not poisoned; appends resume once space is freed.
        tracing::error!(%reason, "a commit was refused: the disk is full");
        for request in batch {
            let _ = request
                .reply
                .send(Err(JournalError::DiskFull(reason.clone())));
        }
        return;
    }
    // Only this thread changes the index, so what it reads now stays true until it publishes.
    let (mut head, last_recorded_at) = {
        let index = shared.index.read();
        (index.head, index.last_recorded_at)
    };
    let recorded_at = (options.clock)().max(last_recorded_at);
    let mut pending_versions: HashMap<String, u64> = HashMap::new();
    let mut pending_ids: HashMap<u128, (usize, usize)> = HashMap::new();
    let mut written: Vec<Vec<RecordedEvent>> = Vec::with_capacity(batch.len());
    let mut outcomes: Vec<Option<Result<Appended, Rejected>>> = Vec::with_capacity(batch.len());
    let mut io_error: Option<JournalError> = None;
    // The stored bytes of every record of the batch (for sled and the write-ahead file), and
    // their positions.
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let first = head.position.next();

    for (request_no, request) in batch.iter().enumerate() {
        written.push(Vec::new());
        if io_error.is_some() {
            outcomes.push(None);
            continue;
        }
        // Idempotency by event id.
        let seen: Vec<Option<Seen<'_>>> = {
            let index = shared.index.read();
            request
                .events
                .iter()
                .map(|e| {
                    if let Some(&(r, i)) = pending_ids.get(&e.id.0) {
                        Some(Seen::Pending(&written[r][i]))
                    } else {
                        index.ids.get(&e.id.0).map(|&p| Seen::Stored(p))
                    }
                })
                .collect()
        };
        if seen.iter().any(Option::is_some) {
            outcomes.push(Some(match resolve_repeat(shared, request, seen) {
                Ok(outcome) => outcome,
                Err(e) => {
                    io_error = Some(e);
                    outcomes.pop();
                    outcomes.push(None);
                    continue;
                }
            }));
            continue;
        }
        // Optimistic concurrency.
        let actual = match pending_versions.get(&request.stream) {
            Some(&v) => v,
            None => shared.index.read().stream_version(&request.stream),
        };
        let ok = match request.expected {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::Exactly(n) => actual == n,
        };
        if !ok {
            outcomes.push(Some(Err(Rejected::Conflict(Conflict {
                stream: request.stream.clone(),
                expected: request.expected,
                actual,
            }))));
            continue;
        }
        // Encode, hash, insert.
        let append_len = u16::try_from(request.events.len()).unwrap_or(u16::MAX);
        let mut recorded = Vec::with_capacity(request.events.len());
        for (i, event) in request.events.iter().enumerate() {
            let position = head.position.next();
            let version = actual + u64::try_from(i).unwrap_or(u64::MAX) + 1;
            let append_index = u16::try_from(i).unwrap_or(u16::MAX);
            let body = encode_body(&BodyFields {
                position,
                id: event.id,
                version,
                occurred_at: event.occurred_at,
                recorded_at,
                schema_version: event.schema_version,
                append_index,
                append_len,
                stream: &request.stream,
                event_type: &event.event_type,
                actor_id: &event.actor.id,
                actor_role: &event.actor.role,
                payload: &event.payload,
                prev_hash: &head.hash,
            });
            let hash = chain_hash(&head.hash, &body);
            let mut value = body;
            value.extend_from_slice(&hash.0);
            frames.push(value);
            recorded.push(RecordedEvent {
                id: event.id,
                position,
                stream: request.stream.clone(),
                version,
                event_type: event.event_type.clone(),
                schema_version: event.schema_version,
                occurred_at: event.occurred_at,
                recorded_at,
                actor: event.actor.clone(),
                payload: event.payload.clone(),
                append_index,
                append_len,
                prev_hash: head.hash,
                hash,
            });
            head = Head { position, hash };
        }
        if io_error.is_some() {
            outcomes.push(None);
            continue;
        }
        for (i, event) in recorded.iter().enumerate() {
            pending_ids.insert(event.id.0, (request_no, i));
        }
        pending_versions.insert(request.stream.clone(), actual + u64::from(append_len));
        outcomes.push(Some(Ok(Appended {
            events: recorded.clone(),
            already_recorded: false,
        })));
        written[request_no] = recorded;
    }

    let wrote_any = written.iter().any(|w| !w.is_empty());
    if io_error.is_none() && wrote_any {
        let insert = || -> Result<(), JournalError> {
            blocks::write(&shared.blocks, first, &frames)?;
            shared.meta.insert(META_HEAD, &head_mark_bytes(&head)[..])?;
            Ok(())
        };
        let (inserted, appended) = if frames.len() >= OVERLAP_FROM_EVENTS {
            // The log's write and fdatasync run on a second thread while this one inserts into
            // sled: both must be done before anything is acknowledged.
            std::thread::scope(|scope| {
                let to_log = scope.spawn(|| disk.append(first, &frames));
                let inserted = insert();
                let appended = to_log.join().unwrap_or_else(|_| {
                    Err(JournalError::Failed(
                        "the log's writing thread panicked".into(),
                    ))
                });
                (inserted, appended)
            })
        } else {
            let inserted = insert();
            let appended = match inserted {
                Ok(()) => disk.append(first, &frames),
                Err(_) => Ok(()),
            };
            (inserted, appended)
        };
        let durable = inserted.and(appended).and_then(|()| {
            if disk.rolled() {
                // A new segment: sled is made durable on its own as well.
                make_sled_durable(shared, disk)
            } else {
                Ok(())
            }
        });
        if let Err(e) = durable {
            io_error = Some(e);
        }
    }
    if let Some(error) = io_error {
        shared.poison("journal write", &error);
        for request in batch {
            let error = shared.poisoned().unwrap_or(JournalError::Closed);
            let _ = request.reply.send(Err(error));
        }
        return;
    }

    if wrote_any {
        let mut index = shared.index.write();
        for recorded in &written {
            for event in recorded {
                index
                    .streams
                    .entry(event.stream.as_str().into())
                    .or_default()
                    .push(event.position.0);
                index.ids.insert(event.id.0, event.position.0);
                index.tree.push(crate::tree::leaf(&event.hash));
            }
        }
        index.head = head;
        index.last_recorded_at = recorded_at;
        drop(index);
        head_tx.send_replace(head);
    }
    for (request, outcome) in batch.into_iter().zip(outcomes) {
        let reply = outcome.map(Ok).unwrap_or(Err(JournalError::Closed));
        let _ = request.reply.send(reply);
    }
}

/// An append whose ids were (some or all) seen before: the same content gives the original
/// records back, anything else is `IdReused`.
fn resolve_repeat(
    shared: &Shared,
    request: &Request,
    seen: Vec<Option<Seen<'_>>>,
) -> Result<Result<Appended, Rejected>, JournalError> {
    let mut originals = Vec::with_capacity(seen.len());
    for (event, seen) in request.events.iter().zip(seen) {
        let original = match seen {
            None => {
                // Some ids are new and some not: not a retry of one append.
                let other = request
                    .events
                    .iter()
                    .find(|e| shared.index.read().ids.contains_key(&e.id.0));
                let (id, position) = match other {
                    Some(e) => (e.id, shared.index.read().ids.get(&e.id.0).copied()),
                    None => (event.id, None),
                };
                return Ok(Err(Rejected::IdReused(IdReused {
                    id,
                    position: Position(position.unwrap_or(0)),
                })));
            }
            Some(Seen::Stored(position)) => read_record(&shared.blocks, Position(position))?,
            Some(Seen::Pending(recorded)) => recorded.clone(),
        };
        if !original.same_content(&request.stream, event) {
            return Ok(Err(Rejected::IdReused(IdReused {
                id: event.id,
                position: original.position,
            })));
        }
        originals.push(original);
    }
    Ok(Ok(Appended {
        events: originals,
        already_recorded: true,
    }))
}
