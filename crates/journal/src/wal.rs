//! The write-ahead file of journals from before the log (`impact.wal`), read once when such a
//! journal is opened: its frames go back into sled, the log is written from sled, and the file
//! is removed (`docs/adr/0007-the-journal-log.md`; its old role: `docs/adr/0001-durability.md`).
//!
//! Frames: `u32` big-endian length ‖ the stored record. Reading takes frames from the start while
//! each is whole, hashes right and has the position after the one before.

use std::io::Read;
use std::path::Path;

use crate::error::JournalError;
use crate::record::decode;

/// The file's name inside the journal directory.
pub(crate) const WAL_FILE: &str = "impact.wal";

/// Largest frame accepted when reading back: a record is far smaller (64 KiB payload at most).
const MAX_FRAME: usize = 1024 * 1024;

/// The frames of the file's current cycle.
pub(crate) fn read_file_frames(path: &Path) -> Result<Vec<Vec<u8>>, JournalError> {
    let mut file = std::fs::File::open(path).map_err(|e| JournalError::io("open", path, e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| JournalError::io("read", path, e))?;
    Ok(read_frames(&bytes))
}

/// The frames of the current cycle: whole, hashing right, positions consecutive.
fn read_frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut at = 0usize;
    let mut last_position: Option<u64> = None;
    while let Some(len_bytes) = bytes.get(at..at + 4) {
        let mut len = [0u8; 4];
        len.copy_from_slice(len_bytes);
        let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
        if len == 0 || len > MAX_FRAME {
            break;
        }
        let Some(frame) = bytes.get(at + 4..at + 4 + len) else {
            break;
        };
        let position = match decode(frame) {
            Ok(view) if view.recompute_hash() == view.hash => view.position.0,
            _ => break,
        };
        if last_position.is_some_and(|last| position != last + 1) {
            break;
        }
        last_position = Some(position);
        frames.push(frame.to_vec());
        at += 4 + len;
    }
    frames
}
