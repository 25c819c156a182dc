//! The journal's handle: its public types, the in-memory index, appends handed to the writer,
//! and reads. Beside it: `open.rs` (opening, sled and the log compared and repaired),
//! `scan.rs` (the scan of sled when there is no log), `upgrade.rs` (moving older formats),
//! `writer.rs` (the writer thread: group commit, and the sled sync), `import.rs` (records taken
//! as they are).
//!
//! Layout in sled (see `docs/adr/0002-storage-layout.md` and `docs/adr/0006-record-blocks.md`):
//! - tree `blocks`: the stored records (body ‖ hash), packed in position order into blocks of
//!   about 4 KiB, key = the block's first position (`blocks.rs`). A group commit writes each
//!   block it touches with one plain insert, the last block again as it grows.
//! - tree `meta`: `format` = [3] (blocks and the journal's log; [2]: blocks alone); `head` =
//!   position (u64 BE) ‖ hash, written once per group commit, so that a removed tail is noticed.
//!   A format-1 journal (one record per key in tree `events`) is moved into blocks when it is
//!   opened.
//!
//! The stream index (stream → positions) and the id index (event id → position) live in memory
//! and are rebuilt by the scan that opening does anyway to check the chain's links.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use tokio::sync::{oneshot, watch};
use ulid::Ulid;

use crate::blocks::{self, Layout, Slot, Slots};
use crate::error::{JournalError, Problem};
use crate::log::LOG_DIR;
use crate::record::{decode, ChainHash, NewEvent, Position, RecordedEvent, Timestamp};
use crate::recover::Finding;
use crate::subscribe::Subscription;
use crate::AppendResult;

mod import;
mod open;
mod scan;
mod upgrade;
mod writer;

use open::{open_files, OpenedFiles};
pub(crate) use open::{open_sled, read_head_mark};
pub(crate) use writer::sync_dir;
use writer::{validate_append, writer_loop, ImportRequest, Job, Request, Writer};

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
    /// Indexes a record the writer has just made durable (checked before it was written).
    fn add_acknowledged(&mut self, record: &RecordedEvent) {
        self.streams
            .entry(record.stream.as_str().into())
            .or_default()
            .push(record.position.0);
        self.ids.insert(record.id.0, record.position.0);
        self.tree.push(crate::tree::leaf(&record.hash));
    }

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

fn read_record(events: &sled::Tree, position: Position) -> Result<RecordedEvent, JournalError> {
    match blocks::get(events, Layout::Blocks, position)? {
        Some(slot) => decode_slot(&slot),
        None => Err(JournalError::Corrupt {
            position,
            problem: Problem::MissingPosition,
        }),
    }
}

/// Checks that the record at the recorded head mark is the one the mark names (its hash).
fn check_at_mark(events: &sled::Tree, mark: &Head) -> Result<(), JournalError> {
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
    Ok(())
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

fn head_mark_bytes(head: &Head) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&head.position.0.to_be_bytes());
    out[8..].copy_from_slice(&head.hash.0);
    out
}
