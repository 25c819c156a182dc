//! The stored record: its types, its exact byte layout and its hash.
//!
//! The layout is documented in `ARCHITECTURE.md` ("The bytes that are hashed"); keep the two in
//! step. Every integer is big-endian. Decoding is total: any byte string either decodes or gives a
//! [`DecodeError`] that says what is wrong; it never panics.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

/// The format byte that starts every record this version writes.
pub const FORMAT_V1: u8 = 1;

/// The text whose blake3 hash is the `prev_hash` of the event at position 1.
pub const GENESIS_SEED: &[u8] = b"impact-journal genesis v1";

/// Largest payload accepted, in bytes. Events are facts, not documents; the bound also keeps every
/// record inline in sled's log (no blob files), see `docs/adr/0001-durability.md`.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// Largest stream id, event type, actor id or actor role, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Most events in one append.
pub const MAX_EVENTS_PER_APPEND: usize = 1024;

/// A global position in the journal: gap-free, starting at 1.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Position(pub u64);

impl Position {
    /// The position before the first event; the head of an empty journal.
    pub const ZERO: Position = Position(0);

    pub fn get(self) -> u64 {
        self.0
    }

    pub fn next(self) -> Position {
        Position(self.0 + 1)
    }

    pub(crate) fn key(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A blake3 hash in the chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The `prev_hash` of the first event: `blake3("impact-journal genesis v1")`.
    pub fn genesis() -> ChainHash {
        ChainHash(*blake3::hash(GENESIS_SEED).as_bytes())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        blake3::Hash::from(self.0).to_hex().to_string()
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Option<ChainHash> {
        blake3::Hash::from_hex(text)
            .ok()
            .map(|h| ChainHash(*h.as_bytes()))
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for ChainHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ChainHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ChainHash::from_hex(&text).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// A UTC instant with microsecond resolution, stored as microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp::from(Utc::now())
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// The instant as a chrono date-time; `None` only for values outside chrono's range, which
    /// no clock produces but a damaged record might hold.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        Utc.timestamp_micros(self.0).single()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Timestamp {
        Timestamp(at.timestamp_micros())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(at) => write!(
                f,
                "{}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ),
            None => write!(f, "{}us", self.0),
        }
    }
}

/// Who recorded an event. The journal gives the role no meaning.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub role: String,
}

/// An event as a caller hands it to [`crate::Journal::append`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub id: Ulid,
    pub event_type: String,
    pub schema_version: u16,
    pub occurred_at: Timestamp,
    pub actor: Actor,
    /// JSON bytes; the journal stores them as they are.
    pub payload: Vec<u8>,
}

/// An event as the journal stored it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    pub id: Ulid,
    pub position: Position,
    pub stream: String,
    /// Version in the stream: gap-free, starting at 1.
    pub version: u64,
    pub event_type: String,
    pub schema_version: u16,
    pub occurred_at: Timestamp,
    /// Set by the journal; never decreases along the chain.
    pub recorded_at: Timestamp,
    pub actor: Actor,
    pub payload: Vec<u8>,
    /// This event's place in the append that wrote it (0-based) and that append's size.
    pub append_index: u16,
    pub append_len: u16,
    pub prev_hash: ChainHash,
    pub hash: ChainHash,
}

impl RecordedEvent {
    /// The exact bytes that are hashed: the stored value without its trailing hash.
    pub fn body_bytes(&self) -> Vec<u8> {
        encode_body(&BodyFields {
            position: self.position,
            id: self.id,
            version: self.version,
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            schema_version: self.schema_version,
            append_index: self.append_index,
            append_len: self.append_len,
            stream: &self.stream,
            event_type: &self.event_type,
            actor_id: &self.actor.id,
            actor_role: &self.actor.role,
            payload: &self.payload,
            prev_hash: &self.prev_hash,
        })
    }

    /// The exact bytes stored in sled for this event: body followed by hash.
    pub fn stored_bytes(&self) -> Vec<u8> {
        let mut bytes = self.body_bytes();
        bytes.extend_from_slice(&self.hash.0);
        bytes
    }

    /// True when `new` describes the same fact: everything the caller chose is equal. Used for
    /// idempotent appends; `recorded_at` and positions are the journal's, so they are not compared.
    pub fn same_content(&self, stream: &str, new: &NewEvent) -> bool {
        self.stream == stream
            && self.id == new.id
            && self.event_type == new.event_type
            && self.schema_version == new.schema_version
            && self.occurred_at == new.occurred_at
            && self.actor == new.actor
            && self.payload == new.payload
    }
}

/// What a stored record is made of, borrowed. The order of fields is the order of the bytes.
pub(crate) struct BodyFields<'a> {
    pub position: Position,
    pub id: Ulid,
    pub version: u64,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub schema_version: u16,
    pub append_index: u16,
    pub append_len: u16,
    pub stream: &'a str,
    pub event_type: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub payload: &'a [u8],
    pub prev_hash: &'a ChainHash,
}

/// Length of the fixed-size part of a body: format(1) position(8) id(16) version(8)
/// occurred_at(8) recorded_at(8) schema_version(2) append_index(2) append_len(2).
const FIXED_LEN: usize = 1 + 8 + 16 + 8 + 8 + 8 + 2 + 2 + 2;

pub(crate) fn encode_body(f: &BodyFields<'_>) -> Vec<u8> {
    let len = FIXED_LEN
        + 2 * 4
        + f.stream.len()
        + f.event_type.len()
        + f.actor_id.len()
        + f.actor_role.len()
        + 4
        + f.payload.len()
        + 32;
    let mut out = Vec::with_capacity(len + 32);
    out.push(FORMAT_V1);
    out.extend_from_slice(&f.position.0.to_be_bytes());
    out.extend_from_slice(&f.id.0.to_be_bytes());
    out.extend_from_slice(&f.version.to_be_bytes());
    out.extend_from_slice(&f.occurred_at.0.to_be_bytes());
    out.extend_from_slice(&f.recorded_at.0.to_be_bytes());
    out.extend_from_slice(&f.schema_version.to_be_bytes());
    out.extend_from_slice(&f.append_index.to_be_bytes());
    out.extend_from_slice(&f.append_len.to_be_bytes());
    for text in [f.stream, f.event_type, f.actor_id, f.actor_role] {
        // Callers check MAX_NAME_BYTES before encoding, so the length fits in a u16.
        let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    let payload_len = u32::try_from(f.payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&payload_len.to_be_bytes());
    out.extend_from_slice(f.payload);
    out.extend_from_slice(&f.prev_hash.0);
    out
}

/// The hash of a record: blake3 keyed with the previous hash, over the body bytes.
pub fn chain_hash(prev_hash: &ChainHash, body: &[u8]) -> ChainHash {
    ChainHash(*blake3::keyed_hash(&prev_hash.0, body).as_bytes())
}

/// Why stored bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("record ends early: {what} needs {needed} more bytes")]
    Truncated { what: &'static str, needed: usize },
    #[error("unknown record format {0}")]
    UnknownFormat(u8),
    #[error("{what} is not UTF-8")]
    NotUtf8 { what: &'static str },
    #[error("{0} bytes follow the hash")]
    TrailingBytes(usize),
    #[error("key is {0} bytes, not 8")]
    BadKey(usize),
}

/// A decoded record that borrows its strings and payload from the stored bytes.
pub(crate) struct RecordView<'a> {
    pub position: Position,
    pub id: Ulid,
    pub version: u64,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub schema_version: u16,
    pub append_index: u16,
    pub append_len: u16,
    pub stream: &'a str,
    pub event_type: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub payload: &'a [u8],
    pub prev_hash: ChainHash,
    pub hash: ChainHash,
    /// The hashed part of the stored bytes.
    pub body: &'a [u8],
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let rest = self.bytes.len() - self.at;
        if rest < n {
            return Err(DecodeError::Truncated {
                what,
                needed: n - rest,
            });
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    fn i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    fn text(&mut self, what: &'static str) -> Result<&'a str, DecodeError> {
        let len = usize::from(self.u16(what)?);
        std::str::from_utf8(self.take(len, what)?).map_err(|_| DecodeError::NotUtf8 { what })
    }
}

pub(crate) fn decode(bytes: &[u8]) -> Result<RecordView<'_>, DecodeError> {
    let mut r = Reader { bytes, at: 0 };
    let format = r.array::<1>("format")?[0];
    if format != FORMAT_V1 {
        return Err(DecodeError::UnknownFormat(format));
    }
    let position = Position(r.u64("position")?);
    let id = Ulid(u128::from_be_bytes(r.array("event id")?));
    let version = r.u64("stream version")?;
    let occurred_at = Timestamp(r.i64("occurred_at")?);
    let recorded_at = Timestamp(r.i64("recorded_at")?);
    let schema_version = r.u16("schema version")?;
    let append_index = r.u16("append index")?;
    let append_len = r.u16("append length")?;
    let stream = r.text("stream")?;
    let event_type = r.text("event type")?;
    let actor_id = r.text("actor id")?;
    let actor_role = r.text("actor role")?;
    let payload_len = usize::try_from(r.u32("payload length")?).unwrap_or(usize::MAX);
    let payload = r.take(payload_len, "payload")?;
    let prev_hash = ChainHash(r.array("previous hash")?);
    let body_end = r.at;
    let hash = ChainHash(r.array("hash")?);
    if r.at != bytes.len() {
        return Err(DecodeError::TrailingBytes(bytes.len() - r.at));
    }
    Ok(RecordView {
        position,
        id,
        version,
        occurred_at,
        recorded_at,
        schema_version,
        append_index,
        append_len,
        stream,
        event_type,
        actor_id,
        actor_role,
        payload,
        prev_hash,
        hash,
        body: &bytes[..body_end],
    })
}

impl RecordView<'_> {
    pub fn to_owned(&self) -> RecordedEvent {
        RecordedEvent {
            id: self.id,
            position: self.position,
            stream: self.stream.to_owned(),
            version: self.version,
            event_type: self.event_type.to_owned(),
            schema_version: self.schema_version,
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            actor: Actor {
                id: self.actor_id.to_owned(),
                role: self.actor_role.to_owned(),
            },
            payload: self.payload.to_vec(),
            append_index: self.append_index,
            append_len: self.append_len,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }

    /// Recomputes the hash from the body and the body's own `prev_hash`.
    pub fn recompute_hash(&self) -> ChainHash {
        chain_hash(&self.prev_hash, self.body)
    }
}

/// Decodes the stored bytes of one record into an owned event, checking nothing but the layout.
pub fn decode_record(bytes: &[u8]) -> Result<RecordedEvent, DecodeError> {
    decode(bytes).map(|view| view.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RecordedEvent {
        let prev = ChainHash::genesis();
        let mut event = RecordedEvent {
            id: Ulid(42),
            position: Position(1),
            stream: "case-1".into(),
            version: 1,
            event_type: "CaseOpened".into(),
            schema_version: 1,
            occurred_at: Timestamp(1_700_000_000_000_000),
            recorded_at: Timestamp(1_700_000_000_000_001),
            actor: Actor {
                id: "m.rossi".into(),
                role: "mediator".into(),
            },
            payload: br#"{"a":1}"#.to_vec(),
            append_index: 0,
            append_len: 1,
            prev_hash: prev,
            hash: prev,
        };
        event.hash = chain_hash(&prev, &event.body_bytes());
        event
    }

    #[test]
    fn encode_decode_round_trips() {
        let event = sample();
        let bytes = event.stored_bytes();
        let decoded = decode_record(&bytes).unwrap();
        assert_eq!(decoded, event);
        assert_eq!(decode(&bytes).unwrap().recompute_hash(), event.hash);
    }

    #[test]
    fn every_truncation_and_extension_is_an_error_not_a_panic() {
        let bytes = sample().stored_bytes();
        for len in 0..bytes.len() {
            assert!(decode_record(&bytes[..len]).is_err(), "len {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_record(&longer), Err(DecodeError::TrailingBytes(1)));
    }

    #[test]
    fn genesis_is_the_documented_value() {
        // ARCHITECTURE.md, "The bytes that are hashed": the value an outside verifier starts
        // from, as `python3 -c 'import blake3; print(blake3.blake3(b"impact-journal genesis v1").hexdigest())'`
        // prints it.
        const DOCUMENTED: &str = "085f2e25371b47a97479d61b07f457e78e821ddff1adea73b171445d6aa637af";
        assert_eq!(ChainHash::genesis().to_hex(), DOCUMENTED);
        let architecture = include_str!("../../../ARCHITECTURE.md");
        assert!(
            architecture.contains(&format!("`{DOCUMENTED}`")),
            "ARCHITECTURE.md no longer documents the genesis value"
        );
        let hex = ChainHash::genesis().to_hex();
        assert_eq!(ChainHash::from_hex(&hex), Some(ChainHash::genesis()));
    }
}
