//! Snapshots of the models (`docs/adr/0014-snapshots.md`): the write model, the read models and
//! the replay's ledger of keys, as folded up to a position, in one file of the data directory,
//! `models.snapshot`. Derived data: it can be deleted at any time, and the next open folds the
//! whole journal instead.
//!
//! The file: [`MAGIC`] ‖ position (u64, big-endian) ‖ the chain hash of the record at that
//! position (32) ‖ the body, MessagePack of the models sealed by [`Vault::seal_snapshot`] (a key
//! derived from the master key, the header bound as associated data). The read models hold
//! opened personal values: they are never on disk in clear, and a snapshot that any byte was
//! changed in, or that was cut, does not open and is refused.
//!
//! Used at open only if the journal holds that hash at that position (only the tail after it
//! is then folded); refused and rebuilt otherwise. Written to a temporary file, synced, renamed,
//! and the directory synced, so a crash leaves the old snapshot or the new one. An erasure or a
//! redaction deletes it before the key goes and again once the models have folded it, and a
//! snapshot being written while one is folded is not kept: no snapshot outlives what it erases.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use domain::DeskState;
use journal::{ChainHash, Position};
use projections::ReadModels;
use serde::{Deserialize, Serialize};
use vault::Vault;

use crate::replay::{Ledger, Seed};
use crate::DeskError;

/// The snapshot's file in the data directory.
pub const FILE: &str = "models.snapshot";
/// Where a snapshot is written before it is renamed to [`FILE`].
const TEMP: &str = "models.snapshot.tmp";
/// The first bytes of a snapshot, with its format's number (3: survey definitions and the
/// definition each response answers, and the read models keep the order of their rows,
/// `projections/src/index.rs`); a snapshot of another format is refused and rebuilt.
const MAGIC: &[u8; 16] = b"impact-models\n\0\x03";
const HEADER_LEN: usize = 16 + 8 + 32;

/// The path of the snapshot of the data directory `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

#[derive(Serialize)]
struct BodyRef<'a> {
    desk: &'a DeskState,
    read: &'a ReadModels,
    ledger: &'a Ledger,
}

#[derive(Deserialize)]
struct Body {
    desk: DeskState,
    read: ReadModels,
    ledger: Ledger,
}

/// A snapshot read from its file: where it says it was folded to, and the models.
pub(crate) struct Loaded {
    pub position: Position,
    pub hash: ChainHash,
    pub seed: Seed,
}

fn header(position: Position, hash: ChainHash) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..16].copy_from_slice(MAGIC);
    out[16..24].copy_from_slice(&position.get().to_be_bytes());
    out[24..].copy_from_slice(&hash.0);
    out
}

/// Writes the snapshot of models folded up to `position`, whose record has `hash`: to the
/// temporary file, synced; then, under `lock`, `keep` is asked whether it may replace the
/// snapshot, and it is renamed and the directory synced if so. Returns whether it was kept.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write(
    dir: &Path,
    vault: &Vault,
    position: Position,
    hash: ChainHash,
    desk: &DeskState,
    read: &ReadModels,
    ledger: &Ledger,
    lock: &parking_lot::Mutex<()>,
    keep: impl FnOnce() -> bool,
) -> Result<bool, DeskError> {
    let body = rmp_serde::to_vec_named(&BodyRef { desk, read, ledger }).map_err(|e| {
        DeskError::Snapshot {
            what: format!("cannot encode the models: {e}"),
        }
    })?;
    let head = header(position, hash);
    let sealed = vault.seal_snapshot(&head, body)?;
    let temp = dir.join(TEMP);
    let io = |op: &'static str, path: &Path, e: std::io::Error| DeskError::Snapshot {
        what: format!("cannot {op} {}: {e}", path.display()),
    };
    {
        let mut file = File::create(&temp).map_err(|e| io("create", &temp, e))?;
        file.write_all(&head).map_err(|e| io("write", &temp, e))?;
        file.write_all(&sealed).map_err(|e| io("write", &temp, e))?;
        file.sync_all().map_err(|e| io("sync", &temp, e))?;
    }
    let _guard = lock.lock();
    if !keep() {
        let _ = std::fs::remove_file(&temp);
        return Ok(false);
    }
    let target = path(dir);
    std::fs::rename(&temp, &target).map_err(|e| io("rename", &temp, e))?;
    sync_dir(dir).map_err(|e| io("sync", dir, e))?;
    Ok(true)
}

/// Reads the snapshot of `dir`, if there is one that opens and decodes; `None` otherwise
/// (none, cut, damaged, sealed by another master key, or of a shape this build does not read).
/// Whether the journal holds its hash at its position is the caller's to check.
pub(crate) fn read(dir: &Path, vault: &Vault) -> Option<Loaded> {
    let target = path(dir);
    let bytes = match std::fs::read(&target) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(%error, "the models' snapshot cannot be read; folding the journal");
            return None;
        }
    };
    let refused = |why: &str| {
        tracing::warn!(why, "the models' snapshot is refused; folding the journal");
        None
    };
    if bytes.len() < HEADER_LEN || &bytes[..16] != MAGIC {
        return refused("not a snapshot of this format");
    }
    let mut head = [0u8; HEADER_LEN];
    head.copy_from_slice(&bytes[..HEADER_LEN]);
    let mut position = [0u8; 8];
    position.copy_from_slice(&head[16..24]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&head[24..]);
    let mut body = bytes;
    body.drain(..HEADER_LEN);
    let Some(plain) = vault.open_snapshot(&head, body) else {
        return refused("it does not open (cut, damaged, or another installation's)");
    };
    let body: Body = match rmp_serde::from_slice(&plain) {
        Ok(body) => body,
        Err(_) => return refused("its models do not decode"),
    };
    Some(Loaded {
        position: Position(u64::from_be_bytes(position)),
        hash: ChainHash(hash),
        seed: Seed {
            desk: body.desk,
            read: body.read,
            ledger: body.ledger,
            hash: ChainHash(hash),
        },
    })
}

/// Deletes the snapshot of `dir` (and a temporary one), and syncs the directory: derived data,
/// folded again from the journal at the next open.
pub(crate) fn delete(dir: &Path) -> Result<(), DeskError> {
    let mut removed = false;
    for name in [FILE, TEMP] {
        let file = dir.join(name);
        match std::fs::remove_file(&file) {
            Ok(()) => removed = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(DeskError::Snapshot {
                    what: format!("cannot delete {}: {e}", file.display()),
                })
            }
        }
    }
    if removed {
        sync_dir(dir).map_err(|e| DeskError::Snapshot {
            what: format!("cannot sync {}: {e}", dir.display()),
        })?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}
