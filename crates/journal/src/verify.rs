//! Walking the chain: every record decodes, sits at its own position, links to the one before
//! and hashes to its stored hash; nothing is missing up to the recorded head.

use std::path::Path;

use serde::Serialize;

use crate::error::{JournalError, Problem};
use crate::record::{decode, ChainHash, Position};
use crate::store::{key_position, read_head_mark, Head, Journal};

/// Records hashed per chunk; each chunk is split between two threads.
const CHUNK: usize = 8192;

/// Where a long verification has got to.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct VerifyProgress {
    pub checked: u64,
    pub position: Position,
}

/// The outcome of a verification. `problem` is the first bad position and what is wrong with it.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub from: Position,
    /// The last position checked and found good (ZERO when none).
    pub last_good: Position,
    /// Records checked and found good.
    pub checked: u64,
    /// The position and hash of the last good record: the digest to compare with one written
    /// down earlier.
    pub head: Option<Head>,
    /// The head the journal recorded at its last commit.
    pub recorded_head: Option<Head>,
    pub problem: Option<(Position, Problem)>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

impl Journal {
    /// Verifies positions `from..=to` (defaults: the whole chain). The record before `from` is
    /// trusted for its hash. Progress is reported every chunk.
    pub fn verify(
        &self,
        from: Option<u64>,
        to: Option<u64>,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, JournalError> {
        verify_trees(&self.shared.events, &self.shared.meta, from, to, progress)
    }

    /// Verifies the journal in `dir` without opening it for writing or building its indexes,
    /// so it works on a damaged directory. The server must be stopped (sled locks the directory).
    pub fn verify_dir(
        dir: impl AsRef<Path>,
        from: Option<u64>,
        to: Option<u64>,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, JournalError> {
        let dir = dir.as_ref();
        if !dir.join("db").exists() {
            return Err(JournalError::io(
                "find a journal in",
                dir,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no sled database here"),
            ));
        }
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(64 * 1024 * 1024)
            .open()?;
        let events = db.open_tree("events")?;
        let meta = db.open_tree("meta")?;
        verify_trees(&events, &meta, from, to, progress)
    }
}

/// The outcome of checking one record on its own.
type Checked = Result<(Position, ChainHash, ChainHash), (Position, Problem)>;

fn check_one(key: &[u8], value: &[u8]) -> Checked {
    let position = key_position(key).map_err(|_| {
        (
            Position::ZERO,
            Problem::Undecodable {
                reason: format!("key of {} bytes", key.len()),
            },
        )
    })?;
    let view = decode(value).map_err(|e| (position, e.into()))?;
    if view.position != position {
        return Err((
            position,
            Problem::Misplaced {
                found: view.position.0,
            },
        ));
    }
    let computed = view.recompute_hash();
    if computed != view.hash {
        return Err((
            position,
            Problem::HashMismatch {
                stored: view.hash,
                computed,
            },
        ));
    }
    Ok((position, view.prev_hash, view.hash))
}

fn verify_trees(
    events: &sled::Tree,
    meta: &sled::Tree,
    from: Option<u64>,
    to: Option<u64>,
    progress: &mut dyn FnMut(VerifyProgress),
) -> Result<VerifyReport, JournalError> {
    let from = Position(from.unwrap_or(1).max(1));
    let recorded_head = read_head_mark(meta).ok().flatten();
    let mut report = VerifyReport {
        from,
        last_good: Position(from.0 - 1),
        checked: 0,
        head: None,
        recorded_head,
        problem: None,
    };
    // The hash the first checked record must link to.
    let mut prev = if from.0 == 1 {
        ChainHash::genesis()
    } else {
        let before = Position(from.0 - 1);
        match events.get(before.key())? {
            None => {
                // Past the end (nothing stored there, nothing recorded there) is nothing to check.
                let past_end = recorded_head.is_none_or(|mark| mark.position < before)
                    && events.range(before.key()..).next().is_none();
                if !past_end {
                    report.problem = Some((before, Problem::MissingPosition));
                }
                return Ok(report);
            }
            Some(value) => match decode(&value) {
                Ok(view) => view.hash,
                Err(e) => {
                    report.problem = Some((before, e.into()));
                    return Ok(report);
                }
            },
        }
    };
    let mut expected = from;
    let end = to.map(Position);
    let mut range = match end {
        Some(end) if end < from => {
            return Ok(report);
        }
        Some(end) => events.range(from.key()..=end.key()),
        None => events.range(from.key()..),
    };
    let mut chunk: Vec<(sled::IVec, sled::IVec)> = Vec::with_capacity(CHUNK);
    loop {
        chunk.clear();
        for item in range.by_ref() {
            chunk.push(item?);
            if chunk.len() == CHUNK {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        let results = check_chunk(&chunk);
        for result in results {
            match result {
                Err(problem) => {
                    // A key that is out of order means an earlier position is missing.
                    if problem.0 > expected {
                        report.problem = Some((expected, Problem::MissingPosition));
                    } else {
                        report.problem = Some(problem);
                    }
                    return Ok(report);
                }
                Ok((position, prev_hash, hash)) => {
                    if position != expected {
                        report.problem = Some((expected, Problem::MissingPosition));
                        return Ok(report);
                    }
                    if prev_hash != prev {
                        report.problem = Some((
                            position,
                            Problem::BrokenLink {
                                expected: prev,
                                found: prev_hash,
                            },
                        ));
                        return Ok(report);
                    }
                    // Records may follow the recorded head (a crash before the head was
                    // written), but the record at the head must be the one committed.
                    if let Some(mark) = recorded_head.filter(|m| m.position == position) {
                        if mark.hash != hash {
                            report.problem = Some((
                                position,
                                Problem::HashMismatch {
                                    stored: mark.hash,
                                    computed: hash,
                                },
                            ));
                            return Ok(report);
                        }
                    }
                    prev = hash;
                    report.checked += 1;
                    report.last_good = position;
                    report.head = Some(Head { position, hash });
                    expected = position.next();
                }
            }
        }
        progress(VerifyProgress {
            checked: report.checked,
            position: report.last_good,
        });
    }
    // Nothing may be missing up to the head the journal recorded (or the end asked for, if
    // earlier): a removed tail leaves a valid but shorter chain, and this is how it shows.
    let must_reach = recorded_head.map(|mark| end.map_or(mark.position, |e| e.min(mark.position)));
    if let Some(must_reach) = must_reach {
        if report.last_good < must_reach {
            report.problem = Some((expected, Problem::MissingPosition));
            return Ok(report);
        }
    }
    if let (Some(mark), Some(head)) = (recorded_head, report.head) {
        if head.position == mark.position && head.hash != mark.hash {
            report.problem = Some((
                head.position,
                Problem::HashMismatch {
                    stored: mark.hash,
                    computed: head.hash,
                },
            ));
        }
    }
    Ok(report)
}

/// Checks each record of the chunk on its own, on two threads.
fn check_chunk(chunk: &[(sled::IVec, sled::IVec)]) -> Vec<Checked> {
    if chunk.len() < 256 {
        return chunk.iter().map(|(k, v)| check_one(k, v)).collect();
    }
    let (left, right) = chunk.split_at(chunk.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            right
                .iter()
                .map(|(k, v)| check_one(k, v))
                .collect::<Vec<_>>()
        });
        let mut out: Vec<Checked> = left.iter().map(|(k, v)| check_one(k, v)).collect();
        match other.join() {
            Ok(rest) => out.extend(rest),
            // check_one does not panic; should the thread die anyway, check its half here.
            Err(_) => out.extend(right.iter().map(|(k, v)| check_one(k, v))),
        }
        out
    })
}
