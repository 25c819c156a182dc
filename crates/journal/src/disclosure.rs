//! Format 2's commitments (`docs/adr/0015-envelope-and-payload-committed-apart.md`): a payload
//! that is a JSON object is committed to field by field, each field under its own random salt
//! (as SD-JWT's disclosures, RFC 9901), and the stream and actor id the same way, so that the
//! envelope and any chosen fields of a record can be proven against its hash while the rest
//! stays hidden. The exact bytes are in `docs/VERIFYING.md` ("Record format 2").

use std::collections::HashSet;

use rand::RngCore;

/// Bytes of a salt.
pub const SALT_LEN: usize = 16;

/// A 32-byte blake3 digest.
pub type Digest = [u8; 32];

/// The salts of a format-2 record: the stream's, the actor id's, and one per top-level field of
/// the payload in the payload's order.
#[derive(Clone, PartialEq, Eq)]
pub struct Salts {
    pub stream: [u8; SALT_LEN],
    pub actor_id: [u8; SALT_LEN],
    pub fields: Vec<[u8; SALT_LEN]>,
}

impl std::fmt::Debug for Salts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A salt is what keeps a withheld value from being guessed: never in a log line.
        write!(f, "Salts({} fields)", self.fields.len())
    }
}

impl Salts {
    /// Fresh salts from the operating system's generator, for a payload of `fields` fields.
    pub fn draw(fields: usize) -> Salts {
        let mut bytes = vec![0u8; SALT_LEN * (fields + 2)];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let mut chunks = bytes.chunks_exact(SALT_LEN).map(|c| {
            let mut salt = [0u8; SALT_LEN];
            salt.copy_from_slice(c);
            salt
        });
        let stream = chunks.next().unwrap_or_default();
        let actor_id = chunks.next().unwrap_or_default();
        Salts {
            stream,
            actor_id,
            fields: chunks.collect(),
        }
    }
}

/// One committed value, shown: its salt, its name and its exact bytes (for a payload field, the
/// JSON text of its value as the payload holds it).
#[derive(Clone, PartialEq, Eq)]
pub struct Disclosure<'a> {
    pub salt: [u8; SALT_LEN],
    pub name: &'a str,
    pub value: &'a [u8],
}

impl Disclosure<'_> {
    /// `blake3(salt ‖ u16 len(name) ‖ name ‖ u32 len(value) ‖ value)`, lengths big-endian.
    pub fn digest(&self) -> Digest {
        digest(&self.salt, self.name, self.value)
    }
}

impl std::fmt::Debug for Disclosure<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Disclosure({}: {} bytes)", self.name, self.value.len())
    }
}

/// The digest of one committed value (see [`Disclosure::digest`]).
pub fn digest(salt: &[u8; SALT_LEN], name: &str, value: &[u8]) -> Digest {
    let mut hasher = blake3::Hasher::new();
    hasher.update(salt);
    let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
    hasher.update(&name_len.to_be_bytes());
    hasher.update(name.as_bytes());
    let value_len = u32::try_from(value.len()).unwrap_or(u32::MAX);
    hasher.update(&value_len.to_be_bytes());
    hasher.update(value);
    *hasher.finalize().as_bytes()
}

/// The payload commitment: `blake3(digest₁ ‖ … ‖ digestₙ)`, in the payload's order.
pub fn payload_commitment(digests: &[Digest]) -> Digest {
    let mut hasher = blake3::Hasher::new();
    for d in digests {
        hasher.update(d);
    }
    *hasher.finalize().as_bytes()
}

/// True for a name that stands in a rebuilt payload as it is: no `"`, no `\`, no control
/// character.
pub fn is_plain_name(name: &str) -> bool {
    !name.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

/// The payload's top-level fields as (name, value bytes), when it is a JSON object the journal
/// commits to field by field: `{"name":value,...}` with plain names, none twice, and nothing
/// between the tokens but the values (a value is every byte between its colon and the next
/// top-level comma or the closing brace). `None` otherwise: such a payload is recorded in
/// format 1.
pub fn split_fields(payload: &[u8]) -> Option<Vec<(&str, &[u8])>> {
    if payload.len() < 2 || payload[0] != b'{' || payload[payload.len() - 1] != b'}' {
        return None;
    }
    let mut fields = Vec::new();
    if payload.len() == 2 {
        return Some(fields);
    }
    let last = payload.len() - 1;
    let mut at = 1;
    loop {
        if payload.get(at) != Some(&b'"') {
            return None;
        }
        let start = at + 1;
        let end = start + payload.get(start..)?.iter().position(|&b| b == b'"')?;
        let name = std::str::from_utf8(&payload[start..end]).ok()?;
        if !is_plain_name(name) {
            return None;
        }
        at = end + 1;
        if payload.get(at) != Some(&b':') {
            return None;
        }
        at += 1;
        let value_start = at;
        at = value_end(payload, at)?;
        if at == value_start {
            return None;
        }
        fields.push((name, &payload[value_start..at]));
        match payload[at] {
            b',' if at < last => at += 1,
            b'}' if at == last => break,
            _ => return None,
        }
    }
    let mut seen = HashSet::with_capacity(fields.len());
    if !fields.iter().all(|(name, _)| seen.insert(*name)) {
        return None;
    }
    let rebuilt = rebuild(fields.iter().copied());
    (rebuilt == payload).then_some(fields)
}

/// Where the value starting at `at` ends: the index of the top-level `,` or `}` after it.
fn value_end(payload: &[u8], mut at: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *payload.get(at)? {
            b'"' => {
                at += 1;
                loop {
                    match *payload.get(at)? {
                        b'\\' => at += 2,
                        b'"' => {
                            at += 1;
                            break;
                        }
                        _ => at += 1,
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                at += 1;
            }
            b'}' | b']' if depth == 0 => return Some(at),
            b'}' | b']' => {
                depth -= 1;
                at += 1;
            }
            b',' if depth == 0 => return Some(at),
            _ => at += 1,
        }
    }
}

/// The payload of fields: `{`, then `"name":value` for each, separated by `,`, then `}`.
pub fn rebuild<'a>(fields: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    let mut out = vec![b'{'];
    for (i, (name, value)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(value);
    }
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compact_object_splits_into_its_fields_and_rebuilds_exactly() {
        let payload = br#"{"a":1,"b":{"c":[1,"x,}"]},"d":"q\"}","e":null}"#;
        let fields = split_fields(payload).unwrap();
        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["a", "b", "d", "e"]);
        assert_eq!(fields[1].1, br#"{"c":[1,"x,}"]}"#);
        assert_eq!(fields[2].1, br#""q\"}""#);
        assert_eq!(rebuild(fields.iter().copied()), payload.to_vec());
        assert_eq!(split_fields(b"{}"), Some(vec![]));
    }

    #[test]
    fn what_is_not_such_an_object_is_not_split() {
        for payload in [
            &b""[..],
            b"[1]",
            b"not json",
            b"{\"a\":1,\"a\":2}",
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"{\"a\\u0041\":1}",
            b"{ \"a\":1}",
            b"{\"a\" :1}",
            b"{\"a\":1]",
            b"{\"a\":\"open}",
        ] {
            assert_eq!(
                split_fields(payload),
                None,
                "{:?}",
                String::from_utf8_lossy(payload)
            );
        }
    }

    #[test]
    fn a_digest_binds_salt_name_and_value() {
        let salt = [7u8; SALT_LEN];
        let base = digest(&salt, "sex", b"\"female\"");
        assert_ne!(base, digest(&[8u8; SALT_LEN], "sex", b"\"female\""));
        assert_ne!(base, digest(&salt, "sez", b"\"female\""));
        assert_ne!(base, digest(&salt, "sex", b"\"male\""));
        // The lengths keep a name and a value from trading bytes.
        assert_ne!(digest(&salt, "ab", b"c"), digest(&salt, "a", b"bc"));
    }
}
