//! The scan of sled when there is no log to read (a journal from before the log, or one whose
//! log is missing): structure and links checked, a half-written tail append removed, the
//! in-memory indexes built.

use super::open::read_head_mark;
use super::{check_at_mark, decode_checked, Index, Options, StoredRecord};
use crate::blocks::{self, Layout, Slots};
use crate::error::{JournalError, Problem};
use crate::record::{decode, Position};

/// Scans the events tree: checks structure and links, repairs a half-written tail append, and
/// builds the in-memory indexes. Hands `each` the records of complete appends as it goes
/// (`Journal::open_and_read`).
pub(super) fn build_index(
    events: &sled::Tree,
    meta: &sled::Tree,
    options: &Options,
    mut each: Option<&mut dyn FnMut(StoredRecord)>,
) -> Result<Index, JournalError> {
    let mut index = Index::empty();
    // Sizing the id index once for the recorded head spares the scan its doublings, whose old
    // and new tables are briefly both alive: about a third of the index at the peak. Only a hint:
    // the mark is checked after the scan, and a failed reservation leaves the map to grow.
    if let Some(mark) = read_head_mark(meta).ok().flatten() {
        let hint = usize::try_from(mark.position.0.min(u64::from(u32::MAX))).unwrap_or(0);
        let _ = index.ids.try_reserve(hint);
    }
    // The start position and length of the last append seen, to find a torn tail.
    let mut last_append: Option<(u64, u16, u16)> = None;
    // The records of the append being read, handed to `each` once its last one is read.
    let mut pending: Vec<StoredRecord> = Vec::new();
    for slot in Slots::new(events, Layout::Blocks, Position(1), Position(u64::MAX)) {
        let slot = slot?;
        let position = slot.at;
        let view = decode(slot.bytes()).map_err(|e| JournalError::Corrupt {
            position,
            problem: e.into(),
        })?;
        last_append = Some(index.push(position, &view)?);
        if let Some(each) = each.as_mut() {
            let complete = view.append_index + 1 >= view.append_len;
            if view.append_index == 0 && view.append_len == 1 && pending.is_empty() {
                each(StoredRecord { slot });
            } else {
                pending.push(StoredRecord { slot });
                if complete {
                    pending.drain(..).for_each(&mut **each);
                }
            }
        }
    }

    let mark = read_head_mark(meta)?;
    if let Some((start, append_index, append_len)) = last_append {
        if append_index + 1 < append_len {
            // The last append is incomplete: a crash cut it. It was never acknowledged (an
            // acknowledgement follows the flush of the whole append), so it is removed.
            if let Some(mark) = mark {
                if mark.position.0 >= start {
                    return Err(JournalError::Corrupt {
                        position: Position(start),
                        problem: Problem::IncompleteAppend { len: append_len },
                    });
                }
            }
            tracing::warn!(
                first = start,
                last = index.head.position.0,
                "removing an append that a crash left half-written; it was never acknowledged"
            );
            if let Some(each) = each {
                // Records before the torn append stay (a torn append before an earlier one is
                // read like any other, as `iter_forward` reads it).
                pending
                    .drain(..)
                    .filter(|r| r.position().0 < start)
                    .for_each(each);
            }
            index = drop_tail(events, meta, options, start)?;
            return Ok(index);
        }
    }
    if let Some(mark) = mark {
        if mark.position > index.head.position {
            return Err(JournalError::Corrupt {
                position: index.head.position.next(),
                problem: Problem::MissingPosition,
            });
        }
        check_at_mark(events, &mark)?;
    }
    check_tail_hashes(events, &index, options.tail_check_events)?;
    Ok(index)
}

/// The scan at open checks links but recomputes only the tail's hashes, so damage to one record
/// can first show at a later one (a changed stored hash breaks the next link, a changed
/// `recorded_at` makes the next record go back in time). On that error path only, name the first
/// record before the reported position whose hash does not recompute, as `verify` would.
pub(super) fn first_damage(events: &sled::Tree, error: JournalError) -> JournalError {
    let JournalError::Corrupt { position, .. } = &error else {
        return error;
    };
    let before = Position(position.0.saturating_sub(1));
    for slot in Slots::new(events, Layout::Blocks, Position(1), before) {
        let Ok(slot) = slot else { break };
        let at = slot.at;
        let Ok(view) = decode(slot.bytes()) else {
            break;
        };
        let computed = view.recompute_hash();
        if computed != view.hash {
            return JournalError::Corrupt {
                position: at,
                problem: Problem::HashMismatch {
                    stored: view.hash,
                    computed,
                },
            };
        }
    }
    error
}

/// Removes records from `start` on and rebuilds the index from what is left.
pub(super) fn drop_tail(
    events: &sled::Tree,
    meta: &sled::Tree,
    options: &Options,
    start: u64,
) -> Result<Index, JournalError> {
    blocks::remove_from(events, Position(start))?;
    build_index(events, meta, options, None)
}

pub(super) fn check_tail_hashes(
    events: &sled::Tree,
    index: &Index,
    count: u64,
) -> Result<(), JournalError> {
    let last = index.head.position.0;
    if last == 0 || count == 0 {
        return Ok(());
    }
    let first = last.saturating_sub(count - 1).max(1);
    for slot in Slots::new(events, Layout::Blocks, Position(first), Position(last)) {
        let slot = slot?;
        decode_checked(slot.at, slot.bytes())?;
    }
    Ok(())
}
