//! Records taken as they are (from an export), written like a group commit once they are
//! checked to continue the chain at the head.

use std::collections::HashMap;

use tokio::sync::watch;

use super::writer::{make_sled_durable, Disk, ImportRequest};
use super::{head_mark_bytes, Head, Shared, META_HEAD};
use crate::blocks;
use crate::error::JournalError;
use crate::record::{chain_hash, RecordedEvent};

/// Checks that `records` continue the chain at the head, then writes them like a group commit.
pub(super) fn write_import(
    shared: &Shared,
    head_tx: &watch::Sender<Head>,
    disk: &mut Disk,
    import: ImportRequest,
) {
    let result = import_records(shared, head_tx, disk, &import.records);
    let _ = import.reply.send(result);
}

pub(super) fn import_records(
    shared: &Shared,
    head_tx: &watch::Sender<Head>,
    disk: &mut Disk,
    records: &[RecordedEvent],
) -> Result<Head, JournalError> {
    if let Some(error) = shared.poisoned() {
        return Err(error);
    }
    let (mut head, mut last_recorded_at) = {
        let index = shared.index.read();
        (index.head, index.last_recorded_at)
    };
    let mut versions: HashMap<&str, u64> = HashMap::new();
    let mut ids: std::collections::HashSet<u128> = std::collections::HashSet::new();
    let mut frames = Vec::with_capacity(records.len());
    // The append the last record left open: its stream, that record's index and the length.
    let mut append: Option<(&str, u16, u16)> = None;
    {
        let index = shared.index.read();
        for record in records {
            let misfit = |why: String| {
                Err(JournalError::InvalidAppend(format!(
                    "record at position {}: {why}",
                    record.position
                )))
            };
            if record.position != head.position.next() {
                return misfit(format!("the journal continues at {}", head.position.next()));
            }
            if record.prev_hash != head.hash {
                return misfit("its previous hash is not the journal's head".into());
            }
            let body = record.body_bytes();
            if chain_hash(&record.prev_hash, &body) != record.hash {
                return misfit("its hash does not match its bytes".into());
            }
            // Appends stay whole: each record continues the append before it or starts one at
            // an append's end (the journal's head always is one).
            let (at, len) = (record.append_index, record.append_len);
            if at >= len {
                return misfit(format!(
                    "it says it is event {at} of an append of {len} (counting from 0)"
                ));
            }
            let continues = match (at, append) {
                (0, None) => true,
                (0, Some(_)) => false,
                (i, Some((stream, last_index, last_len))) => {
                    stream == record.stream && last_index + 1 == i && last_len == len
                }
                (_, None) => false,
            };
            if !continues {
                return misfit(format!(
                    "event {at} of an append of {len} does not follow the events of its append"
                ));
            }
            append = (at + 1 < len).then_some((record.stream.as_str(), at, len));
            let current = match versions.get(record.stream.as_str()) {
                Some(&v) => v,
                None => index.stream_version(&record.stream),
            };
            if record.version != current + 1 {
                return misfit(format!(
                    "stream {} is at version {current}, the record says {}",
                    record.stream, record.version
                ));
            }
            if index.ids.contains_key(&record.id.0) || !ids.insert(record.id.0) {
                return misfit(format!("event id {} is already recorded", record.id));
            }
            if record.recorded_at < last_recorded_at {
                return misfit("recorded_at goes back in time".into());
            }
            versions.insert(&record.stream, record.version);
            last_recorded_at = record.recorded_at;
            head = Head {
                position: record.position,
                hash: record.hash,
            };
            frames.push(record.stored_bytes());
        }
    }
    if let (Some((_, last_index, len)), Some(last)) = (append, records.last()) {
        return Err(JournalError::InvalidAppend(format!(
            "record at position {}: the records end inside an append (event {last_index} of {len}); import up to the end of that append",
            last.position
        )));
    }
    if frames.is_empty() {
        return Ok(head);
    }
    let written = (|| {
        blocks::write(&shared.blocks, records[0].position, &frames)?;
        shared.meta.insert(META_HEAD, &head_mark_bytes(&head)[..])?;
        disk.append(records[0].position, &frames)?;
        if disk.rolled() {
            make_sled_durable(shared, disk)?;
        }
        Ok(())
    })();
    if let Err(error) = written {
        return Err(shared.poison("journal import", &error));
    }
    {
        let mut index = shared.index.write();
        for record in records {
            index.add_acknowledged(record);
        }
        index.head = head;
        index.last_recorded_at = last_recorded_at;
    }
    head_tx.send_replace(head);
    Ok(head)
}
