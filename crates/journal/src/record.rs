//! The stored record: its types, its exact byte layout and its hash.
//!
//! The layout is documented in `ARCHITECTURE.md` ("The bytes that are hashed"); keep the two in
//! step. Every integer is big-endian. Decoding is total: any byte string either decodes or gives a
//! [`DecodeError`] that says what is wrong; it never panics.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::disclosure::{self, Digest, Disclosure, Salts, SALT_LEN};

/// The format byte of a record whose envelope and payload are hashed together.
pub const FORMAT_V1: u8 = 1;
/// The format byte of a record whose envelope, stream, actor id and each payload field are
/// committed to apart (`docs/adr/0015-envelope-and-payload-committed-apart.md`).
pub const FORMAT_V2: u8 = 2;

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
    /// The salts of a format-2 record; `None` for format 1.
    pub salts: Option<Salts>,
}

impl RecordedEvent {
    /// The record's format byte.
    pub fn format(&self) -> u8 {
        if self.salts.is_some() {
            FORMAT_V2
        } else {
            FORMAT_V1
        }
    }

    /// The exact bytes that are hashed: in format 1 the stored value without its trailing hash;
    /// in format 2 the envelope, the digests of the stream and the actor id, the payload
    /// commitment and the previous hash.
    pub fn body_bytes(&self) -> Vec<u8> {
        if self.salts.is_some() {
            return self.body_v2();
        }
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

    /// The exact bytes stored for this event: the body, in format 2 its openings, and the hash.
    pub fn stored_bytes(&self) -> Vec<u8> {
        let mut bytes = self.body_bytes();
        if let Some(salts) = &self.salts {
            self.push_openings(salts, &mut bytes);
        }
        bytes.extend_from_slice(&self.hash.0);
        bytes
    }

    /// The payload's fields of a format-2 record, each with its salt, in the payload's order;
    /// `None` for format 1.
    pub fn disclosures(&self) -> Option<Vec<Disclosure<'_>>> {
        let salts = self.salts.as_ref()?;
        let fields = disclosure::split_fields(&self.payload)?;
        (fields.len() == salts.fields.len()).then(|| {
            fields
                .into_iter()
                .zip(&salts.fields)
                .map(|((name, value), salt)| Disclosure {
                    salt: *salt,
                    name,
                    value,
                })
                .collect()
        })
    }

    /// The disclosures of the stream and of the actor id of a format-2 record.
    pub fn envelope_disclosures(&self) -> Option<[Disclosure<'_>; 2]> {
        let salts = self.salts.as_ref()?;
        Some([
            Disclosure {
                salt: salts.stream,
                name: "stream",
                value: self.stream.as_bytes(),
            },
            Disclosure {
                salt: salts.actor_id,
                name: "actorId",
                value: self.actor.id.as_bytes(),
            },
        ])
    }

    /// The digests of the payload's fields of a format-2 record, in order.
    pub fn field_digests(&self) -> Option<Vec<Digest>> {
        Some(self.disclosures()?.iter().map(Disclosure::digest).collect())
    }

    fn body_v2(&self) -> Vec<u8> {
        let [stream, actor] = self
            .envelope_disclosures()
            .map(|d| d.map(|d| d.digest()))
            .unwrap_or_default();
        let commitment = disclosure::payload_commitment(&self.field_digests().unwrap_or_default());
        let mut out = Vec::with_capacity(FIXED_LEN + 4 + 64 + 3 * 32 + 32);
        out.push(FORMAT_V2);
        push_fixed(
            &mut out,
            &FixedFields {
                position: self.position,
                id: self.id,
                version: self.version,
                occurred_at: self.occurred_at,
                recorded_at: self.recorded_at,
                schema_version: self.schema_version,
                append_index: self.append_index,
                append_len: self.append_len,
            },
        );
        for text in [&self.event_type, &self.actor.role] {
            push_text(&mut out, text);
        }
        out.extend_from_slice(&stream);
        out.extend_from_slice(&actor);
        out.extend_from_slice(&commitment);
        out.extend_from_slice(&self.prev_hash.0);
        out
    }

    fn push_openings(&self, salts: &Salts, out: &mut Vec<u8>) {
        push_text(out, &self.stream);
        out.extend_from_slice(&salts.stream);
        push_text(out, &self.actor.id);
        out.extend_from_slice(&salts.actor_id);
        let fields = self.disclosures().unwrap_or_default();
        let count = u16::try_from(fields.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for field in fields {
            out.extend_from_slice(&field.salt);
            push_text(out, field.name);
            let len = u32::try_from(field.value.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(field.value);
        }
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

/// The fixed-size fields both formats start with, after the format byte.
struct FixedFields {
    position: Position,
    id: Ulid,
    version: u64,
    occurred_at: Timestamp,
    recorded_at: Timestamp,
    schema_version: u16,
    append_index: u16,
    append_len: u16,
}

fn push_fixed(out: &mut Vec<u8>, f: &FixedFields) {
    out.extend_from_slice(&f.position.0.to_be_bytes());
    out.extend_from_slice(&f.id.0.to_be_bytes());
    out.extend_from_slice(&f.version.to_be_bytes());
    out.extend_from_slice(&f.occurred_at.0.to_be_bytes());
    out.extend_from_slice(&f.recorded_at.0.to_be_bytes());
    out.extend_from_slice(&f.schema_version.to_be_bytes());
    out.extend_from_slice(&f.append_index.to_be_bytes());
    out.extend_from_slice(&f.append_len.to_be_bytes());
}

/// A u16 length, then the UTF-8 bytes. Callers check the length limits before encoding, so the
/// length fits.
fn push_text(out: &mut Vec<u8>, text: &str) {
    let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

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
    push_fixed(
        &mut out,
        &FixedFields {
            position: f.position,
            id: f.id,
            version: f.version,
            occurred_at: f.occurred_at,
            recorded_at: f.recorded_at,
            schema_version: f.schema_version,
            append_index: f.append_index,
            append_len: f.append_len,
        },
    );
    for text in [f.stream, f.event_type, f.actor_id, f.actor_role] {
        push_text(&mut out, text);
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
    /// A format-2 record whose openings (stream, actor id, payload fields) are not what its
    /// hashed body commits to: the stored bytes were altered after the hash was taken.
    #[error("the {0} does not match its commitment in the hashed bytes")]
    OpeningMismatch(&'static str),
    /// A format-2 field name that a rebuilt payload cannot hold as it is.
    #[error("a payload field's name holds a quote, a backslash or a control character")]
    BadFieldName,
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
    /// Format 1: the stored payload; format 2: rebuilt from its fields.
    pub payload: Cow<'a, [u8]>,
    pub prev_hash: ChainHash,
    pub hash: ChainHash,
    /// The hashed part of the stored bytes.
    pub body: &'a [u8],
    pub salts: Option<Salts>,
    /// Format 2: what of the openings (stream, actor id, payload) does not give the digest the
    /// body holds. The stored bytes were then altered, and [`RecordView::recompute_hash`] says
    /// so as a hash mismatch.
    pub mismatch: Option<&'static str>,
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
    if format != FORMAT_V1 && format != FORMAT_V2 {
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
    let mut view = RecordView {
        position,
        id,
        version,
        occurred_at,
        recorded_at,
        schema_version,
        append_index,
        append_len,
        stream: "",
        event_type: "",
        actor_id: "",
        actor_role: "",
        payload: Cow::Borrowed(&[]),
        prev_hash: ChainHash([0; 32]),
        hash: ChainHash([0; 32]),
        body: &[],
        salts: None,
        mismatch: None,
    };
    if format == FORMAT_V1 {
        view.stream = r.text("stream")?;
        view.event_type = r.text("event type")?;
        view.actor_id = r.text("actor id")?;
        view.actor_role = r.text("actor role")?;
        let payload_len = usize::try_from(r.u32("payload length")?).unwrap_or(usize::MAX);
        view.payload = Cow::Borrowed(r.take(payload_len, "payload")?);
        view.prev_hash = ChainHash(r.array("previous hash")?);
        view.body = &bytes[..r.at];
    } else {
        view.event_type = r.text("event type")?;
        view.actor_role = r.text("actor role")?;
        let stream_digest: Digest = r.array("stream digest")?;
        let actor_digest: Digest = r.array("actor id digest")?;
        let commitment: Digest = r.array("payload commitment")?;
        view.prev_hash = ChainHash(r.array("previous hash")?);
        view.body = &bytes[..r.at];
        view.stream = r.text("stream")?;
        let stream_salt = r.array::<SALT_LEN>("stream salt")?;
        view.actor_id = r.text("actor id")?;
        let actor_salt = r.array::<SALT_LEN>("actor id salt")?;
        let mut mismatch = None;
        if disclosure::digest(&stream_salt, "stream", view.stream.as_bytes()) != stream_digest {
            mismatch = Some("stream");
        }
        if disclosure::digest(&actor_salt, "actorId", view.actor_id.as_bytes()) != actor_digest {
            mismatch = Some("actor id");
        }
        let count = usize::from(r.u16("field count")?);
        let mut fields = Vec::with_capacity(count.min(4096));
        let mut salts = Vec::with_capacity(count.min(4096));
        let mut digests = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let salt = r.array::<SALT_LEN>("field salt")?;
            let name = r.text("field name")?;
            if !disclosure::is_plain_name(name) {
                return Err(DecodeError::BadFieldName);
            }
            let len = usize::try_from(r.u32("field value length")?).unwrap_or(usize::MAX);
            let value = r.take(len, "field value")?;
            digests.push(disclosure::digest(&salt, name, value));
            fields.push((name, value));
            salts.push(salt);
        }
        if disclosure::payload_commitment(&digests) != commitment {
            mismatch = Some("payload");
        }
        view.mismatch = mismatch;
        view.payload = Cow::Owned(disclosure::rebuild(fields));
        view.salts = Some(Salts {
            stream: stream_salt,
            actor_id: actor_salt,
            fields: salts,
        });
    }
    view.hash = ChainHash(r.array("hash")?);
    if r.at != bytes.len() {
        return Err(DecodeError::TrailingBytes(bytes.len() - r.at));
    }
    Ok(view)
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
            salts: self.salts.clone(),
        }
    }

    /// Recomputes the hash from the body and the body's own `prev_hash`. For a format-2
    /// record whose openings do not give the body's digests (its stream, actor id or payload
    /// altered), a value that is never its stored hash: the damage reads as a hash mismatch.
    pub fn recompute_hash(&self) -> ChainHash {
        if self.mismatch.is_some() {
            return ChainHash(self.hash.0.map(|b| !b));
        }
        chain_hash(&self.prev_hash, self.body)
    }
}

/// What the hashed body of a format-2 record says (docs/VERIFYING.md, "Record format 2"): the
/// envelope in clear, and the digests of what it hides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub position: Position,
    pub id: Ulid,
    pub version: u64,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub schema_version: u16,
    pub append_index: u16,
    pub append_len: u16,
    pub event_type: String,
    pub actor_role: String,
    pub stream_digest: Digest,
    pub actor_id_digest: Digest,
    pub payload_commitment: Digest,
    pub prev_hash: ChainHash,
}

/// Reads the hashed body of a format-2 record (not the stored record: no openings, no hash).
pub fn decode_envelope(body: &[u8]) -> Result<Envelope, DecodeError> {
    let mut r = Reader { bytes: body, at: 0 };
    let format = r.array::<1>("format")?[0];
    if format != FORMAT_V2 {
        return Err(DecodeError::UnknownFormat(format));
    }
    let envelope = Envelope {
        position: Position(r.u64("position")?),
        id: Ulid(u128::from_be_bytes(r.array("event id")?)),
        version: r.u64("stream version")?,
        occurred_at: Timestamp(r.i64("occurred_at")?),
        recorded_at: Timestamp(r.i64("recorded_at")?),
        schema_version: r.u16("schema version")?,
        append_index: r.u16("append index")?,
        append_len: r.u16("append length")?,
        event_type: r.text("event type")?.to_owned(),
        actor_role: r.text("actor role")?.to_owned(),
        stream_digest: r.array("stream digest")?,
        actor_id_digest: r.array("actor id digest")?,
        payload_commitment: r.array("payload commitment")?,
        prev_hash: ChainHash(r.array("previous hash")?),
    };
    if r.at != body.len() {
        return Err(DecodeError::TrailingBytes(body.len() - r.at));
    }
    Ok(envelope)
}

/// Decodes the stored bytes of one record into an owned event, checking the layout and, in
/// format 2, that the openings give the digests the hashed body holds.
pub fn decode_record(bytes: &[u8]) -> Result<RecordedEvent, DecodeError> {
    let view = decode(bytes)?;
    if let Some(what) = view.mismatch {
        return Err(DecodeError::OpeningMismatch(what));
    }
    Ok(view.to_owned())
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
            salts: None,
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

    fn sample_v2() -> RecordedEvent {
        let mut event = sample();
        event.payload =
            br#"{"personId":"01HX","sex":"female","personal":{"sealed":"AAAA"}}"#.to_vec();
        event.salts = Some(Salts::draw(3));
        event.hash = chain_hash(&event.prev_hash, &event.body_bytes());
        event
    }

    #[test]
    fn format_2_round_trips_and_proves_each_field_apart() {
        let event = sample_v2();
        let bytes = event.stored_bytes();
        assert_eq!(bytes[0], FORMAT_V2);
        let decoded = decode_record(&bytes).unwrap();
        assert_eq!(decoded, event);
        let view = decode(&bytes).unwrap();
        assert_eq!(view.recompute_hash(), event.hash);
        // The hashed body holds neither the stream, nor the actor id, nor any field's value.
        let body = event.body_bytes();
        for hidden in [&b"case-1"[..], b"m.rossi", b"female", b"AAAA"] {
            assert!(!body.windows(hidden.len()).any(|w| w == hidden));
        }
        // Each field's digest is in the commitment the body holds.
        let digests = event.field_digests().unwrap();
        let commitment = disclosure::payload_commitment(&digests);
        assert_eq!(&body[body.len() - 64..body.len() - 32], &commitment);
        let sex = &event.disclosures().unwrap()[1];
        assert_eq!((sex.name, sex.value), ("sex", &b"\"female\""[..]));
        assert_eq!(sex.digest(), digests[1]);
    }

    #[test]
    fn an_altered_opening_of_format_2_is_a_decode_error() {
        let bytes = sample_v2().stored_bytes();
        let at = bytes.windows(6).position(|w| w == b"female").unwrap();
        let mut altered = bytes.clone();
        altered[at] = b'F';
        assert_eq!(
            decode_record(&altered).map(|_| ()),
            Err(DecodeError::OpeningMismatch("payload"))
        );
        let at = bytes.windows(7).position(|w| w == b"m.rossi").unwrap();
        let mut altered = bytes.clone();
        altered[at] = b'n';
        assert_eq!(
            decode_record(&altered).map(|_| ()),
            Err(DecodeError::OpeningMismatch("actor id"))
        );
        for len in 0..bytes.len() {
            assert!(decode_record(&bytes[..len]).is_err(), "len {len}");
        }
    }
}
