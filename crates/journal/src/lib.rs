//! The IMPACT journal: an append-only, hash-chained, durable event store on sled.
//!
//! It knows no domain: it stores an envelope (id, position, stream, version, type, schema version,
//! times, actor) and payload bytes, chains every record to the one before it with blake3, and
//! acknowledges an append only when the record is on disk.
//!
//! Key types: [`Journal`] (open, append, read, subscribe, verify), [`NewEvent`] and
//! [`RecordedEvent`], [`ExpectedVersion`], [`Appended`] / [`Rejected`] (outcomes, values),
//! [`JournalError`] (failures).
//!
//! Invariants:
//! - nothing outside this crate touches sled;
//! - positions are gap-free from 1 and every record's `prev_hash` is the hash of the one before;
//! - readers see only acknowledged (flushed and fsynced) records;
//! - an append of several events is all visible or none is, across crashes too;
//! - the Merkle tree (RFC 9162 shape, `merkle` crate) has one leaf per acknowledged record, leaf
//!   data = the record's hash, position p = leaf index p - 1; its size is always the head.

mod backup;
mod blocks;
mod disclosure;
mod error;
mod log;
mod record;
mod recover;
mod store;
mod subscribe;
#[cfg(feature = "tamper")]
pub mod tamper;
mod tree;
mod verify;
mod wal;

pub use disclosure::{digest, payload_commitment, Digest, Disclosure, Salts, SALT_LEN};
pub use error::{JournalError, Problem};
pub use merkle;
pub use record::{
    chain_hash, decode_envelope, decode_record, Actor, ChainHash, DecodeError, Envelope, NewEvent,
    Position, RecordedEvent, Timestamp, FORMAT_V1, FORMAT_V2, GENESIS_SEED, MAX_EVENTS_PER_APPEND,
    MAX_NAME_BYTES, MAX_PAYLOAD_BYTES,
};
pub use recover::Finding;
pub use store::{
    Appended, Clock, Conflict, ExpectedVersion, Head, IdReused, Journal, Options, Rejected,
    StoredRecord,
};
pub use subscribe::Subscription;
pub use verify::{VerifyProgress, VerifyReport};

/// The result of an append: the outer `Result` is failure, the inner one the outcome.
pub type AppendResult = Result<Result<Appended, Rejected>, JournalError>;
