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
//!
//! Personal data at rest: before an event about one person is appended, each of its personal
//! values (`domain::PERSONAL_FIELD_NAMES`, each element of a list, each value of
//! `personalFields`) is replaced by `{"sealed": "<base64>", "person": "<ulid>"}`, sealed under
//! that person's key ([`vault::Vault::seal`]); [`Desk::decode`], the one place payloads are
//! parsed, opens them again, or reads them as erased (`domain::ERASED`) once the key is gone.
//! The projector destroys a person's key when it folds their `PersonErased`, which the journal
//! has by then made durable; replaying or importing one destroys it too (idempotent).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
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
use vault::{Opened, Vault};

pub use journal;
pub use projections;
pub use vault;

pub mod read_audit;

pub mod bundle;
pub mod check;
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
    /// The master key file; `None`: `<data-dir>.master-key`, beside the data directory
    /// ([`vault::default_master_key_path`]).
    pub master_key: Option<PathBuf>,
    /// Open without changing any byte of the data directory (the journal from a private copy of
    /// sled, the key store with [`Vault::open_read_only`], the signing key read, never made):
    /// for the commands that only read. Commands are then refused by the journal.
    pub read_only: bool,
}

impl Default for DeskOptions {
    fn default() -> Self {
        DeskOptions {
            journal: journal::Options::default(),
            clock: Arc::new(Utc::now),
            master_key: None,
            read_only: false,
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
    /// The envelope of the event at this position names a role this build does not know: a
    /// newer writer, or a damaged record (verify the journal).
    #[error("event at position {position} names an unknown role {role:?}")]
    UnknownRole { position: Position, role: String },
    /// The `recorded_at` of the event at this position is outside the calendar (microseconds
    /// since the epoch as stored): a damaged record; verify the journal.
    #[error("event at position {position} has an unreadable recorded_at ({micros} µs)")]
    UnreadableRecordedAt { position: Position, micros: i64 },
    /// The read audit cannot record or index a read: the read must not be answered.
    #[error("read audit at position {position}: {reason}")]
    ReadAudit { position: Position, reason: String },
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
    /// The key file's secret is not the key of the public key written beside it: the file was
    /// damaged. Restore it from the backup.
    #[error(
        "the checkpoint key file {path} is damaged: its secret is not the key of the public key \
         written beside it; restore it from the backup"
    )]
    KeyFileMismatch { path: std::path::PathBuf },
    /// The key file is not the key the journal's checkpoints were signed with. Restore it from
    /// the backup; never make a new one while those checkpoints exist.
    #[error(
        "the checkpoint key file {path} holds another key than {public_key}, which signed the \
         checkpoint at position {position}; put that key file here (from the backup, or from \
         the installation the journal was imported from)"
    )]
    KeyFileNotTheJournals {
        path: std::path::PathBuf,
        position: Position,
        public_key: String,
    },
    /// The key store does not account for a person the journal seals values of, or a key reads
    /// as destroyed without an erasure in the journal: damage, never an erasure.
    #[error(
        "the key store person-keys is damaged: {what}; restore it from the backup taken with \
         this journal (impact restore; see docs/VERIFYING.md)"
    )]
    KeyStoreDamaged {
        position: Option<Position>,
        what: String,
    },
    /// The projector stopped (the journal closed or failed).
    #[error("the read models stopped following the journal")]
    ProjectorStopped,
    /// A thread of the replay at open panicked (a bug): the models are not complete.
    #[error("the replay's {name} thread panicked")]
    ReplayThread { name: &'static str },
    /// The key store failed (master key missing or wrong, a damaged slot, IO). Nothing was
    /// recorded if this came from a command; check the master key file and the data directory.
    #[error(transparent)]
    Vault(#[from] vault::VaultError),
    /// A sealed value of the event at this position does not open with its person's key.
    #[error("event at position {position}: {source}")]
    Sealed {
        position: Position,
        #[source]
        source: vault::VaultError,
    },
}

impl DeskError {
    /// True when the disk is full (the journal's or the key store's): nothing was recorded, and
    /// the same request can be sent again once there is space.
    pub fn is_disk_full(&self) -> bool {
        match self {
            DeskError::Journal(error) => error.is_disk_full(),
            DeskError::Vault(vault::VaultError::Io { source, .. }) => {
                source.kind() == std::io::ErrorKind::StorageFull
                    || source.kind() == std::io::ErrorKind::QuotaExceeded
            }
            _ => false,
        }
    }
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
    vault: Arc<Vault>,
    models: Arc<RwLock<Models>>,
    applied: watch::Receiver<Position>,
    clock: Clock,
    /// Read models folded up to past positions, most recently used last.
    snapshots: Arc<parking_lot::Mutex<Vec<Arc<ReadModels>>>>,
    /// How many batches with an erasure the projector has folded: a past state folded while
    /// one was being folded is not kept (it may hold what was erased).
    erasures: Arc<AtomicU64>,
    /// The installation's checkpoint signing key.
    signer: Arc<journal::merkle::checkpoint::SigningKey>,
}

impl Desk {
    /// Opens the journal in `dir`, replays it into the models, and starts the projector that
    /// follows new events. Must be called inside a tokio runtime.
    ///
    /// The key store is `person-keys` in `dir`, opened with the master key file of `options`
    /// (made on first start, refused if missing while person keys exist).
    ///
    /// The replay folds the records the journal's own open scan reads (no second read), while
    /// that scan runs; keys of erased persons are destroyed once the journal has opened.
    pub fn open(dir: impl AsRef<Path>, options: DeskOptions) -> Result<Desk, DeskError> {
        let dir = dir.as_ref();
        let master_key = options
            .master_key
            .unwrap_or_else(|| vault::default_master_key_path(dir));
        let vault = Arc::new(if options.read_only {
            Vault::open_read_only(dir, &master_key)?
        } else {
            Vault::open(dir, &master_key)?
        });
        let journal_options = journal::Options {
            read_only: options.read_only || options.journal.read_only,
            ..options.journal
        };
        let (journal, models, signed_with) = replay(
            &vault,
            |each| Journal::open_and_read(dir, journal_options, each).map_err(DeskError::from),
            |stored: &journal::StoredRecord| stored.to_recorded().map_err(DeskError::from),
        )?;
        Desk::start(journal, vault, options.clock, models, signed_with)
    }

    /// Starts a desk on an open journal and the key store of its data.
    pub fn with_journal(
        journal: Journal,
        vault: Arc<Vault>,
        clock: Clock,
    ) -> Result<Desk, DeskError> {
        let ((), models, signed_with) = replay(
            &vault,
            |each| {
                for record in journal.iter_forward(Position(1)) {
                    each(record?);
                }
                Ok(())
            },
            |record: &RecordedEvent| Ok(record.clone()),
        )?;
        Desk::start(journal, vault, clock, models, signed_with)
    }

    /// Starts the projector on models replayed up to the journal's head. `signed_with` is the
    /// position and public key of the journal's last checkpoint: the key file must hold that
    /// key (a missing file is then an error, never a new key).
    fn start(
        journal: Journal,
        vault: Arc<Vault>,
        clock: Clock,
        models: Models,
        signed_with: Option<SignedWith>,
    ) -> Result<Desk, DeskError> {
        let signer = match &signed_with {
            None if journal.is_read_only() => checkpoint::load_key(journal.dir())?,
            None => load_or_create_key(journal.dir())?,
            Some((position, public)) => {
                let key = checkpoint::load_key(journal.dir())?;
                if key.public().to_hex() != *public {
                    return Err(DeskError::KeyFileNotTheJournals {
                        path: checkpoint::key_path(journal.dir()),
                        position: *position,
                        public_key: public.clone(),
                    });
                }
                key
            }
        };
        let signer = Arc::new(signer);
        tracing::info!(position = models.position.0, "read models replayed");
        let (applied_tx, applied) = watch::channel(models.position);
        let start = models.position.next();
        let models = Arc::new(RwLock::new(models));
        let mut subscription = journal.subscribe(start);
        let projector_models = Arc::clone(&models);
        let projector_vault = Arc::clone(&vault);
        let snapshots: Arc<parking_lot::Mutex<Vec<Arc<ReadModels>>>> = Arc::default();
        let projector_snapshots = Arc::clone(&snapshots);
        let erasures = Arc::new(AtomicU64::new(0));
        let projector_erasures = Arc::clone(&erasures);
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
                        if let Err(error) = apply(&projector_vault, &mut models, record) {
                            tracing::error!(%error, "projector cannot fold an event; stopping");
                            return;
                        }
                    }
                    models.position
                };
                if batch.iter().any(|r| r.event_type == ERASURE) {
                    // Past states folded before the erasure still hold what was erased.
                    let mut kept = projector_snapshots.lock();
                    projector_erasures.fetch_add(1, Ordering::SeqCst);
                    kept.clear();
                }
                applied_tx.send_replace(position);
            }
        });
        Ok(Desk {
            journal,
            vault,
            models,
            applied,
            clock,
            snapshots,
            erasures,
            signer,
        })
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Now, by the desk's clock (the one decisions are checked against).
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The key store of this desk's data (pseudonyms for evaluators come from it).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Decodes a recorded event into the domain's terms, opening its sealed personal values
    /// (erased ones read as `domain::ERASED`). The one place payloads are parsed.
    pub fn decode(&self, record: &RecordedEvent) -> Result<Event, DeskError> {
        decode(&self.vault, record)
    }

    /// A recorded event's payload with its sealed personal values opened (erased ones read as
    /// `domain::ERASED`), as a JSON value: what a reader allowed to see the event is shown.
    /// `None` when the payload holds no sealed value (read the stored bytes as they are).
    pub fn opened_payload_value(
        &self,
        record: &RecordedEvent,
    ) -> Result<Option<serde_json::Value>, DeskError> {
        if !is_sealed(&record.payload) {
            return Ok(None);
        }
        open_payload_value(&self.vault, record).map_err(|source| DeskError::Sealed {
            position: record.position,
            source,
        })
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
        let erasures = self.erasures.load(Ordering::SeqCst);
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
                return Ok((position, self.keep(current, erasures)));
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
                match decode(&self.vault, &record) {
                    Ok(event) => models.apply(&record, &event),
                    Err(_) => models.apply_undecodable(&record),
                }
            }
        }
        Ok((position, self.keep(models, erasures)))
    }

    /// Keeps `models` for the next as-of read, unless an erasure was folded since `erasures` was
    /// read (the models may have been folded with a key that is gone now).
    fn keep(&self, models: ReadModels, erasures: u64) -> Arc<ReadModels> {
        let models = Arc::new(models);
        let mut kept = self.snapshots.lock();
        if self.erasures.load(Ordering::SeqCst) != erasures {
            return models;
        }
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
            let mut events = to_new_events(actor, event_id, &decision.events);
            if let Err(refused) = self.seal(&decision.events, &mut events)? {
                return Ok(Err(refused));
            }
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

    /// Seals the personal values of the events about one person, in place.
    fn seal(
        &self,
        decided: &[Event],
        events: &mut [NewEvent],
    ) -> Result<Result<(), Refused>, DeskError> {
        for (event, new) in decided.iter().zip(events.iter_mut()) {
            let payload = std::mem::take(&mut new.payload);
            match sealed_payload(&self.vault, event, new.id, payload)? {
                Ok(sealed) => new.payload = sealed,
                Err(vault::Erased) => {
                    return Ok(Err(Refused::Rejected(Rejection::new(
                        "personId",
                        domain::RejectionKind::Erased,
                        "this person's data was erased: no new personal data is kept about them",
                    ))))
                }
            }
        }
        Ok(Ok(()))
    }

    /// A command whose event id is already recorded: a retry (same actor, same kind of fact)
    /// gets the original events back; anything else is `IdReused`.
    pub(crate) async fn repeat(
        &self,
        actor: &Actor,
        command: &Command,
        original: RecordedEvent,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        // A checkpoint's content is the desk's own (signed at the head when first asked): its
        // retry is the same actor asking again under the same id.
        let same = original.actor.id == actor.id
            && original.actor.role == actor.role.as_str()
            && original.event_type == command.event_type()
            && (matches!(command, Command::RecordCheckpoint(_))
                || same_content(command, &self.decode(&original)?));
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
            let record =
                parse_export_line(&self.vault, &line).map_err(|reason| stop(reason, &report))?;
            report.lines += 1;
            // Values sealed by another installation: the key store says so, so that a person
            // without a slot stays damage (see `check`).
            if is_sealed(&record.payload) {
                for person in sealed_persons(&record.payload) {
                    if self.vault.key_state(person) == vault::KeyState::Unknown {
                        self.vault.mark_foreign(person).map_err(DeskError::from)?;
                    }
                }
            }
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
            let ends_append = u32::from(record.append_index) + 1 >= u32::from(record.append_len);
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
            if u32::from(last.append_index) + 1 < u32::from(last.append_len) {
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
fn parse_export_line(vault: &Vault, line: &str) -> Result<RecordedEvent, String> {
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
    decode(vault, &record).map_err(|e| format!("position {}: {e}", record.position))?;
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
/// True when `command` asks for what `recorded` (the first event its id names, opened) holds:
/// every field the command shares with the event has the same value in both. A field the event
/// does not carry (derived otherwise) is not compared, nor a personal value that was erased
/// since. Commands carry what their first event records under the same names (the retry test in
/// `tests/desk.rs` runs every fixture command again), so an id reused for another person, other
/// needs or another time is told apart from a retry.
fn same_content(command: &Command, recorded: &Event) -> bool {
    let (Ok(serde_json::Value::Object(asked)), Ok(serde_json::Value::Object(held))) = (
        serde_json::to_value(command),
        serde_json::from_slice::<serde_json::Value>(&recorded.to_payload()),
    ) else {
        return false;
    };
    let erased = [
        domain::PersonalData::erased_json(),
        domain::PersonalNote::erased_json(),
    ];
    asked
        .iter()
        .filter(|(name, _)| name.as_str() != "command")
        .all(|(name, value)| match held.get(name) {
            None => true,
            Some(kept) => kept == value || erased.contains(kept),
        })
}

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

/// Decodes a recorded event into the domain's terms with the key store of its data: what
/// [`Desk::decode`] does, for callers that hold a [`Vault`] but no desk (a rebuild from a closed
/// journal).
pub fn decode(vault: &Vault, record: &RecordedEvent) -> Result<Event, DeskError> {
    let undecodable = |source| DeskError::Undecodable {
        position: record.position,
        source,
    };
    if is_sealed(&record.payload) {
        // Sealed by the desk: opened in place (an erased person's values open as erased), and
        // decoded from the opened value without writing it out again.
        let opened = open_payload_value(vault, record).map_err(|source| DeskError::Sealed {
            position: record.position,
            source,
        })?;
        if let Some(opened) = opened {
            return Event::from_value(&record.event_type, record.schema_version, opened)
                .map_err(undecodable);
        }
    }
    let payload = &record.payload[..];
    let event = Event::from_payload(&record.event_type, record.schema_version, payload)
        .map_err(undecodable)?;
    if let Some(person) = event.person_id() {
        if vault.key_state(person.0) == vault::KeyState::Destroyed {
            // Values written in clear before the vault existed read as erased too (their bytes
            // stay in the journal: see docs/adr/0003).
            if let Some(erased) = erase_personal(payload) {
                return Event::from_payload(&record.event_type, record.schema_version, &erased)
                    .map_err(undecodable);
            }
        }
    }
    Ok(event)
}

/// The payload with every personal value replaced by the erased marker; `None` when it has no
/// personal value that is not erased already.
fn erase_personal(payload: &[u8]) -> Option<Vec<u8>> {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(payload) else {
        return None;
    };
    let mut changed = false;
    let _ = visit_personal(&mut object, &mut |_, name, v| -> Result<(), ()> {
        let marker = domain::erased_json(name);
        if *v != marker {
            *v = marker;
            changed = true;
        }
        Ok(())
    });
    changed.then(|| {
        serde_json::to_vec(&serde_json::Value::Object(object)).expect("JSON values serialize")
    })
}

/// The event type whose folding destroys a person's key.
pub(crate) const ERASURE: &str = "PersonErased";
/// Bytes every payload with a sealed value contains.
const SEALED_MARK: &[u8] = b"\"sealed\"";

/// The persons whose sealed values a payload holds (from each sealed value's `person`).
pub(crate) fn sealed_persons(payload: &[u8]) -> Vec<Ulid> {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(payload) else {
        return Vec::new();
    };
    let mut persons = Vec::new();
    let _ = visit_personal(&mut object, &mut |_, _, v| -> Result<(), ()> {
        if let (Some(_), Some(person)) = (
            v.get("sealed"),
            v.get("person")
                .and_then(|p| p.as_str())
                .and_then(|p| p.parse::<Ulid>().ok()),
        ) {
            if !persons.contains(&person) {
                persons.push(person);
            }
        }
        Ok(())
    });
    persons
}

/// True when a payload holds a sealed value (it has [`SEALED_MARK`]).
pub(crate) fn is_sealed(payload: &[u8]) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(SEALED_MARK));
    FINDER.find(payload).is_some()
}

/// Calls `f(path, name, value)` for each personal value of a payload: each field named in
/// `PERSONAL_FIELD_NAMES` and each value of `personalFields`, each element of a list apart
/// (path `goals.1`), nulls skipped. Sealing and opening walk the same paths.
fn visit_personal<E>(
    object: &mut serde_json::Map<String, serde_json::Value>,
    f: &mut impl FnMut(&str, &str, &mut serde_json::Value) -> Result<(), E>,
) -> Result<(), E> {
    fn value<E>(
        path: &str,
        name: &str,
        v: &mut serde_json::Value,
        f: &mut impl FnMut(&str, &str, &mut serde_json::Value) -> Result<(), E>,
    ) -> Result<(), E> {
        match v {
            serde_json::Value::Null => Ok(()),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if !item.is_null() {
                        f(&format!("{path}.{i}"), name, item)?;
                    }
                }
                Ok(())
            }
            _ => f(path, name, v),
        }
    }
    for name in domain::PERSONAL_FIELD_NAMES {
        if let Some(v) = object.get_mut(*name) {
            value(name, name, v, f)?;
        }
    }
    if let Some(serde_json::Value::Object(fields)) = object.get_mut(domain::PERSONAL_FIELDS) {
        for (name, v) in fields.iter_mut() {
            value(&format!("{}.{name}", domain::PERSONAL_FIELDS), name, v, f)?;
        }
    }
    Ok(())
}

/// The same JSON with every object's keys in order, so that the bytes do not depend on whether
/// serde_json keeps insertion order in this build.
fn canonical(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(canonical).collect())
        }
        other => other,
    }
}

/// The payload to store for `event` (its JSON, `payload`), with its personal values sealed under
/// the key of the person it is about, as [`Desk::execute`] stores it; `Err(Erased)` when that
/// person's key was destroyed. For tools that append decided events themselves (the bench).
pub fn sealed_payload(
    vault: &Vault,
    event: &Event,
    event_id: Ulid,
    payload: Vec<u8>,
) -> Result<Result<Vec<u8>, vault::Erased>, DeskError> {
    let Some(person) = event.person_id() else {
        return Ok(Ok(payload));
    };
    Ok(seal_payload(vault, person.0, event_id, &payload)?.map(|sealed| sealed.unwrap_or(payload)))
}

/// Seals the personal values of a payload about `person`: `Ok(Ok(None))` when it has none (the
/// payload stays as it is), `Ok(Err(Erased))` when the person's key was destroyed.
fn seal_payload(
    vault: &Vault,
    person: Ulid,
    event_id: Ulid,
    payload: &[u8],
) -> Result<Result<Option<Vec<u8>>, vault::Erased>, DeskError> {
    use base64::Engine as _;
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(payload) else {
        return Ok(Ok(None));
    };
    let mut sealed_any = false;
    let outcome = visit_personal(&mut object, &mut |path, _name, v| {
        let plaintext = zeroize::Zeroizing::new(
            serde_json::to_vec(&canonical(v.take())).expect("JSON values serialize"),
        );
        match vault.seal(person, event_id, path, &plaintext) {
            Ok(Ok(sealed)) => {
                *v = serde_json::json!({
                    "person": person.to_string(),
                    "sealed": base64::engine::general_purpose::STANDARD.encode(sealed),
                });
                sealed_any = true;
                Ok(())
            }
            Ok(Err(erased)) => Err(Ok(erased)),
            Err(e) => Err(Err(e)),
        }
    });
    match outcome {
        Ok(()) => {}
        Err(Ok(erased)) => return Ok(Err(erased)),
        Err(Err(e)) => return Err(e.into()),
    }
    if !sealed_any {
        return Ok(Ok(None));
    }
    let bytes = serde_json::to_vec(&canonical(serde_json::Value::Object(object)))
        .expect("JSON values serialize");
    Ok(Ok(Some(bytes)))
}

/// The payload with its sealed values opened (or replaced by the erased marker); `None` when
/// it holds no sealed value after all.
fn open_payload_value(
    vault: &Vault,
    record: &RecordedEvent,
) -> Result<Option<serde_json::Value>, vault::VaultError> {
    use base64::Engine as _;
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(&record.payload) else {
        return Ok(None);
    };
    let mut opened_any = false;
    visit_personal(&mut object, &mut |path, name, v| {
        let (Some(serde_json::Value::String(sealed)), Some(serde_json::Value::String(person))) =
            (v.get("sealed"), v.get("person"))
        else {
            return Ok(());
        };
        let Ok(person) = person.parse::<Ulid>() else {
            return Ok(());
        };
        let Ok(sealed) = base64::engine::general_purpose::STANDARD.decode(sealed) else {
            return Err(vault::VaultError::Unopenable { person });
        };
        opened_any = true;
        *v = match vault.open_sealed(person, record.id, path, &sealed)? {
            Opened::Plain(plain) => serde_json::from_slice(&plain)
                .map_err(|_| vault::VaultError::Unopenable { person })?,
            Opened::Erased | Opened::NoKey => domain::erased_json(name),
        };
        Ok(())
    })?;
    if !opened_any {
        return Ok(None);
    }
    Ok(Some(serde_json::Value::Object(object)))
}

/// The domain's view of a recorded event's envelope. A role this build does not know or a
/// `recorded_at` outside the calendar is an error with the position, never a guess.
pub fn meta(record: &RecordedEvent) -> Result<EventMeta, DeskError> {
    let role = domain::Role::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == record.actor.role)
        .ok_or_else(|| DeskError::UnknownRole {
            position: record.position,
            role: record.actor.role.clone(),
        })?;
    let recorded_at = record
        .recorded_at
        .to_datetime()
        .ok_or(DeskError::UnreadableRecordedAt {
            position: record.position,
            micros: record.recorded_at.0,
        })?;
    Ok(EventMeta {
        id: record.id,
        stream: StreamId::new(record.stream.clone()),
        version: record.version,
        position: record.position.0,
        recorded_at,
        actor: Actor::new(record.actor.id.clone(), role),
    })
}

/// Records handed from one replay thread to the next at a time.
const REPLAY_BATCH: usize = 256;
/// Batches a replay thread may run ahead of the next one.
const REPLAY_QUEUE: usize = 4;

type Decoded = Vec<(RecordedEvent, Event)>;

/// Folds a whole journal into new models, on four threads: the caller runs `read`, which hands
/// every record in position order to the closure it is given (the journal's open scan, or a
/// read of an open journal); one thread copies each record out (`to_record`) and decodes it
/// (parsing JSON and opening sealed values); one folds the write model and one the read models,
/// each in journal order. The same as `apply` on each record in turn, except that the keys of
/// erased persons are destroyed at the end, once `read` has returned `Ok` (an open that fails
/// its checks after the scan destroys nothing).
///
/// What a thread allocates goes back to it to be freed: the handed records to the reading
/// thread, the copied records and events (once both models folded them) to the decoding one.
/// The system allocator (glibc) pays dearly for memory freed by another thread than the one
/// that allocated it (in a million-event replay, about as much as the whole open scan).
fn replay<T, R: Send>(
    vault: &Vault,
    read: impl FnOnce(&mut dyn FnMut(R)) -> Result<T, DeskError>,
    to_record: impl Fn(&R) -> Result<RecordedEvent, DeskError> + Send,
) -> Result<(T, Models, Option<SignedWith>), DeskError> {
    use std::sync::mpsc::{channel, sync_channel};
    let (records_tx, records) = sync_channel::<Vec<R>>(REPLAY_QUEUE);
    let (desk_tx, desk_batches) = sync_channel::<Arc<Decoded>>(REPLAY_QUEUE);
    let (read_tx, read_batches) = sync_channel::<Arc<Decoded>>(REPLAY_QUEUE);
    // Unbounded, so that giving a batch back never blocks a folding thread.
    let (folded_tx, folded) = channel::<Decoded>();
    let (spent_tx, spent) = channel::<Vec<R>>();
    let (read_out, decoded, desk, (read_models, erased)) = std::thread::scope(|scope| {
        let decoder = scope.spawn(move || -> Result<KeyCheck, DeskError> {
            // The records and events are made here and freed here when they come back folded;
            // what the reading thread made (`R`) goes back to it once copied out.
            let mut outs: Vec<Decoded> = Vec::new();
            let mut keys = KeyCheck::default();
            for batch in records {
                for mut done in folded.try_iter() {
                    done.clear();
                    outs.push(done);
                }
                let mut out = outs.pop().unwrap_or_default();
                for read in &batch {
                    let record = to_record(read)?;
                    let event = decode(vault, &record)?;
                    keys.note(vault, &record, &event);
                    out.push((record, event));
                }
                let _ = spent_tx.send(batch);
                let out = Arc::new(out);
                if desk_tx.send(Arc::clone(&out)).is_err() || read_tx.send(out).is_err() {
                    break;
                }
            }
            drop((desk_tx, read_tx));
            folded.iter().for_each(drop);
            Ok(keys)
        });
        let desk_folded = folded_tx.clone();
        let desk = scope.spawn(move || {
            let mut desk = DeskState::new();
            for batch in desk_batches {
                for (record, event) in batch.iter() {
                    desk.apply_stored(record.id, &record.stream, record.version, event);
                }
                if let Some(batch) = Arc::into_inner(batch) {
                    let _ = desk_folded.send(batch);
                }
            }
            desk
        });
        let read_models = scope.spawn(move || {
            let mut read = ReadModels::default();
            let mut erased = Vec::new();
            for batch in read_batches {
                for (record, event) in batch.iter() {
                    read.apply(record, event);
                    if let Event::PersonErased(e) = event {
                        erased.push(e.person_id.0);
                    }
                }
                if let Some(batch) = Arc::into_inner(batch) {
                    let _ = folded_tx.send(batch);
                }
            }
            (read, erased)
        });
        let mut batch = Vec::with_capacity(REPLAY_BATCH);
        let mut open = true;
        let read_out = read(&mut |record| {
            if !open {
                return;
            }
            batch.push(record);
            if batch.len() == REPLAY_BATCH {
                let next = match spent.try_iter().last() {
                    Some(mut used) => {
                        used.clear();
                        used
                    }
                    None => Vec::with_capacity(REPLAY_BATCH),
                };
                // The decoder stopped at an undecodable event: read on, fold no more.
                open = records_tx.send(std::mem::replace(&mut batch, next)).is_ok();
            }
        });
        if open && !batch.is_empty() {
            let _ = records_tx.send(batch);
        }
        drop(records_tx);
        spent.iter().for_each(drop);
        let join = |name| move |_| DeskError::ReplayThread { name };
        Ok::<_, DeskError>((
            read_out,
            decoder.join().map_err(join("decode"))?,
            desk.join().map_err(join("write model"))?,
            read_models.join().map_err(join("read models"))?,
        ))
    })?;
    let read_out = read_out?;
    let keys = decoded?;
    if let Some((position, person)) = keys.missing_first {
        return Err(DeskError::KeyStoreDamaged {
            position: Some(position),
            what: format!(
                "no key for {} whose values the journal seals (the first, person {person}, at \
                 position {position})",
                check::persons(keys.missing.len())
            ),
        });
    }
    let erased_set: std::collections::HashSet<Ulid> = erased.iter().copied().collect();
    let unexplained: Vec<Ulid> = vault
        .destroyed()
        .into_iter()
        .filter(|person| !erased_set.contains(person))
        .collect();
    if let Some(first) = unexplained.first() {
        return Err(DeskError::KeyStoreDamaged {
            position: None,
            what: format!(
                "the keys of {} read as destroyed (the first, person {first}) with no \
                 PersonErased in the journal",
                check::persons(unexplained.len())
            ),
        });
    }
    // The journal has opened (its checks passed): the erasures it holds can take effect. The
    // keys were destroyed when the erasures were first folded, unless a crash came in between.
    for person in erased {
        vault.destroy(person)?;
    }
    let position = read_models.position();
    Ok((
        read_out,
        Models {
            desk,
            read: read_models,
            position,
        },
        keys.signed_with,
    ))
}

/// The position of the journal's last `CheckpointSigned` and the public key (hex) it names.
type SignedWith = (Position, String);

/// What the replay learns about keys as it decodes: persons whose sealed values have no slot
/// in the key store (damage: only a `PersonErased` erases), and the key of the last checkpoint.
#[derive(Default)]
struct KeyCheck {
    missing: std::collections::HashSet<Ulid>,
    missing_first: Option<(Position, Ulid)>,
    signed_with: Option<SignedWith>,
}

impl KeyCheck {
    fn note(&mut self, vault: &Vault, record: &RecordedEvent, event: &Event) {
        if let Event::CheckpointSigned(e) = event {
            self.signed_with = Some((record.position, e.public_key.clone()));
        }
        if !is_sealed(&record.payload) {
            return;
        }
        for person in sealed_persons(&record.payload) {
            if vault.key_state(person) == vault::KeyState::Unknown && self.missing.insert(person) {
                self.missing_first.get_or_insert((record.position, person));
            }
        }
    }
}

fn apply(vault: &Vault, models: &mut Models, record: &RecordedEvent) -> Result<(), DeskError> {
    if record.position <= models.position {
        return Ok(());
    }
    let event = decode(vault, record)?;
    fold(vault, models, record, &event)
}

/// Folds one decoded event into the write model and the read models.
fn fold(
    vault: &Vault,
    models: &mut Models,
    record: &RecordedEvent,
    event: &Event,
) -> Result<(), DeskError> {
    if record.position <= models.position {
        return Ok(());
    }
    models
        .desk
        .apply_stored(record.id, &record.stream, record.version, event);
    models.read.apply(record, event);
    if let Event::PersonErased(erased) = event {
        // The journal acknowledged the erasure (readers see only durable records): the key can
        // go. After a crash between the two, the replay at the next open destroys it.
        vault.destroy(erased.person_id.0)?;
    }
    models.position = record.position;
    Ok(())
}
