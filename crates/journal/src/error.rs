//! Errors are failures (IO, corruption, misuse); expected outcomes such as a version conflict are
//! values (see [`crate::Rejected`]).

use std::path::PathBuf;

use serde::Serialize;

use crate::record::{ChainHash, DecodeError, Position};

/// What is wrong at a position of the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The stored hash is not the hash of the stored bytes: the record was altered.
    #[error("hash mismatch: stored {stored}, computed {computed}")]
    HashMismatch {
        stored: ChainHash,
        computed: ChainHash,
    },
    /// The record's previous hash is not the hash of the record before it: a record was removed,
    /// inserted or moved before this one.
    #[error("broken link: previous hash should be {expected}, record says {found}")]
    BrokenLink {
        expected: ChainHash,
        found: ChainHash,
    },
    /// No record is stored at this position, though later ones (or the recorded head) exist.
    #[error("missing position")]
    MissingPosition,
    /// The record stored under this position says it belongs at another.
    #[error("record stored at this position says it is position {found}")]
    Misplaced { found: u64 },
    /// The stored bytes are not a record.
    #[error("undecodable record: {reason}")]
    Undecodable { reason: String },
    /// Stream versions must be gap-free.
    #[error("stream {stream} should be at version {expected}, record says {found}")]
    StreamVersion {
        stream: String,
        expected: u64,
        found: u64,
    },
    /// An event id appears twice.
    #[error("event id {id} was already used at position {first}")]
    DuplicateId { id: String, first: u64 },
    /// `recorded_at` went backwards.
    #[error("recorded_at goes backwards")]
    TimeBackwards,
    /// An append of several events is only partly stored at a position that was acknowledged.
    #[error("append of {len} events is incomplete")]
    IncompleteAppend { len: u16 },
}

impl From<DecodeError> for Problem {
    fn from(error: DecodeError) -> Problem {
        Problem::Undecodable {
            reason: error.to_string(),
        }
    }
}

/// Failures of the journal. Each variant says how a caller should handle it.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// sled failed. Stop serving writes; the data directory may need `impact verify`.
    #[error("storage error: {0}")]
    Storage(#[from] sled::Error),
    /// A file operation failed (fsync, directory creation). Check the disk; restart.
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Stored data is damaged. The journal refuses to open; run `impact verify` and restore.
    #[error("journal is damaged at position {position}: {problem}")]
    Corrupt {
        position: Position,
        problem: Problem,
    },
    /// The append was malformed (empty, too large, names too long, duplicate ids in one append).
    /// A caller bug: fix the request; retrying the same request fails the same way.
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    /// An earlier write or flush failed, so the journal no longer accepts appends (retrying after
    /// an fsync failure could acknowledge lost data). Restart the process.
    #[error("journal stopped accepting appends after a failed write: {0}")]
    Failed(String),
    /// The disk holding the journal is full: nothing of the append was acknowledged. Found
    /// before writing (less free space than `Options::disk_reserve_bytes`), appends resume once
    /// space is freed; found while writing, the journal accepts no more appends until space is
    /// freed and the process restarted.
    #[error("the disk is full ({0}); nothing was recorded")]
    DiskFull(String),
    /// The journal was opened read-only (`Options::read_only`); a caller bug to append to it.
    #[error("the journal was opened read-only; nothing was recorded")]
    ReadOnly,
    /// The journal's files are damaged beyond what it can repair from its other copy: each
    /// finding names the file, the position and what to do. The server refuses to start.
    #[error("{}", crate::error::show_findings(.0))]
    Damaged(Vec<crate::recover::Finding>),
    /// The journal was closed while the request was waiting.
    #[error("journal is closed")]
    Closed,
    /// A proof or root was asked for sizes or positions the tree does not have (yet). A caller
    /// mistake: fix the request.
    #[error("{0}")]
    ProofRange(#[from] merkle::RangeError),
    /// The data directory was written by a newer or unknown version of this program.
    #[error("unsupported journal format {0}; this program reads formats 1 to 3")]
    UnsupportedFormat(u8),
}

impl JournalError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        JournalError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// True when the failure comes from a full disk (`ENOSPC`, or a quota): the caller can tell
    /// the person that nothing was recorded and that the desk's disk needs space.
    pub fn is_disk_full(&self) -> bool {
        match self {
            JournalError::DiskFull(_) => true,
            JournalError::Io { source, .. } => is_storage_full(source),
            JournalError::Storage(sled::Error::Io(source)) => is_storage_full(source),
            JournalError::Storage(_)
            | JournalError::Corrupt { .. }
            | JournalError::InvalidAppend(_)
            | JournalError::Failed(_)
            | JournalError::Closed
            | JournalError::ReadOnly
            | JournalError::Damaged(_)
            | JournalError::ProofRange(_)
            | JournalError::UnsupportedFormat(_) => false,
        }
    }
}

fn is_storage_full(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::StorageFull
        || error.kind() == std::io::ErrorKind::QuotaExceeded
        || error.raw_os_error() == Some(libc_enospc())
}

/// `ENOSPC` on Linux (and every other Unix this runs on).
const fn libc_enospc() -> i32 {
    28
}

pub(crate) fn show_findings(findings: &[crate::recover::Finding]) -> String {
    let mut out = String::from("the journal is damaged");
    for finding in findings {
        out.push_str("\n  - ");
        out.push_str(&finding.to_string());
    }
    out
}
