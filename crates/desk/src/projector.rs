//! The projector: follows the journal's subscription and folds each acknowledged record into
//! the write model and the read models, in journal order, then announces the applied position.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use domain::Event;
use journal::{Journal, RecordedEvent};
use parking_lot::RwLock;
use projections::ReadModels;
use tokio::sync::watch;
use vault::Vault;

use crate::checkpoint::{self, load_or_create_key};
use crate::replay::SignedWith;
use crate::sealing::{decode, destroyed_key, ERASURE, REDACTION};
use crate::snapshot;
use crate::{Clock, Desk, DeskError, Models};
use journal::Position;

impl Desk {
    /// Starts the projector on models replayed up to the journal's head. `signed_with` is the
    /// position and public key of the journal's last checkpoint: the key file must hold that
    /// key (a missing file is then an error, never a new key).
    pub(crate) fn start(
        journal: Journal,
        vault: Arc<Vault>,
        clock: Clock,
        models: Models,
        signed_with: Option<SignedWith>,
        snapshots_written: SnapshotState,
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
        let writer = SnapshotWriter {
            dir: journal.dir().to_path_buf(),
            vault: Arc::clone(&vault),
            models: Arc::clone(&models),
            erasures: Arc::clone(&erasures),
            state: Arc::new(snapshots_written),
        };
        let snapshot = Arc::clone(&writer.state);
        writer.when_due();
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
                let erasing = batch
                    .iter()
                    .any(|r| r.event_type == ERASURE || r.event_type == REDACTION);
                if erasing {
                    // No snapshot may outlive what the erasure takes away: it goes before the
                    // key does (and again below, should one have been written meanwhile).
                    if let Err(error) = writer.forget() {
                        tracing::error!(%error, "cannot delete the models' snapshot; stopping");
                        return;
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
                if erasing {
                    // Past states folded before an erasure or a redaction still hold what it
                    // took away.
                    let mut kept = projector_snapshots.lock();
                    projector_erasures.fetch_add(1, Ordering::SeqCst);
                    kept.clear();
                    drop(kept);
                    if let Err(error) = writer.forget() {
                        tracing::error!(%error, "cannot delete the models' snapshot; stopping");
                        return;
                    }
                }
                applied_tx.send_replace(position);
                writer.when_due();
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
            agenda: Arc::default(),
            snapshot,
        })
    }

    /// The position of the snapshot this desk's open started from, folding only the journal
    /// after it; `None` when the open folded the whole journal.
    pub fn snapshot_used_at_open(&self) -> Option<Position> {
        let used = self.snapshot.used_at_open;
        (used != Position::ZERO).then_some(used)
    }

    /// Writes a snapshot of the models as they are now (`docs/adr/0014-snapshots.md`), e.g. at
    /// a clean shutdown; blocking. `None` when there is nothing to snapshot (an empty journal, a
    /// read-only desk) or an erasure was folded meanwhile (none is then kept).
    pub fn snapshot(&self) -> Result<Option<Position>, DeskError> {
        if self.journal.is_read_only() {
            return Ok(None);
        }
        SnapshotWriter {
            dir: self.journal.dir().to_path_buf(),
            vault: Arc::clone(&self.vault),
            models: Arc::clone(&self.models),
            erasures: Arc::clone(&self.erasures),
            state: Arc::clone(&self.snapshot),
        }
        .write()
    }
}

/// When the desk writes snapshots of its models, and the last one it wrote.
pub(crate) struct SnapshotState {
    /// Write one each time the models have folded this many events past the last (0: never).
    every: u64,
    /// The position of the last snapshot written, or used at open.
    last: AtomicU64,
    /// One is being written in the background.
    writing: AtomicBool,
    /// Held while a snapshot is renamed into place, or deleted.
    file: parking_lot::Mutex<()>,
    /// The position of the snapshot the open started from (zero: it folded the whole journal).
    used_at_open: Position,
}

impl SnapshotState {
    pub(crate) fn new(every: u64, last: Position) -> SnapshotState {
        SnapshotState {
            every,
            last: AtomicU64::new(last.get()),
            writing: AtomicBool::new(false),
            file: parking_lot::Mutex::new(()),
            used_at_open: last,
        }
    }
}

/// What writing a snapshot needs of the desk (never the journal itself: the projector holds
/// one, and a handle kept there would keep a closed journal's files locked).
struct SnapshotWriter {
    dir: std::path::PathBuf,
    vault: Arc<Vault>,
    models: Arc<RwLock<Models>>,
    erasures: Arc<AtomicU64>,
    state: Arc<SnapshotState>,
}

impl SnapshotWriter {
    /// Starts writing a snapshot in the background if the models have folded enough events
    /// since the last one and none is being written.
    fn when_due(&self) {
        let every = self.state.every;
        if every == 0 {
            return;
        }
        let position = self.models.read().position.get();
        if position < self.state.last.load(Ordering::SeqCst).saturating_add(every)
            || self.state.writing.swap(true, Ordering::SeqCst)
        {
            return;
        }
        let writer = SnapshotWriter {
            dir: self.dir.clone(),
            vault: Arc::clone(&self.vault),
            models: Arc::clone(&self.models),
            erasures: Arc::clone(&self.erasures),
            state: Arc::clone(&self.state),
        };
        tokio::task::spawn_blocking(move || {
            if let Err(error) = writer.write() {
                tracing::warn!(%error, "no snapshot of the models written");
            }
            writer.state.writing.store(false, Ordering::SeqCst);
        });
    }

    /// Writes a snapshot of the models as they are now; none is kept if an erasure was folded
    /// while it was written.
    fn write(&self) -> Result<Option<Position>, DeskError> {
        let (desk, read, ledger, position, hash, erasures) = {
            let models = self.models.read();
            if models.position == Position::ZERO {
                return Ok(None);
            }
            (
                models.desk.clone(),
                models.read.clone(),
                models.ledger.clone(),
                models.position,
                models.hash,
                self.erasures.load(Ordering::SeqCst),
            )
        };
        let kept = snapshot::write(
            &self.dir,
            &self.vault,
            position,
            hash,
            &desk,
            &read,
            &ledger,
            &self.state.file,
            || self.erasures.load(Ordering::SeqCst) == erasures,
        )?;
        if !kept {
            return Ok(None);
        }
        self.state.last.fetch_max(position.get(), Ordering::SeqCst);
        tracing::info!(position = position.get(), "snapshot of the models written");
        Ok(Some(position))
    }

    /// Deletes the snapshot (an erasure is being folded).
    fn forget(&self) -> Result<(), DeskError> {
        let _guard = self.state.file.lock();
        snapshot::delete(&self.dir)
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
    models.ledger.note(record, event);
    models.hash = record.hash;
    if let Some(key) = destroyed_key(event) {
        // The journal acknowledged the erasure or redaction (readers see only durable records):
        // the key can go. After a crash between the two, the replay at the next open destroys it.
        vault.destroy(key)?;
    }
    models.position = record.position;
    Ok(())
}
