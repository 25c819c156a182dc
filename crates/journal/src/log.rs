//! The journal's own log: every acknowledged record, in append-only segment files that the
//! journal writes itself, beside sled (`docs/adr/0007-the-journal-log.md`).
//!
//! `<dir>/log/<first position, 20 digits>.seg` holds frames (`u32` big-endian length ‖ the
//! stored record, which carries its position, its previous hash and its own blake3 hash) from
//! its first position on, back to back, then zeros. A segment is created at its full size,
//! filled with zeros and synced, and written in place, so that the `fdatasync` of each group
//! commit has no size or block allocation to commit. When a commit does not fit in what is left
//! of a segment, it starts the next one. Nothing is ever removed: the log is the whole history,
//! the source of truth from which sled can always be rebuilt, and the anchor of the head (the
//! last frame of the last segment is the last acknowledged commit).
//!
//! Reading back checks every frame: whole, hashing right, at the position after the one before
//! and linked to it. A zero length ends a segment; after it there must be only zeros. In the
//! last segment a bad frame (or stray bytes) after which no valid frame follows is the torn end
//! of a commit a crash interrupted (never acknowledged); a bad frame followed by a valid frame
//! is damage, never an end: a torn write cannot leave a later commit behind it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::JournalError;
use crate::record::{decode, ChainHash, Position, FORMAT_V1, FORMAT_V2};
use crate::store::Head;

/// The log's folder inside the journal directory.
pub(crate) const LOG_DIR: &str = "log";
/// Largest frame accepted when reading back: a record is far smaller (64 KiB payload at most).
const MAX_FRAME: usize = 1024 * 1024;
/// The smallest record: the fixed fields of the body and the hash.
const MIN_FRAME: usize = 1 + 8 + 16 + 8 + 8 + 8 + 2 + 2 + 2 + 2 * 4 + 4 + 32 + 32;

/// Where a segment of the log is, and what it holds.
#[derive(Clone, Debug)]
pub(crate) struct Segment {
    pub path: PathBuf,
    /// The offset after its last whole frame.
    pub end: u64,
    /// The file's size.
    pub size: u64,
}

/// Something wrong in the log, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogDamage {
    pub file: PathBuf,
    pub offset: u64,
    /// The position expected where the damage is.
    pub position: Position,
    pub what: String,
}

impl std::fmt::Display for LogDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at byte {} (position {}): {}",
            self.file.display(),
            self.offset,
            self.position,
            self.what
        )
    }
}

/// What reading the log found.
#[derive(Debug)]
pub(crate) struct LogScan {
    pub segments: Vec<Segment>,
    /// The last record of the last complete append read before any damage.
    pub head: Head,
    /// The first damage, if any: records from there on were not read.
    pub damage: Option<LogDamage>,
    /// A torn end in the last segment: the offset of the first byte that is not part of a whole
    /// append, when stray bytes (a commit a crash cut) lie there.
    pub torn_from: Option<u64>,
    /// Records read and checked.
    pub checked: u64,
}

/// One record read from the log.
pub(crate) struct LogRecord<'a> {
    pub position: Position,
    pub bytes: &'a [u8],
}

fn segment_name(first: Position) -> String {
    format!("{:020}.seg", first.0)
}

/// The segment files of `dir`'s log in position order (none when there is no log).
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(Position, PathBuf)>, JournalError> {
    let log = dir.join(LOG_DIR);
    let entries = match std::fs::read_dir(&log) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(JournalError::io("list", &log, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io("list", &log, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".seg") else {
            continue;
        };
        if let Ok(first) = stem.parse::<u64>() {
            out.push((Position(first), entry.path()));
        }
    }
    out.sort_by_key(|(first, _)| *first);
    Ok(out)
}

/// Reads and checks the whole log of `dir`, handing `each` every record of a complete append
/// before any damage, in position order. Writes nothing.
pub(crate) fn scan(
    dir: &Path,
    each: &mut dyn FnMut(LogRecord<'_>) -> Result<(), JournalError>,
) -> Result<LogScan, JournalError> {
    let listed = list_segments(dir)?;
    let mut scan = LogScan {
        segments: Vec::new(),
        head: Head::empty(),
        damage: None,
        torn_from: None,
        checked: 0,
    };
    // The records of the append being read: handed once it is whole.
    let mut pending: Vec<(Position, Vec<u8>)> = Vec::new();
    let count = listed.len();
    for (i, (first, path)) in listed.into_iter().enumerate() {
        let last_segment = i + 1 == count;
        let window = Window::open(&path)?;
        let size = u64::try_from(window.size).unwrap_or(u64::MAX);
        let expected = pending
            .last()
            .map(|(p, _)| *p)
            .unwrap_or(scan.head.position)
            .next();
        if first != expected {
            scan.damage = Some(LogDamage {
                file: path.clone(),
                offset: 0,
                position: expected,
                what: format!(
                    "the log has no record from position {expected} (this segment starts at \
                     {first})"
                ),
            });
            scan.segments.push(Segment { path, end: 0, size });
            return Ok(scan);
        }
        let mut walk = Walk {
            window,
            at: 0,
            last: pending
                .last()
                .map(|(p, _)| *p)
                .unwrap_or(scan.head.position),
            last_hash: pending
                .last()
                .and_then(|(_, b)| decode(b).ok().map(|v| v.hash))
                .unwrap_or(scan.head.hash),
        };
        let mut append_end_offset = 0u64;
        let stop = loop {
            match walk.next_frame()? {
                Step::Frame {
                    start,
                    len,
                    position,
                    hash,
                    append_index,
                    append_len,
                } => {
                    let frame = walk.window.slice(start, len);
                    let complete = append_index + 1 >= append_len;
                    let single = append_index == 0 && append_len == 1;
                    if single && pending.is_empty() {
                        each(LogRecord {
                            position,
                            bytes: frame,
                        })?;
                        scan.checked += 1;
                        scan.head = Head { position, hash };
                        append_end_offset = u64::try_from(walk.at).unwrap_or(u64::MAX);
                    } else {
                        if append_index == 0 && !pending.is_empty() {
                            // An append that never finished, followed by another: damage.
                            break Stop::Bad {
                                at: start,
                                what: "an append of several events is cut short".into(),
                            };
                        }
                        pending.push((position, frame.to_vec()));
                        if complete {
                            for (position, bytes) in pending.drain(..) {
                                each(LogRecord {
                                    position,
                                    bytes: &bytes,
                                })?;
                                scan.checked += 1;
                            }
                            scan.head = Head { position, hash };
                            append_end_offset = u64::try_from(walk.at).unwrap_or(u64::MAX);
                        }
                    }
                }
                Step::End => break Stop::End,
                Step::Bad { at, what } => break Stop::Bad { at, what },
            }
        };
        let end = u64::try_from(walk.at).unwrap_or(u64::MAX);
        match stop {
            Stop::End if walk.zeros_after()? => {}
            Stop::End | Stop::Bad { .. } => {
                let (at, what) = match stop {
                    Stop::Bad { at, what } => (at, what),
                    Stop::End => (walk.at, "stray bytes after the last frame".to_string()),
                };
                let at_u64 = u64::try_from(at).unwrap_or(u64::MAX);
                match walk.valid_frame_after(at)? {
                    Some((offset, position)) => {
                        scan.damage = Some(LogDamage {
                            file: path.clone(),
                            offset: at_u64,
                            position: walk.last.next(),
                            what: format!(
                                "{what}, yet a valid record (position {position}) follows at byte \
                                 {offset}: damage, not the torn end of a crash"
                            ),
                        });
                    }
                    None if last_segment => {
                        // The torn end of the last commit: it was never acknowledged.
                        scan.torn_from = Some(append_end_offset);
                    }
                    None => {
                        scan.damage = Some(LogDamage {
                            file: path.clone(),
                            offset: at_u64,
                            position: walk.last.next(),
                            what: format!("{what} in a segment that later segments follow"),
                        });
                    }
                }
            }
        }
        if !pending.is_empty() && scan.damage.is_none() && last_segment {
            scan.torn_from = Some(append_end_offset);
        }
        scan.segments.push(Segment {
            path,
            end: if scan.torn_from.is_some() {
                append_end_offset
            } else {
                end
            },
            size,
        });
        if scan.damage.is_some() {
            return Ok(scan);
        }
    }
    if !pending.is_empty() && scan.torn_from.is_none() {
        // The last segment ended inside an append (its next frames were never written).
        if let Some(last) = scan.segments.last() {
            scan.torn_from = Some(last.end);
        }
    }
    Ok(scan)
}

enum Step {
    /// A whole frame at `start..start + len` that decoded, hashes right and links on.
    Frame {
        start: usize,
        len: usize,
        position: Position,
        hash: ChainHash,
        append_index: u16,
        append_len: u16,
    },
    End,
    Bad {
        at: usize,
        what: String,
    },
}

enum Stop {
    End,
    Bad { at: usize, what: String },
}

/// A segment read in bounded pieces: the bytes from `base` on that are still needed, so that
/// reading the log at open holds about one frame and one read's worth, never a whole segment.
struct Window {
    file: File,
    path: PathBuf,
    /// The file's size.
    size: usize,
    /// The file offset of `buf[0]`.
    base: usize,
    buf: Vec<u8>,
}

/// How much one read of a segment asks for.
const READ_CHUNK: usize = 1024 * 1024;

impl Window {
    fn open(path: &Path) -> Result<Self, JournalError> {
        let file = File::open(path).map_err(|e| JournalError::io("open", path, e))?;
        let size = file
            .metadata()
            .map_err(|e| JournalError::io("read", path, e))?
            .len();
        Ok(Window {
            file,
            path: path.to_path_buf(),
            size: usize::try_from(size).unwrap_or(usize::MAX),
            base: 0,
            buf: Vec::new(),
        })
    }

    /// Holds `from..end` (cut at the file's end) in the buffer, dropping what lies before `from`.
    fn fill(&mut self, from: usize, end: usize) -> Result<(), JournalError> {
        let end = end.min(self.size);
        if from >= self.base && end <= self.base + self.buf.len() {
            return Ok(());
        }
        if from < self.base {
            // Back to bytes already let go (the search for a valid frame after the walk's end).
            self.buf.clear();
            self.base = from;
        } else if from > self.base {
            let drop = (from - self.base).min(self.buf.len());
            self.buf.drain(..drop);
            self.base += drop;
        }
        let want = (end - self.base).max(self.buf.len() + READ_CHUNK);
        let target = want.min(self.size - self.base);
        let have = self.buf.len();
        self.buf.resize(target, 0);
        let offset = u64::try_from(self.base + have).unwrap_or(u64::MAX);
        self.file
            .read_exact_at(&mut self.buf[have..], offset)
            .map_err(|e| JournalError::io("read", &self.path, e))
    }

    /// `at..at + len` of the file, if it was filled.
    fn get(&self, at: usize, len: usize) -> Option<&[u8]> {
        let from = at.checked_sub(self.base)?;
        self.buf.get(from..from.checked_add(len)?)
    }

    /// `at..at + len` of the file, which `next_frame` has just filled.
    fn slice(&self, at: usize, len: usize) -> &[u8] {
        let from = at - self.base;
        &self.buf[from..from + len]
    }
}

struct Walk {
    window: Window,
    at: usize,
    last: Position,
    last_hash: ChainHash,
}

impl Walk {
    fn next_frame(&mut self) -> Result<Step, JournalError> {
        self.window.fill(self.at, self.at + 4)?;
        let Some(len_bytes) = self.window.get(self.at, 4) else {
            return Ok(if self.at == self.window.size {
                Step::End
            } else {
                Step::Bad {
                    at: self.at,
                    what: "a frame's length is cut".into(),
                }
            });
        };
        let len = be_u32(len_bytes);
        if len == 0 {
            return Ok(Step::End);
        }
        let bad = |what: String| Ok(Step::Bad { at: self.at, what });
        if !(MIN_FRAME..=MAX_FRAME).contains(&len) {
            return bad(format!("a frame's length ({len}) is not a record's"));
        }
        self.window.fill(self.at, self.at + 4 + len)?;
        let Some(frame) = self.window.get(self.at + 4, len) else {
            return bad("a frame is cut".into());
        };
        let view = match decode(frame) {
            Ok(view) => view,
            Err(e) => return bad(format!("a frame does not decode ({e})")),
        };
        if view.recompute_hash() != view.hash {
            return bad("a record's hash does not recompute: its bytes were altered".into());
        }
        if view.position != self.last.next() {
            return bad(format!(
                "the record says position {}, the log expects {}",
                view.position,
                self.last.next()
            ));
        }
        if view.prev_hash != self.last_hash {
            return bad(format!(
                "the record does not link to the one before (previous hash should be {}, it \
                 says {})",
                self.last_hash, view.prev_hash
            ));
        }
        let (position, hash) = (view.position, view.hash);
        let (append_index, append_len) = (view.append_index, view.append_len);
        self.last = position;
        self.last_hash = hash;
        let start = self.at + 4;
        self.at += 4 + len;
        Ok(Step::Frame {
            start,
            len,
            position,
            hash,
            append_index,
            append_len,
        })
    }

    /// Whether only zeros follow the walk, read a piece at a time.
    fn zeros_after(&mut self) -> Result<bool, JournalError> {
        let mut at = self.at;
        while at < self.window.size {
            self.window.fill(at, at + READ_CHUNK)?;
            let end = (at + READ_CHUNK).min(self.window.size);
            let Some(piece) = self.window.get(at, end - at) else {
                return Ok(false);
            };
            if piece.iter().any(|b| *b != 0) {
                return Ok(false);
            }
            at = end;
        }
        Ok(true)
    }

    /// A whole frame at or after `at` that decodes and hashes right. Segments are written once,
    /// over zeros, so no such frame can lie after the end of what a crash left: finding one
    /// means the bytes before it were damaged, not torn. Reads the rest of the segment, which
    /// happens only where something is wrong.
    fn valid_frame_after(&mut self, at: usize) -> Result<Option<(usize, Position)>, JournalError> {
        self.window.fill(at, self.window.size)?;
        let base = self.window.base;
        let bytes = &self.window.buf;
        let mut offset = at - base;
        while offset + 4 + MIN_FRAME <= bytes.len() {
            let len = be_u32(&bytes[offset..offset + 4]);
            if (MIN_FRAME..=MAX_FRAME).contains(&len)
                && matches!(bytes.get(offset + 4), Some(&FORMAT_V1 | &FORMAT_V2))
                && offset + 4 + len <= bytes.len()
            {
                if let Ok(view) = decode(&bytes[offset + 4..offset + 4 + len]) {
                    if view.recompute_hash() == view.hash {
                        return Ok(Some((base + offset, view.position)));
                    }
                }
            }
            offset += 1;
        }
        Ok(None)
    }
}

fn be_u32(bytes: &[u8]) -> usize {
    let mut len = [0u8; 4];
    len.copy_from_slice(&bytes[..4]);
    usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX)
}

/// Appends frames to the last segment of the log, starting a new segment when one is full.
pub(crate) struct LogWriter {
    dir: PathBuf,
    file: File,
    path: PathBuf,
    capacity: u64,
    offset: u64,
    segment_bytes: u64,
    buffer: Vec<u8>,
    /// True when the last append started a new segment.
    rolled: bool,
}

impl LogWriter {
    /// Opens the log for appending after what `scan` read. A torn end is zeroed first, so that
    /// what is appended next is followed by zeros only. With no segment yet, the first is made
    /// for position `next`.
    pub(crate) fn open(
        dir: &Path,
        scan: &LogScan,
        next: Position,
        segment_bytes: u64,
    ) -> Result<LogWriter, JournalError> {
        let log = dir.join(LOG_DIR);
        std::fs::create_dir_all(&log).map_err(|e| JournalError::io("create", &log, e))?;
        let Some(last) = scan.segments.last() else {
            return LogWriter::create(dir, next, segment_bytes, 0);
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&last.path)
            .map_err(|e| JournalError::io("open", &last.path, e))?;
        if let Some(from) = scan.torn_from {
            let zeros = vec![0u8; usize::try_from(last.size.saturating_sub(from)).unwrap_or(0)];
            file.write_all_at(&zeros, from)
                .and_then(|_| file.sync_data())
                .map_err(|e| JournalError::io("cut the torn end of", &last.path, e))?;
            tracing::warn!(
                offset = from,
                "cut the torn end of the log's last segment: a commit a crash interrupted, never \
                 acknowledged"
            );
        }
        Ok(LogWriter {
            dir: dir.to_path_buf(),
            file,
            path: last.path.clone(),
            capacity: last.size,
            offset: last.end,
            segment_bytes,
            buffer: Vec::new(),
            rolled: false,
        })
    }

    fn create(
        dir: &Path,
        first: Position,
        segment_bytes: u64,
        at_least: u64,
    ) -> Result<LogWriter, JournalError> {
        let log = dir.join(LOG_DIR);
        let path = log.join(segment_name(first));
        let capacity = segment_bytes.max(at_least + 4);
        // Written under a temporary name and renamed once full of zeros and synced, so that a
        // crash never leaves a short segment.
        let temporary = log.join(format!("{}.new", segment_name(first)));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)
            .map_err(|e| JournalError::io("create", &temporary, e))?;
        fill_zeros(&file, 0, capacity).map_err(|e| JournalError::io("fill", &temporary, e))?;
        std::fs::rename(&temporary, &path).map_err(|e| JournalError::io("rename", &path, e))?;
        crate::store::sync_dir(&log)?;
        Ok(LogWriter {
            dir: dir.to_path_buf(),
            file,
            path,
            capacity,
            offset: 0,
            segment_bytes,
            buffer: Vec::new(),
            rolled: false,
        })
    }

    /// Writes the records (stored at `first`, `first + 1`, ...) as frames and makes them durable.
    pub(crate) fn append<'a>(
        &mut self,
        first: Position,
        records: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), JournalError> {
        self.buffer.clear();
        for record in records {
            let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
            self.buffer.extend_from_slice(&len.to_be_bytes());
            self.buffer.extend_from_slice(record);
        }
        self.rolled = false;
        if self.buffer.is_empty() {
            return Ok(());
        }
        let len = u64::try_from(self.buffer.len()).unwrap_or(u64::MAX);
        if self.offset + len + 4 > self.capacity {
            let next = LogWriter::create(&self.dir, first, self.segment_bytes, len)?;
            let buffer = std::mem::take(&mut self.buffer);
            *self = next;
            self.buffer = buffer;
            self.rolled = true;
        }
        self.file
            .write_all_at(&self.buffer, self.offset)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| JournalError::io("write and fdatasync", &self.path, e))?;
        self.offset += len;
        Ok(())
    }

    /// True when the last append started a new segment (the writer then makes sled durable, so
    /// that a restart has at most a segment to restore into it).
    pub(crate) fn rolled(&self) -> bool {
        self.rolled
    }
}

fn fill_zeros(file: &File, from: u64, to: u64) -> std::io::Result<()> {
    let chunk = vec![0u8; 1024 * 1024];
    let mut at = from;
    while at < to {
        let n = usize::try_from((to - at).min(1024 * 1024)).unwrap_or(chunk.len());
        file.write_all_at(&chunk[..n], at)?;
        at += u64::try_from(n).unwrap_or(u64::MAX);
    }
    file.sync_all()
}

/// Writes a whole new log from `records` (position order from 1), for a log that was missing or
/// damaged and is rebuilt from sled. The old segments, if any, are moved aside into `aside`.
pub(crate) fn rewrite(
    dir: &Path,
    aside: Option<&Path>,
    segment_bytes: u64,
    records: &mut dyn Iterator<Item = Result<(Position, Vec<u8>), JournalError>>,
) -> Result<u64, JournalError> {
    let log = dir.join(LOG_DIR);
    if log.exists() {
        match aside {
            Some(aside) => {
                std::fs::create_dir_all(aside).map_err(|e| JournalError::io("create", aside, e))?;
                std::fs::rename(&log, aside.join(LOG_DIR))
                    .map_err(|e| JournalError::io("move aside", &log, e))?;
            }
            None => {
                std::fs::remove_dir_all(&log).map_err(|e| JournalError::io("remove", &log, e))?;
            }
        }
    }
    let building = dir.join("log.rebuilding");
    if building.exists() {
        std::fs::remove_dir_all(&building).map_err(|e| JournalError::io("remove", &building, e))?;
    }
    std::fs::create_dir_all(building.join(LOG_DIR))
        .map_err(|e| JournalError::io("create", &building, e))?;
    let mut writer: Option<LogWriter> = None;
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut batch_first = Position(1);
    let mut written = 0u64;
    let flush = |writer: &mut Option<LogWriter>,
                 batch: &mut Vec<Vec<u8>>,
                 first: Position|
     -> Result<(), JournalError> {
        if batch.is_empty() {
            return Ok(());
        }
        if writer.is_none() {
            *writer = Some(LogWriter::create(&building, first, segment_bytes, 0)?);
        }
        if let Some(w) = writer.as_mut() {
            w.append(first, batch.iter().map(Vec::as_slice))?;
        }
        batch.clear();
        Ok(())
    };
    for record in records {
        let (position, bytes) = record?;
        let ends_append = decode(&bytes)
            .map(|view| view.append_index + 1 >= view.append_len)
            .unwrap_or(true);
        if batch.is_empty() {
            batch_first = position;
        }
        batch.push(bytes);
        written += 1;
        // A commit of the log never splits an append, so a segment never starts inside one.
        if batch.len() >= 1024 && ends_append {
            flush(&mut writer, &mut batch, batch_first)?;
        }
    }
    flush(&mut writer, &mut batch, batch_first)?;
    drop(writer);
    std::fs::rename(building.join(LOG_DIR), &log)
        .map_err(|e| JournalError::io("move into place", &log, e))?;
    std::fs::remove_dir_all(&building).map_err(|e| JournalError::io("remove", &building, e))?;
    crate::store::sync_dir(dir)?;
    Ok(written)
}

/// Replaces the log with one segment holding `records` as frames, as they are, unchecked: for
/// tests that alter the stored history (`tamper`).
#[cfg(feature = "tamper")]
pub(crate) fn write_raw(
    dir: &Path,
    records: &std::collections::BTreeMap<u64, Vec<u8>>,
) -> Result<(), JournalError> {
    let log = dir.join(LOG_DIR);
    if log.exists() {
        std::fs::remove_dir_all(&log).map_err(|e| JournalError::io("remove", &log, e))?;
    }
    std::fs::create_dir_all(&log).map_err(|e| JournalError::io("create", &log, e))?;
    let first = records.keys().next().copied().unwrap_or(1);
    let mut bytes = Vec::new();
    for record in records.values() {
        let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(record);
    }
    bytes.resize(bytes.len() + 64 * 1024, 0);
    let path = log.join(segment_name(Position(first)));
    std::fs::write(&path, &bytes).map_err(|e| JournalError::io("write", &path, e))
}
