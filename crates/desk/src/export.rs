//! The export line (`impact export`): the readable envelope for people and tools, the exact
//! stored bytes for re-verification, and the check that the two say the same
//! (docs/VERIFYING.md, "The export line"). `impact import` and `impact verify-export` use it.

use std::fmt::Write as _;

use journal::{ChainHash, RecordedEvent};
use serde_json::{json, Value};

/// One exported event: the envelope as JSON, and the stored bytes (hex) with the hashes.
pub fn export_line(event: &RecordedEvent) -> Value {
    let payload: Value = serde_json::from_slice(&event.payload).unwrap_or(Value::Null);
    json!({
        "position": event.position.0,
        "id": event.id.to_string(),
        "stream": event.stream,
        "version": event.version,
        "type": event.event_type,
        "schemaVersion": event.schema_version,
        "occurredAt": event.occurred_at.to_string(),
        "recordedAt": event.recorded_at.to_string(),
        "actor": { "id": event.actor.id, "role": event.actor.role },
        "payload": payload,
        "record": hex::encode(event.stored_bytes()),
        "prevHash": event.prev_hash.to_hex(),
        "hash": event.hash.to_hex(),
    })
}

/// The record an export line carries: `record` decoded, its hash recomputed from its bytes.
pub fn line_record(line: &Value) -> Result<RecordedEvent, String> {
    let text = line
        .get("record")
        .and_then(Value::as_str)
        .ok_or("no record (the stored bytes, hex)")?;
    let bytes = hex::decode(text).map_err(|e| format!("record is not hexadecimal: {e}"))?;
    let record =
        journal::decode_record(&bytes).map_err(|e| format!("record cannot be decoded: {e}"))?;
    if journal::chain_hash(&record.prev_hash, &record.body_bytes()) != record.hash {
        return Err(format!(
            "position {}: hash mismatch: the stored bytes were altered",
            record.position
        ));
    }
    Ok(record)
}

/// Every readable field of an export line must say what the hashed bytes say: the same JSON the
/// export writes, field by field (`payload` compared as a JSON value, so that key order and
/// spacing do not matter). The names of the fields that differ.
pub fn readable_fields_differ(line: &Value, record: &RecordedEvent) -> Option<String> {
    let expected = export_line(record);
    let mut differs = String::new();
    for field in [
        "position",
        "id",
        "stream",
        "version",
        "type",
        "schemaVersion",
        "occurredAt",
        "recordedAt",
        "actor",
        "payload",
        "prevHash",
        "hash",
    ] {
        if line.get(field) != expected.get(field) {
            let _ = write!(differs, " {field}");
        }
    }
    (!differs.is_empty()).then(|| {
        format!(
            "position {}: the readable fields differ from the hashed record:{differs}",
            record.position
        )
    })
}

/// Checks an export, line by line, against the chain: every record intact, every readable field
/// as its bytes say, positions consecutive, each linked to the one before (to genesis at
/// position 1; an export that starts later trusts its first `prevHash`). `Ok(head)` or the
/// line number (1-based) with the reason.
pub fn verify_export(
    lines: impl Iterator<Item = std::io::Result<String>>,
) -> Result<Option<(u64, ChainHash)>, (usize, String)> {
    let mut previous: Option<(u64, ChainHash)> = None;
    for (index, line) in lines.enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| (number, format!("cannot read: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(&line).map_err(|e| (number, format!("not JSON: {e}")))?;
        let record = line_record(&value).map_err(|reason| (number, reason))?;
        let at = record.position.0;
        match previous {
            Some((position, _)) if at != position + 1 => {
                return Err((number, format!("position {}: missing", position + 1)));
            }
            Some((_, hash)) if record.prev_hash != hash => {
                return Err((
                    number,
                    format!("position {at}: broken link: the previous hash differs"),
                ));
            }
            None if at == 1 && record.prev_hash != ChainHash::genesis() => {
                return Err((
                    number,
                    "position 1: broken link: the previous hash is not genesis".into(),
                ));
            }
            _ => {}
        }
        if let Some(reason) = readable_fields_differ(&value, &record) {
            return Err((number, reason));
        }
        previous = Some((at, record.hash));
    }
    Ok(previous)
}
