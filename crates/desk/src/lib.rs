//! The desk: where a command becomes recorded events.
//!
//! command → [`domain::DeskState::decide`] → [`journal::Journal::append`] → the projector folds
//! the journal's subscription into the write model and the read models → the command returns once
//! they have seen its events (read-your-writes).
//!
//! Key types: [`Desk`] (open, execute, import, read), [`Recorded`], [`Refused`], [`DeskError`].
//!
//! Invariants: the write model and the read models are only ever changed by the projector, in
//! journal order, from acknowledged events; nothing here edits or deletes a recorded event.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{Actor, Command, Context, DeskState, Event, EventMeta, Expected, Rejection, StreamId};
use journal::{ExpectedVersion, Journal, NewEvent, Position, RecordedEvent, Timestamp};
use parking_lot::RwLock;
use projections::ReadModels;
use serde::Serialize;
use tokio::sync::watch;
use ulid::Ulid;

pub use journal;

pub mod bundle;
mod checkpoint;
pub use checkpoint::{
    key_path, load_key, load_or_create_key, signed_from_event, ConsistencyProofView,
    InclusionProofView, RecordedCheckpoint, KEY_FILE,
};

/// How many times a command is decided again after a concurrent append to its stream.
const CONFLICT_RETRIES: usize = 5;

/// A source of "now" for decisions; tests inject a fixed one.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How to open a desk.
#[derive(Clone)]
pub struct DeskOptions {
    pub journal: journal::Options,
    pub clock: Clock,
}

impl Default for DeskOptions {
    fn default() -> Self {
        DeskOptions {
            journal: journal::Options::default(),
            clock: Arc::new(Utc::now),
        }
    }
}

/// Failures: the command may or may not have been recorded only for `Journal` errors that
/// happened during the append (retry with the same event id to find out).
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The journal failed (IO, corruption, closed). Stop and check the data directory.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    /// An event in the journal cannot be read by this build. Upgrade, or verify the journal.
    #[error("event at position {position} cannot be read: {source}")]
    Undecodable {
        position: Position,
        #[source]
        source: domain::DecodeError,
    },
    /// The installation key file cannot be read or written. Check the data directory's
    /// permissions; never delete the file (checkpoints signed with it could no longer be
    /// told from forgeries by a new key's holder).
    #[error("cannot use the checkpoint key file {path}: {source}")]
    KeyFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The key file does not hold a key (64 hex digits). Restore it from the backup.
    #[error("the checkpoint key file {path} does not hold a key")]
    BadKeyFile { path: std::path::PathBuf },
    /// The projector stopped (the journal closed or failed).
    #[error("the read models stopped following the journal")]
    ProjectorStopped,
}

/// A command that was not recorded, as a value the caller shows to a person.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refused {
    /// The domain refused it: which field and why.
    Rejected(Rejection),
    /// The stream moved on since the version the caller expected.
    Conflict {
        stream: String,
        expected: u64,
        actual: u64,
    },
    /// The event id was already used for another fact.
    IdReused { id: Ulid, position: Position },
}

/// A command that was recorded (or had been, for a retry with the same event id).
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub events: Vec<RecordedEvent>,
    pub already_recorded: bool,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub lines: usize,
    pub recorded: usize,
    pub already_recorded: usize,
}

/// Why an import stopped: the line (1-based) and the reason. Lines before it stay imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}: {reason}")]
    Line {
        line: usize,
        reason: String,
        report: ImportReport,
    },
    #[error("cannot read the import file: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Desk(#[from] DeskError),
}

struct Models {
    desk: DeskState,
    read: ReadModels,
    position: Position,
}

/// A past moment to read the models as of: a position of the journal, or an instant (what had
/// been recorded by then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsOf {
    Position(Position),
    Time(DateTime<Utc>),
}

/// How many past states the desk keeps folded, for repeated as-of reads.
const SNAPSHOTS_KEPT: usize = 4;

/// The desk: a journal, the write model decisions are made against, and the read models.
#[derive(Clone)]
pub struct Desk {
    journal: Journal,
    models: Arc<RwLock<Models>>,
    applied: watch::Receiver<Position>,
    clock: Clock,
    /// Read models folded up to past positions, most recently used last.
    snapshots: Arc<parking_lot::Mutex<Vec<Arc<ReadModels>>>>,
    /// The installation's checkpoint signing key.
    signer: Arc<journal::merkle::checkpoint::SigningKey>,
}

impl Desk {
    /// Opens the journal in `dir`, replays it into the models, and starts the projector that
    /// follows new events. Must be called inside a tokio runtime.
    pub fn open(dir: impl AsRef<Path>, options: DeskOptions) -> Result<Desk, DeskError> {
        let journal = Journal::open(dir, options.journal)?;
        Desk::with_journal(journal, options.clock)
    }

    /// Starts a desk on an open journal.
    pub fn with_journal(journal: Journal, clock: Clock) -> Result<Desk, DeskError> {
        let signer = Arc::new(load_or_create_key(journal.dir())?);
        let mut models = Models {
            desk: DeskState::new(),
            read: ReadModels::default(),
            position: Position::ZERO,
        };
        for record in journal.iter_forward(Position(1)) {
            apply(&mut models, &record?)?;
        }
        tracing::info!(position = models.position.0, "read models replayed");
        let (applied_tx, applied) = watch::channel(models.position);
        let start = models.position.next();
        let models = Arc::new(RwLock::new(models));
        let mut subscription = journal.subscribe(start);
        let projector_models = Arc::clone(&models);
        tokio::spawn(async move {
            while let Some(next) = subscription.next().await {
                let record = match next {
                    Ok(record) => record,
                    Err(error) => {
                        tracing::error!(%error, "projector cannot read the journal; stopping");
                        return;
                    }
                };
                // Fold what is already there under one lock, then announce the position.
                let mut batch = vec![record];
                while batch.len() < 1024 {
                    match subscription.try_next() {
                        Some(Ok(record)) => batch.push(record),
                        Some(Err(error)) => {
                            tracing::error!(%error, "projector cannot read the journal; stopping");
                            return;
                        }
                        None => break,
                    }
                }
                let position = {
                    let mut models = projector_models.write();
                    for record in &batch {
                        if let Err(error) = apply(&mut models, record) {
                            tracing::error!(%error, "projector cannot decode an event; stopping");
                            return;
                        }
                    }
                    models.position
                };
                applied_tx.send_replace(position);
            }
        });
        Ok(Desk {
            journal,
            models,
            applied,
            clock,
            snapshots: Arc::new(parking_lot::Mutex::new(Vec::new())),
            signer,
        })
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The position the read models have folded up to.
    pub fn applied_position(&self) -> Position {
        *self.applied.borrow()
    }

    /// Reads the read models.
    pub fn read<R>(&self, f: impl FnOnce(&ReadModels) -> R) -> R {
        f(&self.models.read().read)
    }

    /// The journal position an as-of names: the position itself (at most the head), or the last
    /// position recorded at or before the instant.
    pub fn resolve(&self, as_of: AsOf) -> Position {
        let applied = self.applied_position();
        match as_of {
            AsOf::Position(position) => position.min(applied),
            AsOf::Time(at) => self.read(|m| m.position_recorded_by(Timestamp::from(at))),
        }
    }

    /// The read models exactly as they stood when the journal ended at the position `as_of`
    /// names: later events, corrections included, are not in them. Folded from the journal (from
    /// the nearest earlier snapshot when one is kept) and kept for the next call; the current
    /// models serve a position they have reached. Blocking: call it off the async threads for
    /// large journals.
    pub fn read_models_as_of(&self, as_of: AsOf) -> Result<(Position, Arc<ReadModels>), DeskError> {
        let position = self.resolve(as_of);
        {
            let mut kept = self.snapshots.lock();
            if let Some(i) = kept.iter().position(|m| m.position() == position) {
                let hit = kept.remove(i);
                kept.push(Arc::clone(&hit));
                return Ok((position, hit));
            }
        }
        if position >= self.applied_position() {
            // The current models are the state at this position: the head has not moved past it
            // (`resolve` never names a position beyond what is applied).
            let current = {
                let models = self.models.read();
                (models.position == position).then(|| models.read.clone())
            };
            if let Some(current) = current {
                return Ok((position, self.keep(current)));
            }
        }
        let base = {
            let kept = self.snapshots.lock();
            kept.iter()
                .filter(|m| m.position() <= position)
                .max_by_key(|m| m.position())
                .map(|m| ReadModels::clone(m))
        };
        let mut models = base.unwrap_or_default();
        if position > models.position() {
            let from = models.position().next();
            for record in self.journal.iter_forward(from) {
                let record = record?;
                if record.position > position {
                    break;
                }
                match decode(&record) {
                    Ok(event) => models.apply(&record, &event),
                    Err(_) => models.apply_undecodable(&record),
                }
            }
        }
        Ok((position, self.keep(models)))
    }

    fn keep(&self, models: ReadModels) -> Arc<ReadModels> {
        let models = Arc::new(models);
        let mut kept = self.snapshots.lock();
        if kept.len() == SNAPSHOTS_KEPT {
            kept.remove(0);
        }
        kept.push(Arc::clone(&models));
        models
    }

    /// Reads the write model.
    pub fn read_state<R>(&self, f: impl FnOnce(&DeskState) -> R) -> R {
        f(&self.models.read().desk)
    }

    /// Waits until the read models have folded `position`.
    pub async fn wait_for(&self, position: Position) -> Result<(), DeskError> {
        let mut applied = self.applied.clone();
        applied
            .wait_for(|p| *p >= position)
            .await
            .map(|_| ())
            .map_err(|_| DeskError::ProjectorStopped)
    }

    /// Decides `command` for `actor` and records its events. `event_id` names the (first) event
    /// and makes a retry safe; `expected` is the stream version the caller saw, where a race
    /// matters (otherwise the version the decision was made against is used, and a concurrent
    /// change to the stream makes the command be decided again).
    ///
    /// A recorded supervision meeting (the monthly supervision) is followed by a signed
    /// checkpoint, so that at least one a month leaves the system; see [`Desk::sign_checkpoint`].
    /// `RecordCheckpoint` is refused here: only the desk signs checkpoints.
    pub async fn execute(
        &self,
        actor: &Actor,
        command: &Command,
        event_id: Option<Ulid>,
        expected: Option<u64>,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        let outcome = self
            .execute_outer(actor, command, event_id, expected)
            .await?;
        if let (Command::RecordSupervisionMeeting(_), Ok(recorded)) = (command, &outcome) {
            if !recorded.already_recorded {
                match self.sign_checkpoint(actor, None).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(refused)) => {
                        tracing::warn!(reason = %describe_refusal(&refused), "the scheduled checkpoint was refused")
                    }
                    Err(error) => tracing::error!(%error, "the scheduled checkpoint failed"),
                }
            }
        }
        Ok(outcome)
    }

    /// [`Desk::execute`] without the scheduled checkpoint: what an import runs (an imported
    /// supervision meeting is history; sign a checkpoint once the import is done).
    async fn execute_outer(
        &self,
        actor: &Actor,
        command: &Command,
        event_id: Option<Ulid>,
        expected: Option<u64>,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        if let Command::RecordCheckpoint(_) = command {
            return Ok(Err(Refused::Rejected(Rejection::new(
                "command",
                domain::RejectionKind::NotPermitted,
                "checkpoints are signed by the desk itself: use signCheckpoint or impact checkpoint",
            ))));
        }
        self.execute_inner(actor, command, event_id, expected).await
    }

    pub(crate) async fn execute_inner(
        &self,
        actor: &Actor,
        command: &Command,
        event_id: Option<Ulid>,
        expected: Option<u64>,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        // Not `unwrap_or_default`: `Ulid::default()` is the nil id, not a fresh one.
        #[allow(clippy::unwrap_or_default)]
        let event_id = event_id.unwrap_or_else(Ulid::new);
        if let Some(original) = self.journal.get_by_id(event_id)? {
            return self.repeat(actor, command, original).await;
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let context = Context {
                now: (self.clock)(),
                actor: actor.clone(),
            };
            let decision = {
                let models = self.models.read();
                models.desk.decide(command, &context)
            };
            let decision = match decision {
                Ok(decision) => decision,
                Err(rejection) => return Ok(Err(Refused::Rejected(rejection))),
            };
            let decided_version = match decision.expected {
                Expected::NoStream => 0,
                Expected::Exactly(n) => n,
            };
            if let Some(expected) = expected {
                if expected != decided_version {
                    return Ok(Err(Refused::Conflict {
                        stream: decision.stream.as_str().to_owned(),
                        expected,
                        actual: decided_version,
                    }));
                }
            }
            let events = to_new_events(actor, event_id, &decision.events);
            let outcome = self
                .journal
                .append(
                    decision.stream.as_str(),
                    ExpectedVersion::Exactly(decided_version),
                    events,
                )
                .await?;
            match outcome {
                Ok(appended) => {
                    self.wait_for(appended.last_position()).await?;
                    return Ok(Ok(Recorded {
                        events: appended.events,
                        already_recorded: appended.already_recorded,
                    }));
                }
                Err(journal::Rejected::IdReused(reused)) => {
                    return Ok(Err(Refused::IdReused {
                        id: reused.id,
                        position: reused.position,
                    }))
                }
                Err(journal::Rejected::Conflict(conflict)) => {
                    // Another command changed the stream after our decision. Let the models catch
                    // up with the journal and decide again, unless the caller pinned a version.
                    if expected.is_some() || attempt > CONFLICT_RETRIES {
                        return Ok(Err(Refused::Conflict {
                            stream: conflict.stream,
                            expected: decided_version,
                            actual: conflict.actual,
                        }));
                    }
                    let head = self.journal.head().position;
                    tokio::time::timeout(Duration::from_secs(5), self.wait_for(head))
                        .await
                        .map_err(|_| DeskError::ProjectorStopped)??;
                }
            }
        }
    }

    /// A command whose event id is already recorded: a retry (same actor, same kind of fact)
    /// gets the original events back; anything else is `IdReused`.
    pub(crate) async fn repeat(
        &self,
        actor: &Actor,
        command: &Command,
        original: RecordedEvent,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        let same = original.actor.id == actor.id
            && original.actor.role == actor.role.as_str()
            && original.event_type == command.event_type();
        if !same {
            return Ok(Err(Refused::IdReused {
                id: original.id,
                position: original.position,
            }));
        }
        let first = original.position.0 - u64::from(original.append_index);
        let count = usize::from(original.append_len);
        let events = self.journal.read_forward(Position(first), count)?;
        self.wait_for(original.position).await?;
        Ok(Ok(Recorded {
            events,
            already_recorded: true,
        }))
    }

    /// Imports commands, one JSON [`domain::ImportLine`] a line, through the same rules as the
    /// API. Stops at the first bad line, naming it; lines before it stay recorded, and importing
    /// the mended file again records nothing twice (event ids make it idempotent).
    pub async fn import(&self, reader: impl BufRead) -> Result<ImportReport, ImportError> {
        let mut report = ImportReport::default();
        for (index, line) in reader.lines().enumerate() {
            let number = index + 1;
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let stop = |reason: String, report: &ImportReport| ImportError::Line {
                line: number,
                reason,
                report: report.clone(),
            };
            let parsed: domain::ImportLine = serde_json::from_str(&line)
                .map_err(|e| stop(format!("not a command: {e}"), &report))?;
            report.lines += 1;
            match self
                .execute_outer(&parsed.actor, &parsed.command, Some(parsed.event_id), None)
                .await?
            {
                Ok(recorded) if recorded.already_recorded => report.already_recorded += 1,
                Ok(_) => report.recorded += 1,
                Err(refused) => {
                    report.lines -= 1;
                    return Err(stop(describe_refusal(&refused), &report));
                }
            }
        }
        Ok(report)
    }
}

/// How many exported records are written at a time.
const IMPORT_CHUNK: usize = 4096;

impl Desk {
    /// Imports an export (`impact export`: one JSON object a line, with the stored bytes in
    /// `record`) so that the same chain is reproduced: every record must decode, its payload must
    /// be an event this build reads, and it must continue the chain exactly (position, previous
    /// hash, hash, stream version). Records the journal already holds identically are skipped,
    /// so importing the same export again records nothing twice. Appends are written whole: an
    /// export that ends inside an append of several events is refused for that append.
    pub async fn import_export(&self, reader: impl BufRead) -> Result<ImportReport, ImportError> {
        let mut report = ImportReport::default();
        let mut pending: Vec<RecordedEvent> = Vec::new();
        let mut last_line = 0;
        for (index, line) in reader.lines().enumerate() {
            let number = index + 1;
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            last_line = number;
            let stop = |reason: String, report: &ImportReport| ImportError::Line {
                line: number,
                reason,
                report: report.clone(),
            };
            let record = parse_export_line(&line).map_err(|reason| stop(reason, &report))?;
            report.lines += 1;
            if let Some(stored) = self.journal.get(record.position).map_err(DeskError::from)? {
                if stored == record {
                    report.already_recorded += 1;
                    continue;
                }
                return Err(stop(
                    format!(
                        "position {} holds another event in this journal; an export is imported into an empty journal or one it continues",
                        record.position
                    ),
                    &report,
                ));
            }
            let ends_append = record.append_index + 1 >= record.append_len;
            pending.push(record);
            if pending.len() >= IMPORT_CHUNK && ends_append {
                let count = pending.len();
                self.journal
                    .import_recorded(std::mem::take(&mut pending))
                    .await
                    .map_err(|e| stop(e.to_string(), &report))?;
                report.recorded += count;
            }
        }
        if let Some(last) = pending.last() {
            if last.append_index + 1 < last.append_len {
                return Err(ImportError::Line {
                    line: last_line,
                    reason: format!(
                        "the export ends inside an append of {} events (position {}); export up to the end of that append",
                        last.append_len, last.position
                    ),
                    report,
                });
            }
            let count = pending.len();
            let head =
                self.journal
                    .import_recorded(pending)
                    .await
                    .map_err(|e| ImportError::Line {
                        line: last_line,
                        reason: e.to_string(),
                        report: report.clone(),
                    })?;
            report.recorded += count;
            self.wait_for(head.position).await?;
        }
        Ok(report)
    }
}

/// Reads one export line into the record it carries; the readable fields are ignored (the stored
/// bytes are what the chain covers).
fn parse_export_line(line: &str) -> Result<RecordedEvent, String> {
    #[derive(serde::Deserialize)]
    struct Line {
        record: String,
    }
    let parsed: Line =
        serde_json::from_str(line).map_err(|e| format!("not an export line: {e}"))?;
    let bytes =
        hex::decode(&parsed.record).map_err(|e| format!("record is not hexadecimal: {e}"))?;
    let record =
        journal::decode_record(&bytes).map_err(|e| format!("record cannot be decoded: {e}"))?;
    decode(&record).map_err(|e| format!("position {}: {e}", record.position))?;
    Ok(record)
}

/// True when a JSON line is an export line (it carries stored bytes) rather than a command.
pub fn is_export_line(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .is_some_and(|v| v.get("record").is_some() && v.get("command").is_none())
}

/// A refusal in words a person can act on.
pub fn describe_refusal(refused: &Refused) -> String {
    match refused {
        Refused::Rejected(r) => format!("{} ({}): {}", r.field, kind_name(r), r.message),
        Refused::Conflict {
            stream,
            expected,
            actual,
        } => format!(
            "{stream} changed meanwhile: expected version {expected}, it is at {actual}; reload and try again"
        ),
        Refused::IdReused { id, position } => format!(
            "event id {id} was already used for another fact (position {position}); use a new id"
        ),
    }
}

fn kind_name(rejection: &Rejection) -> String {
    serde_json::to_value(rejection.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Event ids: the first event takes `first`, the next ones count up from it.
fn to_new_events(actor: &Actor, first: Ulid, events: &[Event]) -> Vec<NewEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| NewEvent {
            id: Ulid(first.0.wrapping_add(u128::try_from(i).unwrap_or(0))),
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            occurred_at: Timestamp::from(event.occurred_at()),
            actor: journal::Actor {
                id: actor.id.clone(),
                role: actor.role.as_str().to_owned(),
            },
            payload: event.to_payload(),
        })
        .collect()
}

/// Decodes a recorded event into the domain's terms.
pub fn decode(record: &RecordedEvent) -> Result<Event, DeskError> {
    Event::from_payload(&record.event_type, record.schema_version, &record.payload).map_err(
        |source| DeskError::Undecodable {
            position: record.position,
            source,
        },
    )
}

/// The domain's view of a recorded event's envelope.
pub fn meta(record: &RecordedEvent) -> EventMeta {
    EventMeta {
        id: record.id,
        stream: StreamId::new(record.stream.clone()),
        version: record.version,
        position: record.position.0,
        recorded_at: record.recorded_at.to_datetime().unwrap_or_default(),
        actor: Actor::new(
            record.actor.id.clone(),
            domain::Role::ALL
                .iter()
                .copied()
                .find(|r| r.as_str() == record.actor.role)
                .unwrap_or(domain::Role::Mediator),
        ),
    }
}

fn apply(models: &mut Models, record: &RecordedEvent) -> Result<(), DeskError> {
    if record.position <= models.position {
        return Ok(());
    }
    let event = decode(record)?;
    models.desk.apply(&meta(record), &event);
    models.read.apply(record, &event);
    models.position = record.position;
    Ok(())
}
