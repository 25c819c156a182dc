//! Walking the chain: every record decodes, sits at its own position, links to the one before
//! and hashes to its stored hash; nothing is missing up to the recorded head.

use std::ops::Bound;
use std::path::Path;

use serde::Serialize;

use crate::error::{JournalError, Problem};
use crate::record::{decode, ChainHash, Position};
use crate::store::{key_position, read_head_mark, Head, Journal};

/// Positions in one piece of the range; two threads each read and hash a piece at a time.
const PIECE: u64 = 4096;
/// Most records read at a time from the open-ended range that follows the pieces.
const OPEN_PIECE: u64 = 4 * PIECE;

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
    /// trusted for its hash. Progress is reported every two pieces (8192 records).
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
        let db = crate::store::open_sled(
            sled::Config::new()
                .path(dir)
                .cache_capacity(64 * 1024 * 1024),
        )?;
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
    if matches!(end, Some(end) if end < from) {
        return Ok(report);
    }
    let upper: Bound<Vec<u8>> = match end {
        Some(end) => Bound::Included(end.key().to_vec()),
        None => Bound::Unbounded,
    };
    // Where to stop cutting fixed pieces: the last stored position (or `to`, if earlier). Past it
    // (or after any surprise) the rest is read as one open-ended range, a bounded run at a time.
    let stored_last = events
        .last()?
        .and_then(|(key, _)| key_position(&key).ok())
        .unwrap_or(Position::ZERO);
    let mut split_until = end.map_or(stored_last, |end| end.min(stored_last));
    let mut lower: Bound<Vec<u8>> = Bound::Included(from.key().to_vec());
    let mut first = from;
    let mut finished = false;
    while !finished {
        // Up to two pieces that partition the key range in order; each thread reads and checks one.
        let mut pieces: Vec<Piece> = Vec::with_capacity(2);
        while pieces.len() < 2 && !finished {
            if first.0.saturating_add(PIECE) <= split_until.0 {
                let next = Position(first.0 + PIECE);
                pieces.push(Piece {
                    lower: lower.clone(),
                    upper: Bound::Excluded(next.key().to_vec()),
                    first,
                    limit: None,
                });
                lower = Bound::Included(next.key().to_vec());
                first = next;
            } else {
                pieces.push(Piece {
                    lower: lower.clone(),
                    upper: upper.clone(),
                    first,
                    limit: Some(OPEN_PIECE),
                });
                finished = true;
            }
        }
        let mut outcomes = match pieces.as_slice() {
            [one] => vec![check_piece(events, one)?],
            [left, right] => std::thread::scope(|scope| {
                let other = scope.spawn(|| check_piece(events, right));
                let mine = check_piece(events, left);
                // check_piece does not panic; should the thread die anyway, check its piece here.
                let theirs = other.join().unwrap_or_else(|_| check_piece(events, right));
                Ok::<_, JournalError>(vec![mine?, theirs?])
            })?,
            _ => Vec::new(),
        };
        for (piece, outcome) in pieces.iter().zip(&mut outcomes) {
            for result in outcome.checked.drain(..) {
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
            if piece.limit.is_some() {
                if let Some(last_key) = outcome.last_key.take() {
                    // The open-ended piece stopped at its limit: go on after the last key read.
                    finished = false;
                    split_until = Position::ZERO;
                    lower = Bound::Excluded(last_key);
                    first = expected;
                }
            } else if outcome.read < PIECE {
                // A fixed piece came up short, so positions are missing: the open-ended read
                // from here finds where the chain goes on (or ends) without cutting through a gap.
                split_until = Position::ZERO;
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

/// A contiguous part of the key range, read and checked by one thread.
struct Piece {
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    /// The position the first record should have.
    first: Position,
    /// Most records to read; `None` for a fixed piece (which holds at most `PIECE`).
    limit: Option<u64>,
}

struct PieceOutcome {
    /// Each record checked on its own, in key order, up to and including the first that is bad
    /// or out of place (nothing after it can change the report).
    checked: Vec<Checked>,
    read: u64,
    /// The last key read when the piece stopped at its limit with more to read.
    last_key: Option<Vec<u8>>,
}

fn check_piece(events: &sled::Tree, piece: &Piece) -> Result<PieceOutcome, JournalError> {
    let mut outcome = PieceOutcome {
        checked: Vec::with_capacity(usize::try_from(PIECE).unwrap_or(0)),
        read: 0,
        last_key: None,
    };
    let mut expected = piece.first;
    for item in events.range((piece.lower.clone(), piece.upper.clone())) {
        let (key, value) = item?;
        let checked = check_one(&key, &value);
        let stop = match &checked {
            Ok((position, _, _)) => *position != expected,
            Err(_) => true,
        };
        outcome.checked.push(checked);
        outcome.read += 1;
        expected = expected.next();
        if stop {
            break;
        }
        if piece.limit == Some(outcome.read) {
            outcome.last_key = Some(key.to_vec());
            break;
        }
    }
    Ok(outcome)
}
