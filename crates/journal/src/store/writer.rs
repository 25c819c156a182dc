//! The writer thread: group commit (validate, decide, write the log and sled, make it durable,
//! acknowledge), and making sled's own files durable ("sled sync", not to be confused with a
//! signed Merkle checkpoint).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use parking_lot::Mutex;
use tokio::sync::{oneshot, watch};

use super::import::write_import;
use super::{
    head_mark_bytes, read_record, Appended, Conflict, ExpectedVersion, Head, IdReused, Options,
    Rejected, Shared, META_HEAD,
};
use crate::blocks;
use crate::disclosure::{split_fields, Salts};
use crate::error::JournalError;
use crate::log::LogWriter;
use crate::record::{
    chain_hash, NewEvent, Position, RecordedEvent, MAX_EVENTS_PER_APPEND, MAX_NAME_BYTES,
    MAX_PAYLOAD_BYTES,
};
use crate::AppendResult;

pub(super) struct Request {
    pub(super) stream: String,
    pub(super) expected: ExpectedVersion,
    pub(super) events: Vec<NewEvent>,
    pub(super) reply: oneshot::Sender<AppendResult>,
}

/// Records taken as they are (from an export), to continue the chain exactly.
pub(super) struct ImportRequest {
    pub(super) records: Vec<RecordedEvent>,
    pub(super) reply: oneshot::Sender<Result<Head, JournalError>>,
}

pub(super) enum Job {
    Append(Request),
    Import(ImportRequest),
}

pub(super) struct Writer {
    pub(super) tx: Mutex<Option<mpsc::Sender<Job>>>,
    pub(super) thread: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx.lock().take();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

pub(super) fn validate_append(stream: &str, events: &[NewEvent]) -> Result<(), JournalError> {
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

/// Makes sled's files durable: sled 0.34's flush ends with `sync_file_range`, which neither
/// flushes the disk's cache nor the file's metadata, so after each flush we `fdatasync` the log
/// file ourselves (docs/adr/0001-durability.md).
pub(crate) struct Syncer {
    dir: PathBuf,
    log: File,
}

impl Syncer {
    pub(super) fn new(dir: &Path) -> Result<Syncer, JournalError> {
        let path = dir.join("db");
        let log = File::open(&path).map_err(|e| JournalError::io("open", &path, e))?;
        Ok(Syncer {
            dir: dir.to_path_buf(),
            log,
        })
    }

    pub(super) fn sync_log(&self) -> Result<(), JournalError> {
        self.log
            .sync_data()
            .map_err(|e| JournalError::io("fsync", self.dir.join("db"), e))
    }

    /// Everything sled may have written: the log, the config, any blob files and the directories.
    pub(super) fn sync_all(&self) -> Result<(), JournalError> {
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
pub(super) enum Seen<'a> {
    Stored(u64),
    Pending(&'a RecordedEvent),
}

/// How long the writer waits for one more request when fewer have come than in the last batch.
/// Far below the cost of a commit (an `fdatasync` is about 100 µs here); never waited for by a
/// lone appender, whose batches hold one request.
pub(super) const COMMIT_DELAY: std::time::Duration = std::time::Duration::from_micros(50);

pub(super) fn writer_loop(
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
    sync_sled_at_close(&shared, &mut disk);
    tracing::debug!("journal writer stopped");
}

/// Where the writer makes a commit durable: the journal's log (one write and one `fdatasync`
/// per commit), and sled's files, made durable on their own when a log segment fills and when
/// the journal closes. Both are absent when the journal is read-only.
pub(super) struct Disk {
    pub(super) syncer: Option<Syncer>,
    pub(super) log: Option<LogWriter>,
}

impl Disk {
    /// Writes a commit's records to the log and makes them durable.
    pub(super) fn append(
        &mut self,
        first: Position,
        frames: &[Vec<u8>],
    ) -> Result<(), JournalError> {
        match self.log.as_mut() {
            Some(log) => log.append(first, frames.iter().map(Vec::as_slice)),
            None => Err(JournalError::ReadOnly),
        }
    }

    /// True when the last append started a new segment of the log.
    pub(super) fn rolled(&self) -> bool {
        self.log.as_ref().is_some_and(LogWriter::rolled)
    }
}

/// Makes sled durable on its own (flush, then fsync its files), so that an open after a crash
/// has little to restore into it from the log.
pub(super) fn make_sled_durable(shared: &Shared, disk: &Disk) -> Result<(), JournalError> {
    shared.db.flush()?;
    match &disk.syncer {
        Some(syncer) => syncer.sync_all(),
        None => Ok(()),
    }
}

/// The sled sync when the writer stops: sled made durable on its own. A failure poisons the
/// journal, as a failed append would.
pub(super) fn sync_sled_at_close(shared: &Shared, disk: &mut Disk) {
    if disk.log.is_none() || shared.failed_flag.load(Ordering::Acquire) {
        return;
    }
    if let Err(error) = make_sled_durable(shared, disk) {
        shared.poison("sled sync", &error);
    }
}

/// From how many records a group commit writes the write-ahead file on a second thread while it
/// inserts into sled; below it, starting the thread costs more than the overlap saves.
pub(super) const OVERLAP_FROM_EVENTS: usize = 8;

/// Why a commit must wait for space: the filesystem of `dir` has less than `reserve` bytes free.
pub(super) fn short_of_space(dir: &Path, reserve: u64) -> Option<String> {
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
pub(super) fn free_bytes(dir: &Path) -> Option<u64> {
    fs2::available_space(dir).ok()
}

pub(super) fn write_batch(
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
            // A payload that is a JSON object is committed to field by field (format 2,
            // docs/adr/0015); any other payload is recorded in format 1.
            let mut record = RecordedEvent {
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
                hash: head.hash,
                salts: split_fields(&event.payload).map(|fields| Salts::draw(fields.len())),
            };
            let body = record.body_bytes();
            let hash = chain_hash(&head.hash, &body);
            record.hash = hash;
            frames.push(record.stored_bytes());
            recorded.push(record);
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
                index.add_acknowledged(event);
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
pub(super) fn resolve_repeat(
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
