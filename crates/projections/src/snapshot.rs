//! The audit index in a snapshot of the models (`docs/adr/0014-snapshots.md`): a million rows
//! are written as one run of bytes, 44 a row, rather than as a million maps. Its postings
//! (`index.rs`) are not written: they are listed again from the rows when a snapshot is read.

use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::audit::{AuditIndex, AuditRow};
use crate::sym::Sym;

const ROW_BYTES: usize = 7 * 4 + 2 * 8;

impl Serialize for AuditIndex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(self.rows.len() * ROW_BYTES);
        for r in &self.rows {
            for n in [
                r.stream.0,
                r.event_type.0,
                r.actor.0,
                r.role.0,
                r.site.0,
                r.person,
                r.case,
            ] {
                bytes.extend_from_slice(&n.to_le_bytes());
            }
            bytes.extend_from_slice(&r.occurred_us.to_le_bytes());
            bytes.extend_from_slice(&r.recorded_us.to_le_bytes());
        }
        (self.first, Bytes(bytes)).serialize(s)
    }
}

impl<'de> Deserialize<'de> for AuditIndex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (first, Bytes(bytes)) = <(u64, Bytes)>::deserialize(d)?;
        if bytes.len() % ROW_BYTES != 0 {
            return Err(D::Error::custom("the audit rows do not divide into rows"));
        }
        let mut index = AuditIndex {
            first,
            ..AuditIndex::default()
        };
        let rows = bytes.chunks_exact(ROW_BYTES).map(|row| {
            let u = |i: usize| {
                let mut b = [0u8; 4];
                b.copy_from_slice(&row[i * 4..i * 4 + 4]);
                u32::from_le_bytes(b)
            };
            let i = |at: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&row[at..at + 8]);
                i64::from_le_bytes(b)
            };
            AuditRow {
                stream: Sym(u(0)),
                event_type: Sym(u(1)),
                actor: Sym(u(2)),
                role: Sym(u(3)),
                site: Sym(u(4)),
                person: u(5),
                case: u(6),
                occurred_us: i(28),
                recorded_us: i(36),
            }
        });
        // The postings are derived: listed again as the rows are read.
        for row in rows {
            index.push_row(row);
        }
        Ok(index)
    }
}

/// Bytes written as one binary value.
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}
