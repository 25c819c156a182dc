//! How records lie in sled: packed, in position order, into blocks of about 4 KiB
//! (`docs/adr/0006-record-blocks.md`).
//!
//! - Tree `blocks`: key = the position of the block's first record (u64 big-endian); value = the
//!   block's records back to back, each as its length (u32 little-endian) and its stored bytes.
//!   The record at index `i` of the block keyed `k` is stored *at* position `k + i`; each record
//!   also names its own position, and the two must agree.
//! - A record joins the last block when the positions follow on and the block stays within
//!   [`BLOCK_BYTES`] and [`BLOCK_RECORDS`]; otherwise it starts a block. A record larger than a
//!   block is a block of its own.
//! - Format 1 (before blocks) kept one record per key in tree `events`, key = position. It is
//!   still read (by `verify_dir` and by the migration at open), never written.
//!
//! Why: sled 0.34 keeps 8–16 values per leaf, so a scan of one-record values pays a page load and
//! a tree descent every 8–16 records. Blocks bring ten times as many records per page.

use std::ops::{Bound, Range};

use crate::error::{JournalError, Problem};
use crate::record::Position;

/// The tree that holds the blocks (format 2).
pub(crate) const BLOCKS_TREE: &str = "blocks";
/// The tree that held one record per key (format 1).
pub(crate) const RECORDS_TREE_V1: &str = "events";
/// `meta.format` of a journal stored in blocks.
pub(crate) const FORMAT_BLOCKS: u8 = 2;
/// `meta.format` of a journal stored one record per key.
pub(crate) const FORMAT_RECORDS: u8 = 1;
/// A block takes no record that would bring it past this many bytes (unless it is empty).
pub(crate) const BLOCK_BYTES: usize = 4096;
/// Most records in one block.
pub(crate) const BLOCK_RECORDS: usize = 64;
/// Bytes of the length before each record in a block.
const LEN_BYTES: usize = 4;

/// Where the records of a sled directory are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Format 1: one record per key.
    Records,
    /// Format 2: records packed into blocks.
    Blocks,
}

/// Whether a record of `len` bytes may join a block of `count` records and `bytes` bytes.
pub(crate) fn joins(count: usize, bytes: usize, len: usize) -> bool {
    count == 0 || (count < BLOCK_RECORDS && bytes + LEN_BYTES + len <= BLOCK_BYTES)
}

/// Adds a record to a block.
pub(crate) fn push(block: &mut Vec<u8>, record: &[u8]) {
    // A record is far below 4 GiB (`MAX_PAYLOAD_BYTES` and the name limits bound it).
    let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
    block.extend_from_slice(&len.to_le_bytes());
    block.extend_from_slice(record);
}

/// The byte ranges of a block's records, in order; a block whose lengths do not add up gives
/// the reason once and ends.
pub(crate) fn split(block: &[u8]) -> Split<'_> {
    Split { block, at: 0 }
}

pub(crate) struct Split<'a> {
    block: &'a [u8],
    at: usize,
}

impl Iterator for Split<'_> {
    type Item = Result<Range<usize>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.block.len().checked_sub(self.at).filter(|&n| n > 0)?;
        if rest < LEN_BYTES {
            self.at = self.block.len();
            return Some(Err(format!(
                "the block ends inside a record's length ({rest} bytes left)"
            )));
        }
        let mut len = [0u8; LEN_BYTES];
        len.copy_from_slice(&self.block[self.at..self.at + LEN_BYTES]);
        let len = usize::try_from(u32::from_le_bytes(len)).unwrap_or(usize::MAX);
        let start = self.at + LEN_BYTES;
        if len > self.block.len() - start {
            self.at = self.block.len();
            return Some(Err(format!(
                "a record of {len} bytes runs past the end of its block ({} bytes left)",
                self.block.len() - start
            )));
        }
        self.at = start + len;
        Some(Ok(start..start + len))
    }
}

/// One stored record: the position the layout stores it at, and its bytes inside a sled value
/// (shared, not copied).
#[derive(Clone)]
pub(crate) struct Slot {
    pub at: Position,
    value: sled::IVec,
    range: Range<usize>,
}

impl Slot {
    /// A record held outside sled (read from the journal's log).
    pub(crate) fn owned(at: Position, bytes: &[u8]) -> Slot {
        let value = sled::IVec::from(bytes);
        let range = 0..value.len();
        Slot { at, value, range }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.value[self.range.clone()]
    }
}

pub(crate) fn key_position(key: &[u8]) -> Result<Position, JournalError> {
    let bytes: [u8; 8] = key.try_into().map_err(|_| JournalError::Corrupt {
        position: Position::ZERO,
        problem: Problem::Undecodable {
            reason: format!("key of {} bytes in the journal's tree", key.len()),
        },
    })?;
    Ok(Position(u64::from_be_bytes(bytes)))
}

/// The stored records at positions `from..=to`, in position order. A stored value that cannot
/// be split ends the walk with an `Undecodable` error at the position it would have held.
pub(crate) struct Slots {
    layout: Layout,
    tree: sled::Tree,
    values: sled::Iter,
    /// The block being split: its first position, its value, where the next record starts and
    /// its index.
    current: Option<(Position, sled::IVec, usize, u64)>,
    from: Position,
    to: Position,
    done: bool,
}

impl Slots {
    pub(crate) fn new(tree: &sled::Tree, layout: Layout, from: Position, to: Position) -> Slots {
        let mut current = None;
        let values = match layout {
            Layout::Records => tree.range(from.key()..),
            // The block that holds `from` starts at or before it: the lookup that finds it also
            // reads it, and the iterator starts after it (a short read is one lookup).
            Layout::Blocks => match tree.range(..=from.key()).next_back() {
                Some(Ok((key, value))) if from <= to => match key_position(&key) {
                    Ok(first) => {
                        current = Some((first, value, 0, 0));
                        tree.range((Bound::Excluded(key), Bound::Unbounded))
                    }
                    Err(_) => tree.range(from.key()..),
                },
                _ => tree.range(from.key()..),
            },
        };
        Slots {
            layout,
            tree: tree.clone(),
            values,
            current,
            from,
            to,
            done: from > to,
        }
    }

    fn fail(&mut self, error: JournalError) -> Option<Result<Slot, JournalError>> {
        self.done = true;
        Some(Err(error))
    }
}

impl Iterator for Slots {
    type Item = Result<Slot, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            if let Some((first, value, offset, index)) = &mut self.current {
                let at = Position(first.0.saturating_add(*index));
                if at > self.to {
                    self.done = true;
                    return None;
                }
                let mut rest = Split {
                    block: value,
                    at: *offset,
                };
                match rest.next() {
                    None => self.current = None,
                    Some(Err(reason)) => {
                        return self.fail(JournalError::Corrupt {
                            position: at,
                            problem: Problem::Undecodable { reason },
                        })
                    }
                    Some(Ok(range)) => {
                        *offset = range.end;
                        *index += 1;
                        if at < self.from {
                            continue;
                        }
                        return Some(Ok(Slot {
                            at,
                            value: value.clone(),
                            range,
                        }));
                    }
                }
                continue;
            }
            let (key, value) = match self.values.next()? {
                Ok(item) => item,
                Err(error) => return self.fail(error.into()),
            };
            let first = match key_position(&key) {
                Ok(first) => first,
                Err(error) => return self.fail(error),
            };
            if first > self.to {
                self.done = true;
                return None;
            }
            // Counts the value's page as used in sled's cache. sled 0.34 accounts for pages in
            // 256 queues of 64 accesses and evicts only when a queue is full; an iterator uses
            // each leaf page once, and a scan over a few thousand leaves of blocks would fill few
            // queues and keep nearly every page it read (the open of a million records peaked at
            // 442 MiB, against 171 MiB with this `get`, which finds the page already loaded).
            // docs/adr/0006-record-blocks.md.
            let _ = self.tree.get(&key);
            match self.layout {
                Layout::Records => {
                    let range = 0..value.len();
                    return Some(Ok(Slot {
                        at: first,
                        value,
                        range,
                    }));
                }
                Layout::Blocks => self.current = Some((first, value, 0, 0)),
            }
        }
    }
}

/// The stored record at `position`, if any.
pub(crate) fn get(
    tree: &sled::Tree,
    layout: Layout,
    position: Position,
) -> Result<Option<Slot>, JournalError> {
    Slots::new(tree, layout, position, position)
        .next()
        .transpose()
}

/// The stored records at positions `..=to`, last first, up to `limit`.
pub(crate) fn slots_backward(
    tree: &sled::Tree,
    to: Position,
    limit: usize,
) -> Result<Vec<Slot>, JournalError> {
    let mut out = Vec::with_capacity(limit.min(1024));
    for item in tree.range(..=to.key()).rev() {
        let (key, value) = item?;
        let first = key_position(&key)?;
        let mut block = Vec::new();
        for (index, range) in (0u64..).zip(split(&value)) {
            let at = Position(first.0.saturating_add(index));
            let range = range.map_err(|reason| JournalError::Corrupt {
                position: at,
                problem: Problem::Undecodable { reason },
            })?;
            if at > to {
                break;
            }
            block.push(Slot {
                at,
                value: value.clone(),
                range,
            });
        }
        for slot in block.into_iter().rev() {
            out.push(slot);
            if out.len() == limit {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// Packs records into blocks and writes each block with one sled insert.
pub(crate) struct Packer<'t> {
    tree: &'t sled::Tree,
    first: Position,
    next: Position,
    block: Vec<u8>,
    count: usize,
    dirty: bool,
}

impl<'t> Packer<'t> {
    /// Starts a new block at the first record pushed.
    pub(crate) fn new(tree: &'t sled::Tree) -> Packer<'t> {
        Packer {
            tree,
            first: Position::ZERO,
            next: Position::ZERO,
            block: Vec::with_capacity(BLOCK_BYTES),
            count: 0,
            dirty: false,
        }
    }

    /// Continues the last block if it is whole and ends just before `first`.
    pub(crate) fn after_last(
        tree: &'t sled::Tree,
        first: Position,
    ) -> Result<Packer<'t>, JournalError> {
        let mut packer = Packer::new(tree);
        if let Some((key, value)) = tree.last()? {
            let last_first = key_position(&key)?;
            let mut count = 0usize;
            let mut whole = true;
            for range in split(&value) {
                whole &= range.is_ok();
                count += 1;
            }
            let n = u64::try_from(count).unwrap_or(u64::MAX);
            if whole && count > 0 && last_first.0.checked_add(n) == Some(first.0) {
                packer.first = last_first;
                packer.next = first;
                packer.block.extend_from_slice(&value);
                packer.count = count;
            }
        }
        Ok(packer)
    }

    /// Adds the record stored at `at`: to the block being packed if it follows on and fits,
    /// otherwise to a new block.
    pub(crate) fn push(&mut self, at: Position, record: &[u8]) -> Result<(), JournalError> {
        if self.count > 0 && (at != self.next || !joins(self.count, self.block.len(), record.len()))
        {
            self.flush()?;
        }
        if self.count == 0 {
            self.first = at;
        }
        push(&mut self.block, record);
        self.count += 1;
        self.dirty = true;
        self.next = at.next();
        Ok(())
    }

    fn flush(&mut self) -> Result<(), JournalError> {
        if self.dirty {
            self.tree.insert(self.first.key(), self.block.as_slice())?;
        }
        self.block.clear();
        self.count = 0;
        self.dirty = false;
        Ok(())
    }

    /// Writes the last block.
    pub(crate) fn finish(mut self) -> Result<(), JournalError> {
        self.flush()
    }
}

/// Writes `records`, stored at `first`, `first + 1`, ..., after the last block: into it while it
/// has room and the positions follow on, then into new blocks.
pub(crate) fn write(
    tree: &sled::Tree,
    first: Position,
    records: impl IntoIterator<Item = impl AsRef<[u8]>>,
) -> Result<(), JournalError> {
    let mut packer = Packer::after_last(tree, first)?;
    let mut at = first;
    for record in records {
        packer.push(at, record.as_ref())?;
        at = at.next();
    }
    packer.finish()
}

/// Removes every stored record at `start` and after, keeping those before it.
pub(crate) fn remove_from(tree: &sled::Tree, start: Position) -> Result<(), JournalError> {
    let keys: Vec<sled::IVec> = tree.range(start.key()..).keys().collect::<Result<_, _>>()?;
    for key in keys {
        tree.remove(key)?;
    }
    // The block that holds `start` began before it: keep its records before `start`.
    if let Some((key, value)) = tree.range(..start.key()).next_back().transpose()? {
        let first = key_position(&key)?;
        let keep = usize::try_from(start.0 - first.0).unwrap_or(usize::MAX);
        let mut kept = Vec::with_capacity(value.len());
        let mut cut = false;
        for (index, range) in split(&value).enumerate() {
            let Ok(range) = range else {
                cut = true;
                break;
            };
            if index >= keep {
                cut = true;
                break;
            }
            push(&mut kept, &value[range]);
        }
        if cut {
            tree.insert(key, kept)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// Records at increasing positions with some gaps, of sizes around and above a block.
    fn model() -> impl Strategy<Value = BTreeMap<u64, Vec<u8>>> {
        prop::collection::vec((any::<bool>(), 0usize..5000, any::<u8>()), 0..120).prop_map(
            |specs| {
                let mut at = 1u64;
                let mut records = BTreeMap::new();
                for (i, (gap, len, byte)) in specs.into_iter().enumerate() {
                    if gap && i % 3 == 0 {
                        at += 1 + (len as u64 % 20);
                    }
                    records.insert(at, vec![byte; len]);
                    at += 1;
                }
                records
            },
        )
    }

    fn tree() -> (tempfile::TempDir, sled::Tree) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new()
            .path(dir.path())
            .temporary(true)
            .open()
            .unwrap();
        let tree = db.open_tree(BLOCKS_TREE).unwrap();
        (dir, tree)
    }

    fn read(tree: &sled::Tree, from: u64, to: u64) -> Vec<(u64, Vec<u8>)> {
        Slots::new(tree, Layout::Blocks, Position(from), Position(to))
            .map(|slot| {
                let slot = slot.unwrap();
                (slot.at.0, slot.bytes().to_vec())
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("JOURNAL_PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(48),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Whatever is packed reads back by range, by position and backward as the plain map
        /// says; appending after the last block and cutting the tail agree with it too.
        #[test]
        fn blocks_read_back_as_the_map_they_were_packed_from(
            records in model(),
            split_at in 0usize..120,
            from in 0u64..300,
            span in 0u64..300,
            cut in 0u64..300,
        ) {
            let (_dir, tree) = tree();
            let n = records.len();
            let split_at = split_at.min(n);
            // The first part packed from scratch, the rest written after the last block where
            // it follows on (`write` takes contiguous positions).
            let mut packer = Packer::new(&tree);
            for (at, bytes) in records.iter().take(split_at) {
                packer.push(Position(*at), bytes).unwrap();
            }
            packer.finish().unwrap();
            let mut rest = records.iter().skip(split_at).peekable();
            while let Some((&at, bytes)) = rest.next() {
                let mut run = vec![bytes.clone()];
                let mut next = at + 1;
                while let Some((&p, b)) = rest.peek() {
                    if p != next { break; }
                    run.push(b.to_vec());
                    next += 1;
                    rest.next();
                }
                write(&tree, Position(at), &run).unwrap();
            }
            for value in tree.iter().values() {
                let value = value.unwrap();
                let count = split(&value).count();
                prop_assert!(count >= 1);
                prop_assert!(count == 1 || value.len() <= BLOCK_BYTES, "a block of {} bytes holds {count} records", value.len());
            }

            let to = from + span;
            let expected: Vec<_> = records.range(from..=to).map(|(p, b)| (*p, b.clone())).collect();
            prop_assert_eq!(read(&tree, from, to), expected);
            for p in [from, to, from + 1, 1] {
                let got = get(&tree, Layout::Blocks, Position(p)).unwrap().map(|s| s.bytes().to_vec());
                prop_assert_eq!(got.as_ref(), records.get(&p));
            }
            let backward: Vec<_> = slots_backward(&tree, Position(to), 7)
                .unwrap()
                .into_iter()
                .map(|s| (s.at.0, s.bytes().to_vec()))
                .collect();
            let expected: Vec<_> = records.range(..=to).rev().take(7).map(|(p, b)| (*p, b.clone())).collect();
            prop_assert_eq!(backward, expected);

            remove_from(&tree, Position(cut)).unwrap();
            let mut kept = records.clone();
            kept.split_off(&cut);
            let all: Vec<_> = kept.into_iter().collect();
            prop_assert_eq!(read(&tree, 0, u64::MAX), all);
        }
    }

    #[test]
    fn a_block_splits_into_the_records_pushed() {
        let mut block = Vec::new();
        push(&mut block, b"abc");
        push(&mut block, b"");
        push(&mut block, &[7; 300]);
        let ranges: Vec<_> = split(&block).map(Result::unwrap).collect();
        assert_eq!(ranges.len(), 3);
        assert_eq!(&block[ranges[0].clone()], b"abc");
        assert!(ranges[1].is_empty());
        assert_eq!(&block[ranges[2].clone()], &[7; 300][..]);
    }

    #[test]
    fn a_cut_block_gives_a_reason_not_a_panic() {
        let mut block = Vec::new();
        push(&mut block, b"abcdef");
        for cut in 1..block.len() {
            let parts: Vec<_> = split(&block[..cut]).collect();
            assert_eq!(parts.len(), 1, "cut at {cut}");
            assert!(parts[0].is_err(), "cut at {cut}");
        }
        let mut long = block.clone();
        long[0] = 0xff;
        assert!(split(&long).next().unwrap().is_err());
    }

    #[test]
    fn joins_keeps_blocks_small_but_never_empty() {
        assert!(joins(0, 0, 100_000));
        assert!(joins(1, 100, 100));
        assert!(!joins(1, 4000, 100));
        assert!(!joins(BLOCK_RECORDS, 100, 1));
    }
}
