//! The read audit: every read of a person's personal data, recorded in its own hash-chained
//! journal (`read-audit/` in the data directory), apart from the case journal.
//!
//! One request (a query, a subscription message, an export) is one append of one
//! `PersonalDataRead` event per person it showed, in a stream of its own (`read-<request id>`).
//! The events carry who read (the journal's actor), when (the journal's `recorded_at`), which
//! person (by id) and which fields: never the data itself.
//!
//! Key types: [`ReadAudit`], [`PersonalDataRead`], [`ReadEntry`].
//! Invariant: a read is answered only after its audit record is durable (the caller awaits
//! [`ReadAudit::record`] before it sends the data); the in-memory indexes only follow the journal.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::{Actor, PersonId};
use journal::{ExpectedVersion, Journal, NewEvent, Position, RecordedEvent, Timestamp};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::DeskError;

/// The event type of a read.
pub const EVENT_TYPE: &str = "PersonalDataRead";
/// Its payload's schema version.
const SCHEMA_VERSION: u16 = 1;
/// The read audit's directory inside the data directory.
pub const DIR: &str = "read-audit";

/// How a read happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadChannel {
    Query,
    Subscription,
    Export,
}

/// One person's data shown to one actor by one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalDataRead {
    pub person: PersonId,
    /// The fields shown, as paths (`personal.fullName`, `payload.note`), sorted, no repeats.
    pub fields: Vec<String>,
    pub channel: ReadChannel,
    /// The request that read them: every read of one request shares it.
    pub request: Ulid,
}

/// A recorded read, as supervisors list them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadEntry {
    pub position: Position,
    pub at: DateTime<Utc>,
    pub actor: journal::Actor,
    pub read: PersonalDataRead,
}

#[derive(Default)]
struct Index {
    entries: Vec<ReadEntry>,
    by_person: HashMap<PersonId, Vec<usize>>,
    by_actor: HashMap<String, Vec<usize>>,
}

impl Index {
    /// Indexes a recorded read, parsing its payload (at open).
    fn add(&mut self, record: &RecordedEvent) -> Result<(), DeskError> {
        let read: PersonalDataRead =
            serde_json::from_slice(&record.payload).map_err(|e| DeskError::ReadAudit {
                position: record.position,
                reason: e.to_string(),
            })?;
        self.add_read(record, read)
    }

    /// Indexes a recorded read whose payload is at hand (just appended).
    fn add_read(
        &mut self,
        record: &RecordedEvent,
        read: PersonalDataRead,
    ) -> Result<(), DeskError> {
        let at = record
            .recorded_at
            .to_datetime()
            .ok_or_else(|| DeskError::ReadAudit {
                position: record.position,
                reason: "recorded_at out of range".into(),
            })?;
        let index = self.entries.len();
        self.by_person.entry(read.person).or_default().push(index);
        self.by_actor
            .entry(record.actor.id.clone())
            .or_default()
            .push(index);
        self.entries.push(ReadEntry {
            position: record.position,
            at,
            actor: record.actor.clone(),
            read,
        });
        Ok(())
    }
}

/// Concurrent requests may index their reads out of journal order: sort on the way out.
fn oldest_first(index: &Index, at: Option<&Vec<usize>>) -> Vec<ReadEntry> {
    let mut entries: Vec<ReadEntry> = at
        .map(|at| at.iter().map(|&i| index.entries[i].clone()).collect())
        .unwrap_or_default();
    entries.sort_by_key(|e| e.position);
    entries
}

/// The read audit of one data directory. Cheap to clone.
#[derive(Clone)]
pub struct ReadAudit {
    journal: Journal,
    index: Arc<RwLock<Index>>,
}

impl ReadAudit {
    /// Opens (creating) the read audit in `data_dir/read-audit`, and indexes what it holds.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<ReadAudit, DeskError> {
        let options = journal::Options {
            // Reads are small and rarely read back: a small cache is enough.
            cache_capacity_bytes: 8 * 1024 * 1024,
            wal_bytes: 4 * 1024 * 1024,
            ..journal::Options::default()
        };
        let journal = Journal::open(data_dir.as_ref().join(DIR), options)?;
        let mut index = Index::default();
        for record in journal.iter_forward(Position(1)) {
            index.add(&record?)?;
        }
        Ok(ReadAudit {
            journal,
            index: Arc::new(RwLock::new(index)),
        })
    }

    /// The read audit's own journal (to verify its chain).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Records the reads of one request, durably, before the caller shows the data. Returns the
    /// positions recorded (none for no reads).
    pub async fn record(
        &self,
        actor: &Actor,
        reads: Vec<PersonalDataRead>,
    ) -> Result<Vec<Position>, DeskError> {
        let Some(first) = reads.first() else {
            return Ok(Vec::new());
        };
        let stream = format!("read-{}", first.request);
        let now = Timestamp::now();
        let mut events = Vec::with_capacity(reads.len());
        for read in &reads {
            events.push(NewEvent {
                id: Ulid::new(),
                event_type: EVENT_TYPE.into(),
                schema_version: SCHEMA_VERSION,
                occurred_at: now,
                actor: journal::Actor {
                    id: actor.id.clone(),
                    role: actor.role.as_str().to_string(),
                },
                payload: serde_json::to_vec(read).map_err(|e| DeskError::ReadAudit {
                    position: Position::ZERO,
                    reason: e.to_string(),
                })?,
            });
        }
        let mut positions = Vec::with_capacity(events.len());
        let mut reads = reads.into_iter();
        for chunk in events.chunks(1024) {
            let appended = match self
                .journal
                .append(&stream, ExpectedVersion::Any, chunk.to_vec())
                .await?
            {
                Ok(appended) => appended,
                Err(rejected) => {
                    return Err(DeskError::ReadAudit {
                        position: Position::ZERO,
                        reason: format!("the read audit refused an append: {rejected:?}"),
                    })
                }
            };
            let mut index = self.index.write();
            for record in &appended.events {
                match reads.next() {
                    Some(read) => index.add_read(record, read)?,
                    None => index.add(record)?,
                }
                positions.push(record.position);
            }
        }
        Ok(positions)
    }

    /// Every recorded read of one person's data, oldest first.
    pub fn of_person(&self, person: PersonId) -> Vec<ReadEntry> {
        let index = self.index.read();
        oldest_first(&index, index.by_person.get(&person))
    }

    /// Every recorded read by one actor, oldest first.
    pub fn by_actor(&self, actor_id: &str) -> Vec<ReadEntry> {
        let index = self.index.read();
        oldest_first(&index, index.by_actor.get(actor_id))
    }

    /// How many reads are recorded.
    pub fn len(&self) -> usize {
        self.index.read().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
