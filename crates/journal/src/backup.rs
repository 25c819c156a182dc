//! Copying a journal out and back in, for backups (`impact backup`, `impact restore`).
//!
//! A copy is the journal's records as frames (`u32` big-endian length ‖ the stored record, as in
//! the log): every record of complete appends up to the head the copy started from. Reading it
//! back checks every record (hash, position, link) and writes a new log; the first open of the
//! restored directory builds sled from that log.

use std::io::{Read, Write};
use std::path::Path;

use crate::error::JournalError;
use crate::log::LOG_DIR;
use crate::record::{decode, Position};
use crate::store::{Head, Journal, Options};

/// How many times a copy taken while a server appends is tried again when it caught the log in
/// the middle of a write.
const TRIES: usize = 5;

impl Journal {
    /// Writes the journal in `dir` to `out` as frames: every record of complete appends, up to
    /// its head when the copy starts. Changes no byte of `dir` and works while a server appends
    /// to it (the copy then holds a prefix of what is acknowledged by the time it ends, and all
    /// that was acknowledged before it started). Returns the head of the copy.
    pub fn backup_to(dir: impl AsRef<Path>, out: &mut dyn Write) -> Result<Head, JournalError> {
        let dir = dir.as_ref();
        let mut last_error = None;
        for attempt in 0..TRIES {
            let options = Options {
                read_only: true,
                ..Options::default()
            };
            match Journal::open(dir, options) {
                Ok(journal) => {
                    let head = journal.head();
                    for event in journal.iter_forward(Position(1)) {
                        let event = event?;
                        if event.position > head.position {
                            break;
                        }
                        let bytes = event.stored_bytes();
                        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
                        out.write_all(&len.to_be_bytes())
                            .and_then(|()| out.write_all(&bytes))
                            .map_err(|e| JournalError::io("write the backup of", dir, e))?;
                    }
                    return Ok(head);
                }
                // A write of the server caught half-way reads as damage at the log's end: look
                // again a moment later.
                Err(error @ JournalError::Damaged(_)) if attempt + 1 < TRIES => {
                    last_error = Some(error);
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or(JournalError::Closed))
    }

    /// Writes a new journal log into `dir` (which must hold no journal) from the frames of
    /// [`Journal::backup_to`], checking every record's hash, position and link, and returns the
    /// head. The first open of `dir` builds sled from the log.
    pub fn restore_from(input: &mut dyn Read, dir: impl AsRef<Path>) -> Result<Head, JournalError> {
        let dir = dir.as_ref();
        if dir.join(LOG_DIR).exists() || dir.join("db").exists() {
            return Err(JournalError::io(
                "restore into",
                dir,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a journal is already there; restore into a new directory",
                ),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| JournalError::io("create", dir, e))?;
        let mut head = Head::empty();
        let mut failure: Option<JournalError> = None;
        let mut frames = std::iter::from_fn(|| {
            if failure.is_some() {
                return None;
            }
            let mut len = [0u8; 4];
            match read_exact_or_end(input, &mut len) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    failure = Some(JournalError::io("read the backup for", dir, e));
                    return None;
                }
            }
            let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
            if len > 1024 * 1024 {
                failure = Some(bad(
                    head.position.next(),
                    "a frame's length is not a record's",
                ));
                return None;
            }
            let mut bytes = vec![0u8; len];
            if let Err(e) = input.read_exact(&mut bytes) {
                failure = Some(JournalError::io("read the backup for", dir, e));
                return None;
            }
            let checked = match decode(&bytes) {
                Ok(view) if view.position != head.position.next() => Err(format!(
                    "the record says position {}, the backup's next is {}",
                    view.position,
                    head.position.next()
                )),
                Ok(view) if view.prev_hash != head.hash => {
                    Err("the record does not link to the one before".to_string())
                }
                Ok(view) if view.recompute_hash() != view.hash => {
                    Err("the record's hash does not recompute".to_string())
                }
                Ok(view) => Ok(Head {
                    position: view.position,
                    hash: view.hash,
                }),
                Err(e) => Err(format!("a record does not decode ({e})")),
            };
            match checked {
                Ok(next) => {
                    head = next;
                    Some(Ok((next.position, bytes)))
                }
                Err(what) => {
                    failure = Some(bad(head.position.next(), &what));
                    None
                }
            }
        });
        crate::log::rewrite(dir, None, Options::default().log_segment_bytes, &mut frames)?;
        if let Some(error) = failure {
            // Nothing half-restored is left behind.
            let _ = std::fs::remove_dir_all(dir.join(LOG_DIR));
            return Err(error);
        }
        Ok(head)
    }
}

fn bad(position: Position, what: &str) -> JournalError {
    JournalError::Damaged(vec![crate::recover::Finding {
        file: "backup".into(),
        position: Some(position.0),
        what: what.to_string(),
        action: "the backup file is damaged: restore an earlier backup".into(),
        repairable: false,
    }])
}

/// Fills `buf`, or returns false at a clean end before its first byte.
fn read_exact_or_end(input: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the backup ends inside a frame",
                ))
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
