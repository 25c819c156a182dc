//! The replay at open: the journal (or its tail after a snapshot, `snapshot.rs`) folded into
//! the models on four threads, and the key store checked against what the journal seals and
//! erases.

use std::sync::Arc;

use domain::{DeskState, Event};
use journal::{ChainHash, Position, RecordedEvent};
use projections::ReadModels;
use ulid::Ulid;
use vault::Vault;

use crate::sealing::{decode, destroyed_key, is_sealed, key_of};
use crate::{check, DeskError, Models};

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
pub(crate) fn replay<T, R: Send>(
    vault: &Vault,
    read: impl FnOnce(&mut dyn FnMut(R)) -> Result<T, DeskError>,
    to_record: impl Fn(&R) -> Result<RecordedEvent, DeskError> + Send,
) -> Result<(T, Models, Option<SignedWith>), DeskError> {
    let (read_out, folded) = fold_records(vault, None, read, to_record)?;
    let (models, signed_with) = folded.finish(vault)?;
    Ok((read_out, models, signed_with))
}

/// Models a snapshot was folded to, and what the replay knew about keys by then: where a
/// replay starts instead of from nothing (`snapshot.rs`).
pub(crate) struct Seed {
    pub desk: DeskState,
    pub read: ReadModels,
    pub ledger: Ledger,
    /// The chain hash of the record at the models' position.
    pub hash: ChainHash,
}

/// What [`fold_records`] folded, before the key store is checked against it.
pub(crate) struct Folded {
    desk: DeskState,
    read: ReadModels,
    ledger: Ledger,
    /// The chain hash of the last record folded (the seed's, if none was).
    hash: ChainHash,
    /// The erasures the seed already held (`ledger.erased[..seeded_erasures]`).
    seeded_erasures: usize,
}

impl Folded {
    /// The replay folded erasures or redactions beyond those of its seed.
    pub(crate) fn erased_after_seed(&self) -> bool {
        self.ledger.erased.len() > self.seeded_erasures
    }

    /// Checks the key store against what the journal seals and erases, destroys the keys of
    /// the erased (idempotent), and hands the models over. Call it only once the journal's
    /// open has passed its checks.
    pub(crate) fn finish(self, vault: &Vault) -> Result<(Models, Option<SignedWith>), DeskError> {
        check_keys(vault, &self.ledger)?;
        // The journal has opened (its checks passed): the erasures it holds can take effect.
        // The keys were destroyed when the erasures were first folded, unless a crash came in
        // between.
        for person in &self.ledger.erased {
            vault.destroy(*person)?;
        }
        let position = self.read.position();
        let signed_with = self.ledger.signed_with.clone();
        Ok((
            Models {
                desk: self.desk,
                read: self.read,
                position,
                hash: self.hash,
                ledger: self.ledger,
            },
            signed_with,
        ))
    }
}

/// Folds the records `read` hands into the models of `seed` (new models without one), on four
/// threads: the caller runs `read`, which hands every record in position order to the closure
/// it is given (the journal's open scan, or a read of an open journal); one thread copies each
/// record out (`to_record`) and decodes it (parsing JSON and opening sealed values); one folds
/// the write model and one the read models, each in journal order. The same as `apply` on each
/// record in turn; nothing is destroyed or checked here ([`Folded::finish`] does, once `read`
/// has returned `Ok`: an open that fails its checks after the scan destroys nothing).
///
/// What a thread allocates goes back to it to be freed: the handed records to the reading
/// thread, the copied records and events (once both models folded them) to the decoding one.
/// The system allocator (glibc) pays dearly for memory freed by another thread than the one
/// that allocated it (in a million-event replay, about as much as the whole open scan).
pub(crate) fn fold_records<T, R: Send>(
    vault: &Vault,
    seed: Option<Seed>,
    read: impl FnOnce(&mut dyn FnMut(R)) -> Result<T, DeskError>,
    to_record: impl Fn(&R) -> Result<RecordedEvent, DeskError> + Send,
) -> Result<(T, Folded), DeskError> {
    use std::sync::mpsc::{channel, sync_channel};
    let (seed_desk, seed_read, seed_ledger, seed_hash) = match seed {
        Some(seed) => (seed.desk, seed.read, seed.ledger, seed.hash),
        None => (
            DeskState::new(),
            ReadModels::default(),
            Ledger::default(),
            ChainHash([0; 32]),
        ),
    };
    let seeded_erasures = seed_ledger.erased.len();
    let (records_tx, records) = sync_channel::<Vec<R>>(REPLAY_QUEUE);
    let (desk_tx, desk_batches) = sync_channel::<Arc<Decoded>>(REPLAY_QUEUE);
    let (read_tx, read_batches) = sync_channel::<Arc<Decoded>>(REPLAY_QUEUE);
    // Unbounded, so that giving a batch back never blocks a folding thread.
    let (folded_tx, folded) = channel::<Decoded>();
    let (spent_tx, spent) = channel::<Vec<R>>();
    let (read_out, ledger, desk, (read_models, hash)) = std::thread::scope(|scope| {
        let decoder = scope.spawn(move || -> Result<Ledger, DeskError> {
            // The records and events are made here and freed here when they come back folded;
            // what the reading thread made (`R`) goes back to it once copied out.
            let mut outs: Vec<Decoded> = Vec::new();
            let mut ledger = seed_ledger;
            for batch in records {
                for mut done in folded.try_iter() {
                    done.clear();
                    outs.push(done);
                }
                let mut out = outs.pop().unwrap_or_default();
                for read in &batch {
                    let record = to_record(read)?;
                    let event = decode(vault, &record)?;
                    ledger.note(&record, &event);
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
            Ok(ledger)
        });
        let desk_folded = folded_tx.clone();
        let desk = scope.spawn(move || {
            let mut desk = seed_desk;
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
            let mut read = seed_read;
            let mut hash = seed_hash;
            for batch in read_batches {
                for (record, event) in batch.iter() {
                    read.apply(record, event);
                    hash = record.hash;
                }
                if let Some(batch) = Arc::into_inner(batch) {
                    let _ = folded_tx.send(batch);
                }
            }
            (read, hash)
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
    Ok((
        read_out,
        Folded {
            desk,
            read: read_models,
            ledger: ledger?,
            hash,
            seeded_erasures,
        },
    ))
}

/// The key store against the ledger: every person (or text) whose values the journal seals has
/// a slot, and every destroyed key has its `PersonErased` (or `TextRedacted`).
fn check_keys(vault: &Vault, ledger: &Ledger) -> Result<(), DeskError> {
    let mut missing: Vec<(Position, Ulid)> = ledger
        .sealed
        .iter()
        .filter(|(person, _)| vault.key_state(**person) == vault::KeyState::Unknown)
        .map(|(person, position)| (*position, *person))
        .collect();
    missing.sort();
    if let Some((position, person)) = missing.first() {
        return Err(DeskError::KeyStoreDamaged {
            position: Some(*position),
            what: format!(
                "no key for {} whose values the journal seals (the first, person {person}, at \
                 position {position})",
                check::persons(missing.len())
            ),
        });
    }
    let erased_set: std::collections::HashSet<Ulid> = ledger.erased.iter().copied().collect();
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
                 PersonErased (or TextRedacted) in the journal",
                check::persons(unexplained.len())
            ),
        });
    }
    Ok(())
}

/// The position of the journal's last `CheckpointSigned` and the public key (hex) it names.
pub(crate) type SignedWith = (Position, String);

/// What the replay learns about keys as it folds, beside the models (and kept with them in a
/// snapshot): the persons (and texts) whose values the journal seals, with the first position
/// that does; the erasures and redactions; the key of the last checkpoint.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Ledger {
    pub sealed: rustc_hash::FxHashMap<Ulid, Position>,
    pub erased: Vec<Ulid>,
    pub signed_with: Option<SignedWith>,
}

impl Ledger {
    pub(crate) fn note(&mut self, record: &RecordedEvent, event: &Event) {
        if let Event::CheckpointSigned(e) = event {
            self.signed_with = Some((record.position, e.public_key.clone()));
        }
        if let Some(key) = destroyed_key(event) {
            self.erased.push(key);
        }
        // The desk seals a payload's values under the person the event names (`sealed_payload`):
        // the decoded event says whose key it needs, without parsing the payload again.
        let Some(person) = key_of(event, record.id) else {
            return;
        };
        if is_sealed(&record.payload) {
            self.sealed.entry(person).or_insert(record.position);
        }
    }
}
