//! Deliberate damage to a closed journal, for tests that check that verification catches it
//! (`--features tamper`; never in a build that serves). Each function opens the sled directory
//! itself, so the journal must be closed.

use std::path::Path;

use crate::record::Position;

fn events(dir: &Path) -> sled::Result<(sled::Db, sled::Tree)> {
    let db = crate::store::open_sled(sled::Config::new().path(dir))
        .map_err(|e| sled::Error::Io(std::io::Error::other(e.to_string())))?;
    let tree = db.open_tree("events")?;
    Ok((db, tree))
}

fn done(db: sled::Db) -> sled::Result<()> {
    db.flush()?;
    Ok(())
}

/// Flips one bit of the stored record at `position`, `offset` bytes from its start.
pub fn flip_byte(dir: &Path, position: u64, offset: usize) -> sled::Result<()> {
    let (db, tree) = events(dir)?;
    let key = Position(position).key();
    if let Some(value) = tree.get(key)? {
        let mut bytes = value.to_vec();
        let at = offset.min(bytes.len().saturating_sub(1));
        bytes[at] ^= 0x01;
        tree.insert(key, bytes)?;
    }
    done(db)
}

/// Removes the record at `position`.
pub fn delete(dir: &Path, position: u64) -> sled::Result<()> {
    let (db, tree) = events(dir)?;
    tree.remove(Position(position).key())?;
    done(db)
}

/// Swaps the stored records of two positions.
pub fn swap(dir: &Path, a: u64, b: u64) -> sled::Result<()> {
    let (db, tree) = events(dir)?;
    let (ka, kb) = (Position(a).key(), Position(b).key());
    let (va, vb) = (tree.get(ka)?, tree.get(kb)?);
    if let (Some(va), Some(vb)) = (va, vb) {
        tree.insert(ka, vb)?;
        tree.insert(kb, va)?;
    }
    done(db)
}

/// Inserts a copy of the record at `from` as position `at`, shifting `at..` one place up.
pub fn insert_copy(dir: &Path, from: u64, at: u64) -> sled::Result<()> {
    let (db, tree) = events(dir)?;
    let last = tree
        .last()?
        .and_then(|(k, _)| <[u8; 8]>::try_from(k.as_ref()).ok())
        .map_or(0, u64::from_be_bytes);
    let copy = tree.get(Position(from).key())?;
    for p in (at..=last).rev() {
        if let Some(v) = tree.get(Position(p).key())? {
            tree.insert(Position(p + 1).key(), v)?;
        }
    }
    if let Some(copy) = copy {
        tree.insert(Position(at).key(), copy)?;
    }
    done(db)
}

/// Removes every record after `keep`, leaving the recorded head as it was.
pub fn truncate(dir: &Path, keep: u64) -> sled::Result<()> {
    let (db, tree) = events(dir)?;
    let keys: Vec<sled::IVec> = tree
        .range(Position(keep + 1).key()..)
        .keys()
        .collect::<Result<_, _>>()?;
    for key in keys {
        tree.remove(key)?;
    }
    done(db)
}
