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

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::{Actor, DeskState, Event, EventMeta, StreamId};
use journal::{Journal, Position, RecordedEvent};
use parking_lot::RwLock;
use projections::ReadModels;
use tokio::sync::watch;
use vault::Vault;

pub use journal;
pub use projections;
pub use vault;

pub mod read_audit;

mod as_of;
pub mod bundle;
pub mod check;
mod checkpoint;
mod error;
mod execute;
pub mod export;
mod import;
mod projector;
pub mod region;
mod replay;
mod sealing;
pub mod snapshot;
pub mod subject_access;

pub use as_of::AsOf;
pub use checkpoint::{
    key_path, load_key, load_or_create_key, signed_from_event, ConsistencyProofView,
    InclusionProofView, RecordedCheckpoint, KEY_FILE,
};
pub use error::DeskError;
pub use execute::{describe_refusal, Recorded, Refused};
pub use import::{is_export_line, ImportError, ImportReport};
pub use sealing::{decode, sealed_payload};
pub(crate) use sealing::{is_sealed, sealed_persons, ERASURE};

use replay::{fold_records, replay};
use sealing::open_payload_value;

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
    /// The project's start: commands that say an earlier time are refused, naming it
    /// (default: [`domain::ProjectStart::fami_programme`]).
    pub project_start: domain::ProjectStart,
    /// Write a snapshot of the models (`models.snapshot`, `docs/adr/0014-snapshots.md`) once
    /// they have folded this many events past the last one, in the background; 0: only when
    /// asked ([`Desk::snapshot`]). A read-only desk writes none (and reads none: it folds the
    /// whole journal).
    pub snapshot_every: u64,
}

impl Default for DeskOptions {
    fn default() -> Self {
        DeskOptions {
            journal: journal::Options::default(),
            clock: Arc::new(Utc::now),
            master_key: None,
            read_only: false,
            project_start: domain::ProjectStart::default(),
            snapshot_every: SNAPSHOT_EVERY,
        }
    }
}

/// The default of [`DeskOptions::snapshot_every`]: at a million events, a snapshot every tenth
/// of the history, so an open folds at most that tail.
pub const SNAPSHOT_EVERY: u64 = 100_000;

struct Models {
    desk: DeskState,
    read: ReadModels,
    position: Position,
    /// The chain hash of the record at `position` (a snapshot states it).
    hash: journal::ChainHash,
    /// What the replay knew about keys, kept up to date by the projector (for snapshots).
    ledger: replay::Ledger,
}

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
    /// Held from decision to fold by the commands that read the mediators' agenda across
    /// appointment streams ([`Command::reads_the_agenda`]): two bookings of one mediator sent at
    /// once are decided one after the other, the second against the first.
    agenda: Arc<tokio::sync::Mutex<()>>,
    /// Writing the snapshot of the models, and deleting it at an erasure, one at a time.
    snapshot: Arc<projector::SnapshotState>,
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
        // A snapshot is used only if the journal holds its hash at its position: the records up
        // to it are then checked by the open scan but not folded.
        let loaded = if options.read_only {
            None
        } else {
            snapshot::read(dir, &vault)
        };
        let at = loaded.as_ref().map(|l| (l.position, l.hash));
        let mut verdict = at.map(|_| false);
        let (journal, folded) = fold_records(
            &vault,
            loaded.map(|l| l.seed),
            |each| {
                Journal::open_and_read(dir, journal_options, |stored| {
                    let Some((position, hash)) = at else {
                        return each(stored);
                    };
                    match stored.position().cmp(&position) {
                        std::cmp::Ordering::Less => {}
                        std::cmp::Ordering::Equal => {
                            verdict = Some(stored.to_recorded().is_ok_and(|r| r.hash == hash));
                        }
                        std::cmp::Ordering::Greater if verdict == Some(true) => each(stored),
                        std::cmp::Ordering::Greater => {}
                    }
                })
                .map_err(DeskError::from)
            },
            |stored: &journal::StoredRecord| stored.to_recorded().map_err(DeskError::from),
        )?;
        let (folded, rewrite) = match verdict {
            Some(false) => {
                // The journal does not hold the snapshot's hash at its position (another
                // journal, or one cut or changed under it): fold the whole journal.
                tracing::warn!(
                    position = at.map_or(0, |(p, _)| p.get()),
                    "the models' snapshot does not match the journal; folding the journal"
                );
                snapshot::delete(dir)?;
                let ((), folded) = fold_records(
                    &vault,
                    None,
                    |each| {
                        for record in journal.iter_forward(Position(1)) {
                            each(record?);
                        }
                        Ok(())
                    },
                    |record: &RecordedEvent| Ok(record.clone()),
                )?;
                (folded, true)
            }
            Some(true) if folded.erased_after_seed() => {
                // The snapshot holds what an erasure in the tail took away (a crash came
                // between the erasure and its deletion): it goes now, before anything else.
                snapshot::delete(dir)?;
                (folded, true)
            }
            _ => (folded, false),
        };
        let (mut models, signed_with) = folded.finish(&vault)?;
        models.desk.set_project_start(options.project_start);
        let snapshot_at = match (verdict, rewrite) {
            (Some(true), false) => at.map_or(Position::ZERO, |(p, _)| p),
            _ => Position::ZERO,
        };
        let every = if journal.is_read_only() {
            0
        } else {
            options.snapshot_every
        };
        Desk::start(
            journal,
            vault,
            options.clock,
            models,
            signed_with,
            projector::SnapshotState::new(every, snapshot_at),
        )
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
        let snapshots = projector::SnapshotState::new(0, Position::ZERO);
        Desk::start(journal, vault, clock, models, signed_with, snapshots)
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
