//! The projector: follows the journal's subscription and folds each acknowledged record into
//! the write model and the read models, in journal order, then announces the applied position.

use std::sync::atomic::{AtomicU64, Ordering};
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
use crate::{Clock, Desk, DeskError, Models};

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
                if batch
                    .iter()
                    .any(|r| r.event_type == ERASURE || r.event_type == REDACTION)
                {
                    // Past states folded before an erasure or a redaction still hold what it
                    // took away.
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
            agenda: Arc::default(),
        })
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
    if let Some(key) = destroyed_key(event) {
        // The journal acknowledged the erasure or redaction (readers see only durable records):
        // the key can go. After a crash between the two, the replay at the next open destroys it.
        vault.destroy(key)?;
    }
    models.position = record.position;
    Ok(())
}
