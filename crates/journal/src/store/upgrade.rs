//! Moving older formats at open: format 1 (one record per key) into blocks, and the recent
//! commits a format-2 journal kept in its write-ahead file back into sled.

use super::open::read_head_mark;
use super::writer::Syncer;
use super::META_FORMAT;
use crate::blocks::{self, Layout, Packer, Slots};
use crate::error::{JournalError, Problem};
use crate::record::{decode, ChainHash, Position};

/// How many bytes of records the move into blocks copies between two flushes of sled.
pub(super) const MIGRATE_FLUSH_BYTES: usize = 32 * 1024 * 1024;

/// Moves a format-1 journal (one record per key in tree `events`) into blocks. Safe to stop at
/// any point: the blocks are written and made durable before `meta.format` says 2, and the old
/// tree is dropped only after that (or at the next open, if this one stops in between). Damage
/// is carried over as it is (a missing position stays missing) for the scan to find.
pub(super) fn migrate_to_blocks(
    db: &sled::Db,
    blocks_tree: &sled::Tree,
    meta: &sled::Tree,
    syncer: Option<&Syncer>,
) -> Result<(), JournalError> {
    let sync = || syncer.map_or(Ok(()), Syncer::sync_all);
    let records = db.open_tree(blocks::RECORDS_TREE_V1)?;
    // (`Tree::len` would read every key once more.)
    let head = read_head_mark(meta)
        .ok()
        .flatten()
        .map_or(0, |mark| mark.position.0);
    tracing::info!(
        head,
        "moving the journal's records into blocks (format 1 to 2)"
    );
    blocks_tree.clear()?;
    let mut packer = Packer::new(blocks_tree);
    // sled holds what it has not written out in memory: the move flushes as it goes (and
    // `Slots` lets sled's cache evict what it has read). A million records: 12.3 s
    // (`docs/BENCHMARKS.md`).
    let mut unflushed = 0usize;
    for slot in Slots::new(
        &records,
        Layout::Records,
        Position::ZERO,
        Position(u64::MAX),
    ) {
        let slot = slot?;
        packer.push(slot.at, slot.bytes())?;
        unflushed += slot.bytes().len();
        if unflushed >= MIGRATE_FLUSH_BYTES {
            db.flush()?;
            unflushed = 0;
        }
    }
    packer.finish()?;
    db.flush()?;
    sync()?;
    meta.insert(META_FORMAT, &[blocks::FORMAT_BLOCKS][..])?;
    db.flush()?;
    sync()?;
    drop_records_tree(db)
}

/// Drops the format-1 tree, emptied key by key first: `drop_tree` alone loads every page of the
/// tree and keeps them: the open that moved a million records peaked at 885 MiB with it, against
/// 255 MiB this way (159 MiB at the end of the move itself).
pub(super) fn drop_records_tree(db: &sled::Db) -> Result<(), JournalError> {
    db.open_tree(blocks::RECORDS_TREE_V1)?.clear()?;
    db.drop_tree(blocks::RECORDS_TREE_V1)?;
    Ok(())
}

/// Puts back into sled every acknowledged record of the write-ahead file that sled lost in a
/// crash. A frame that disagrees with what sled holds at its position, or that does not link to
/// the record before it, is damage, not a crash.
pub(super) fn replay_wal(events: &sled::Tree, frames: &[Vec<u8>]) -> Result<usize, JournalError> {
    let mut restored = 0;
    for frame in frames {
        let view = decode(frame).map_err(|e| JournalError::Corrupt {
            position: Position::ZERO,
            problem: e.into(),
        })?;
        let position = view.position;
        match blocks::get(events, Layout::Blocks, position)? {
            Some(stored) if stored.bytes() == frame.as_slice() => continue,
            Some(stored) => {
                let stored_hash = decode(stored.bytes())
                    .map(|v| v.hash)
                    .unwrap_or(ChainHash([0; 32]));
                return Err(JournalError::Corrupt {
                    position,
                    problem: Problem::HashMismatch {
                        stored: stored_hash,
                        computed: view.hash,
                    },
                });
            }
            None => {
                let prev = if position.0 == 1 {
                    ChainHash::genesis()
                } else {
                    let before = Position(position.0 - 1);
                    let missing = || JournalError::Corrupt {
                        position: before,
                        problem: Problem::MissingPosition,
                    };
                    let stored =
                        blocks::get(events, Layout::Blocks, before)?.ok_or_else(missing)?;
                    decode(stored.bytes()).map_err(|_| missing())?.hash
                };
                if view.prev_hash != prev {
                    return Err(JournalError::Corrupt {
                        position,
                        problem: Problem::BrokenLink {
                            expected: prev,
                            found: view.prev_hash,
                        },
                    });
                }
                blocks::write(events, position, [frame])?;
                restored += 1;
            }
        }
    }
    Ok(restored)
}
