//! The write-ahead file that makes an append durable with one write and one `fdatasync`.
//!
//! Every group commit writes its records to `<dir>/impact.wal` as frames
//! (`u32` big-endian length ‖ the stored record, which carries its own blake3 hash) and
//! `fdatasync`s the file before any append of the batch is acknowledged. The same records go to
//! sled with plain inserts that sled writes out in its own time. When the file is full, a
//! checkpoint (sled `flush`, `fdatasync` of sled's files) makes sled durable on its own and the
//! file is written again from its start. Opening the journal puts back into sled any frame that a
//! crash kept from it. See `docs/adr/0001-durability.md`.
//!
//! The file is created at its full size and filled with zeros, and written in place: an
//! `fdatasync` then has no file size or block allocation to commit, so on ext4 it does not wait
//! for a journal commit that would also flush every other file's dirty pages (sled's).
//!
//! Reading back: frames are taken from the start while each is whole, hashes right, and has the
//! position after the one before. A zero length ends the file (a checkpoint writes one at the
//! start); frames left from before the last checkpoint hold positions sled already has durably,
//! so they either stop the scan (not the next position) or compare equal to sled.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::JournalError;
use crate::record::decode;

/// The file's name inside the journal directory.
pub(crate) const WAL_FILE: &str = "impact.wal";

/// Largest frame accepted when reading back: a record is far smaller (64 KiB payload at most).
const MAX_FRAME: usize = 1024 * 1024;

pub(crate) struct Wal {
    path: PathBuf,
    file: File,
    /// The file's size: zeros up to here are already allocated and written.
    capacity: u64,
    /// Where the next frame goes.
    offset: u64,
    buffer: Vec<u8>,
}

/// What [`Wal::append`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Appended {
    /// The frames are durable in the file.
    Durable,
    /// They do not fit in what is left: checkpoint (which makes them durable in sled), then go on.
    Full,
}

impl Wal {
    /// Opens (creating, and filling with zeros up to `capacity`) the file and reads back every
    /// frame of the current cycle.
    pub(crate) fn open(dir: &Path, capacity: u64) -> Result<(Wal, Vec<Vec<u8>>), JournalError> {
        let path = dir.join(WAL_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| JournalError::io("open", &path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| JournalError::io("read", &path, e))?;
        let frames = read_frames(&bytes);
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if size < capacity {
            fill_zeros(&file, size, capacity).map_err(|e| JournalError::io("fill", &path, e))?;
        }
        Ok((
            Wal {
                path,
                file,
                capacity: capacity.max(size),
                offset: 0,
                buffer: Vec::new(),
            },
            frames,
        ))
    }

    /// Writes the records as frames at the current offset and makes them durable, or says the
    /// file is full.
    pub(crate) fn append<'a>(
        &mut self,
        records: impl Iterator<Item = &'a [u8]>,
    ) -> Result<Appended, JournalError> {
        self.buffer.clear();
        for record in records {
            let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
            self.buffer.extend_from_slice(&len.to_be_bytes());
            self.buffer.extend_from_slice(record);
        }
        if self.buffer.is_empty() {
            return Ok(Appended::Durable);
        }
        let len = u64::try_from(self.buffer.len()).unwrap_or(u64::MAX);
        if self.offset + len > self.capacity {
            return Ok(Appended::Full);
        }
        self.file
            .write_all_at(&self.buffer, self.offset)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| JournalError::io("write and fdatasync", &self.path, e))?;
        self.offset += len;
        Ok(Appended::Durable)
    }

    /// Starts a new cycle once everything in the file is durable in sled: an end mark at the
    /// start, so that the next open reads nothing back.
    pub(crate) fn reset(&mut self) -> Result<(), JournalError> {
        self.file
            .write_all_at(&[0u8; 4], 0)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| JournalError::io("reset", &self.path, e))?;
        self.offset = 0;
        Ok(())
    }

    /// Bytes written in this cycle.
    pub(crate) fn len(&self) -> u64 {
        self.offset
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
