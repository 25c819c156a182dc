//! Deliberate damage to a closed journal, for tests that check that verification catches it
//! (`--features tamper`; never in a build that serves). Each function opens the sled directory
//! itself, so the journal must be closed.
//!
//! [`edit`] alters both copies of the history alike, sled's and the journal's log, as someone
//! rewriting the stored history would: the chain's checks must catch it. [`edit_sled`] alters
//! sled alone, which the journal repairs from its log.
//!
//! The records are handed out as a map from the position each is stored at to its stored bytes
//! ([`edit`]), whatever the blocks they are packed in; what the map holds after the edit is packed
//! again the way the journal packs it, a missing position starting a new block.

use std::collections::BTreeMap;
use std::path::Path;

use crate::blocks::{Layout, Packer, Slots, BLOCKS_TREE};
use crate::record::Position;

fn open(dir: &Path) -> sled::Result<sled::Db> {
    crate::store::open_sled(sled::Config::new().path(dir))
        .map_err(|e| sled::Error::Io(std::io::Error::other(e.to_string())))
}

fn other(error: crate::JournalError) -> sled::Error {
    sled::Error::Io(std::io::Error::other(error.to_string()))
}

/// Every stored record, by the position it is stored at.
pub fn records(dir: &Path) -> sled::Result<BTreeMap<u64, Vec<u8>>> {
    let db = open(dir)?;
    let tree = db.open_tree(BLOCKS_TREE)?;
    read_all(&tree)
}

fn read_all(tree: &sled::Tree) -> sled::Result<BTreeMap<u64, Vec<u8>>> {
    Slots::new(tree, Layout::Blocks, Position(1), Position(u64::MAX))
        .map(|slot| {
            let slot = slot.map_err(other)?;
            Ok((slot.at.0, slot.bytes().to_vec()))
        })
        .collect()
}

/// Hands `f` every stored record by the position it is stored at, and stores what it leaves,
/// in sled and in the journal's log.
pub fn edit(dir: &Path, f: impl FnOnce(&mut BTreeMap<u64, Vec<u8>>)) -> sled::Result<()> {
    let mut kept = BTreeMap::new();
    edit_sled(dir, |records| {
        f(records);
        kept = records.clone();
    })?;
    crate::log::write_raw(dir, &kept).map_err(other)
}

/// Hands `f` every record sled stores and stores what it leaves in sled only.
pub fn edit_sled(dir: &Path, f: impl FnOnce(&mut BTreeMap<u64, Vec<u8>>)) -> sled::Result<()> {
    let db = open(dir)?;
    let tree = db.open_tree(BLOCKS_TREE)?;
    let mut records = read_all(&tree)?;
    f(&mut records);
    tree.clear()?;
    let mut packer = Packer::new(&tree);
    for (at, bytes) in &records {
        packer.push(Position(*at), bytes).map_err(other)?;
    }
    packer.finish().map_err(other)?;
    db.flush()?;
    Ok(())
}

/// Stores `value` under `key` in the tree of blocks as it is: a stray or malformed block.
pub fn put_raw(dir: &Path, key: &[u8], value: &[u8]) -> sled::Result<()> {
    let db = open(dir)?;
    db.open_tree(BLOCKS_TREE)?.insert(key, value)?;
    db.flush()?;
    Ok(())
}

/// The stored block that holds `position`: its key and its bytes.
pub fn block_of(dir: &Path, position: u64) -> sled::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let db = open(dir)?;
    let tree = db.open_tree(BLOCKS_TREE)?;
    Ok(tree
        .range(..=Position(position).key())
        .next_back()
        .transpose()?
        .map(|(k, v)| (k.to_vec(), v.to_vec())))
}

/// Overwrites the head the journal recorded at its last commit.
pub fn set_head_mark(dir: &Path, position: u64, hash: &[u8; 32]) -> sled::Result<()> {
    let db = open(dir)?;
    let mut mark = position.to_be_bytes().to_vec();
    mark.extend_from_slice(hash);
    db.open_tree("meta")?.insert("head", mark)?;
    db.flush()?;
    Ok(())
}

/// Flips one bit of the stored record at `position`, `offset` bytes from its start.
pub fn flip_byte(dir: &Path, position: u64, offset: usize) -> sled::Result<()> {
    edit(dir, |records| {
        if let Some(bytes) = records.get_mut(&position) {
            let at = offset.min(bytes.len().saturating_sub(1));
            bytes[at] ^= 0x01;
        }
    })
}

/// Removes the record at `position`.
pub fn delete(dir: &Path, position: u64) -> sled::Result<()> {
    edit(dir, |records| {
        records.remove(&position);
    })
}

/// Swaps the stored records of two positions.
pub fn swap(dir: &Path, a: u64, b: u64) -> sled::Result<()> {
    edit(dir, |records| {
        if let (Some(va), Some(vb)) = (records.remove(&a), records.remove(&b)) {
            records.insert(a, vb);
            records.insert(b, va);
        }
    })
}

/// Inserts a copy of the record at `from` as position `at`, shifting `at..` one place up.
pub fn insert_copy(dir: &Path, from: u64, at: u64) -> sled::Result<()> {
    edit(dir, |records| {
        let Some(copy) = records.get(&from).cloned() else {
            return;
        };
        let moved = records.split_off(&at);
        records.extend(moved.into_iter().map(|(p, v)| (p + 1, v)));
        records.insert(at, copy);
    })
}

/// Removes every record after `keep`, leaving the recorded head as it was.
pub fn truncate(dir: &Path, keep: u64) -> sled::Result<()> {
    edit(dir, |records| {
        records.split_off(&(keep + 1));
    })
}
