//! The read audit: every read of a person's personal data, recorded in its own hash-chained
//! journal (`read-audit/` in the data directory), apart from the case journal.
//!
//! One request (a query, a subscription message, an export) is one append to a stream of its own
//! (`read-<request id>`): a `PersonalDataRead` event (schema version 2) listing every person it
//! showed with the fields shown, split over more events only when the list outgrows
//! [`PAYLOAD_BYTES`]. Version 1, one event per person, is still read. The events carry who read
//! (the journal's actor), when (the journal's `recorded_at`), which persons (by id) and which
//! fields: never the data itself. A page of twenty events about a dozen persons is one small
//! record to hash and store, not a dozen.
//!
//! Key types: [`ReadAudit`], [`PersonalDataRead`], [`ReadEntry`].
//! Invariant: a read is answered only after its audit record is durable (the caller awaits
//! [`ReadAudit::record`] before it sends the data); the in-memory indexes only follow the journal.

use std::collections::{HashMap, HashSet};
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
/// Its payload's schema version: 2, the reads of one request in one event ([`RequestReads`]);
/// 1 was one event per person ([`PersonalDataRead`]).
const SCHEMA_VERSION: u16 = 2;
/// Above this many payload bytes, a request's reads go on in another event of the same append
/// (the journal takes at most `journal::MAX_PAYLOAD_BYTES`).
pub const PAYLOAD_BYTES: usize = 32 * 1024;
/// The read audit's directory inside the data directory.
pub const DIR: &str = "read-audit";

/// How a read happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadChannel {
    Query,
    Subscription,
    Export,
    /// The person's own data handed to them (`impact subject-access`, `subjectAccess`).
    SubjectAccess,
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

/// The payload of a version-2 event: the persons one request showed (all of them, or the part
/// that fits in one event), with the fields shown of each.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestReads<F> {
    request: Ulid,
    channel: ReadChannel,
    persons: Vec<PersonFields<F>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersonFields<F> {
    person: PersonId,
    fields: F,
}

/// A recorded read, as supervisors list them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadEntry {
    pub position: Position,
    pub at: DateTime<Utc>,
    pub actor: journal::Actor,
    pub read: PersonalDataRead,
}

/// One indexed read. Reads repeat a few actors and a few sets of field paths thousands of times,
/// so those are shared, not copied per read: the index grows by a fixed-size entry per person
/// read, not by a handful of strings.
struct Stored {
    position: Position,
    at: DateTime<Utc>,
    actor: Arc<journal::Actor>,
    person: PersonId,
    fields: Arc<[String]>,
    channel: ReadChannel,
    request: Ulid,
}

impl Stored {
    fn entry(&self) -> ReadEntry {
        ReadEntry {
            position: self.position,
            at: self.at,
            actor: journal::Actor::clone(&self.actor),
            read: PersonalDataRead {
                person: self.person,
                fields: self.fields.to_vec(),
                channel: self.channel,
                request: self.request,
            },
        }
    }
}

#[derive(Default)]
struct Index {
    entries: Vec<Stored>,
    by_person: HashMap<PersonId, Vec<usize>>,
    by_actor: HashMap<String, Vec<usize>>,
    actors: HashSet<Arc<journal::Actor>>,
    field_sets: HashSet<Arc<[String]>>,
}

impl Index {
    /// Indexes the reads of a recorded event, parsing its payload (at open).
    fn add(&mut self, record: &RecordedEvent) -> Result<(), DeskError> {
        let unreadable = |e: serde_json::Error| DeskError::ReadAudit {
            position: record.position,
            reason: e.to_string(),
        };
        if record.schema_version == 1 {
            let read: PersonalDataRead =
                serde_json::from_slice(&record.payload).map_err(unreadable)?;
            return self.add_read(record, read);
        }
        let reads: RequestReads<Vec<String>> =
            serde_json::from_slice(&record.payload).map_err(unreadable)?;
        for person in reads.persons {
            self.add_read(
                record,
                PersonalDataRead {
                    person: person.person,
                    fields: person.fields,
                    channel: reads.channel,
                    request: reads.request,
                },
            )?;
        }
        Ok(())
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
        let actor = match self.actors.get(&record.actor) {
            Some(actor) => Arc::clone(actor),
            None => {
                let actor = Arc::new(record.actor.clone());
                self.actors.insert(Arc::clone(&actor));
                actor
            }
        };
        let fields = match self.field_sets.get(read.fields.as_slice()) {
            Some(fields) => Arc::clone(fields),
            None => {
                let fields: Arc<[String]> = read.fields.into();
                self.field_sets.insert(Arc::clone(&fields));
                fields
            }
        };
        let index = self.entries.len();
        self.by_person.entry(read.person).or_default().push(index);
        match self.by_actor.get_mut(&actor.id) {
            Some(reads) => reads.push(index),
            None => {
                self.by_actor.insert(actor.id.clone(), vec![index]);
            }
        }
        self.entries.push(Stored {
            position: record.position,
            at,
            actor,
            person: read.person,
            fields,
            channel: read.channel,
            request: read.request,
        });
        Ok(())
    }
}

/// Concurrent requests may index their reads out of journal order: sort on the way out.
fn oldest_first(index: &Index, at: Option<&Vec<usize>>) -> Vec<ReadEntry> {
    let mut entries: Vec<ReadEntry> = at
        .map(|at| at.iter().map(|&i| index.entries[i].entry()).collect())
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
            log_segment_bytes: 4 * 1024 * 1024,
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

    /// Records the reads of one request (they share its request id and channel), durably,
    /// before the caller shows the data. Returns the positions of the events recorded (none for
    /// no reads; one for most requests).
    pub async fn record(
        &self,
        actor: &Actor,
        reads: Vec<PersonalDataRead>,
    ) -> Result<Vec<Position>, DeskError> {
        let Some(first) = reads.first() else {
            return Ok(Vec::new());
        };
        let request = first.request;
        let channel = first.channel;
        let stream = format!("read-{request}");
        let now = Timestamp::now();
        let actor = journal::Actor {
            id: actor.id.clone(),
            role: actor.role.as_str().to_string(),
        };
        let unwritable = |e: serde_json::Error| DeskError::ReadAudit {
            position: Position::ZERO,
            reason: e.to_string(),
        };
        // The persons go into as few events as fit: `counts[i]` persons in event `i`.
        let mut events = Vec::new();
        let mut counts = Vec::new();
        let mut persons: Vec<PersonFields<&[String]>> = Vec::new();
        let mut bytes = 0;
        for (i, read) in reads.iter().enumerate() {
            if read.request != request || read.channel != channel {
                return Err(DeskError::ReadAudit {
                    position: Position::ZERO,
                    reason: "the reads of one record call come from one request".into(),
                });
            }
            persons.push(PersonFields {
                person: read.person,
                fields: &read.fields,
            });
            // Person id, quotes and punctuation, then each field path with its quotes and comma.
            bytes += 64 + read.fields.iter().map(|f| f.len() + 3).sum::<usize>();
            if bytes >= PAYLOAD_BYTES || i + 1 == reads.len() {
                let payload = serde_json::to_vec(&RequestReads {
                    request,
                    channel,
                    persons: std::mem::take(&mut persons),
                })
                .map_err(unwritable)?;
                counts.push(i + 1 - counts.iter().sum::<usize>());
                events.push(NewEvent {
                    id: Ulid::new(),
                    event_type: EVENT_TYPE.into(),
                    schema_version: SCHEMA_VERSION,
                    occurred_at: now,
                    actor: actor.clone(),
                    payload,
                });
                bytes = 0;
            }
        }
        let mut positions = Vec::with_capacity(reads.len());
        let mut reads = reads.into_iter();
        let mut counts = counts.into_iter();
        for chunk in events.chunks(journal::MAX_EVENTS_PER_APPEND) {
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
                for read in reads.by_ref().take(counts.next().unwrap_or(0)) {
                    index.add_read(record, read)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Role;

    fn reads(request: Ulid, persons: u128, fields: usize) -> Vec<PersonalDataRead> {
        (1..=persons)
            .map(|p| PersonalDataRead {
                person: PersonId(Ulid(p)),
                fields: (0..fields)
                    .map(|f| format!("payload.field{f:03}"))
                    .collect(),
                channel: ReadChannel::Query,
                request,
            })
            .collect()
    }

    #[tokio::test]
    async fn the_reads_of_a_request_are_one_event_until_they_outgrow_it() {
        let dir = tempfile::tempdir().unwrap();
        let actor = Actor::new("s.bianchi", Role::Supervisor);
        let audit = ReadAudit::open(dir.path()).unwrap();
        let small = reads(Ulid::new(), 12, 3);
        assert_eq!(audit.record(&actor, small.clone()).await.unwrap().len(), 1);
        // 400 persons with 100 fields each: about 1.6 MB of paths, over several events.
        let large = reads(Ulid::new(), 400, 100);
        let positions = audit.record(&actor, large.clone()).await.unwrap();
        assert!(positions.len() > 1, "{positions:?}");
        assert!(positions.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        for position in &positions {
            let record = audit.journal().get(*position).unwrap().unwrap();
            assert!(record.payload.len() <= journal::MAX_PAYLOAD_BYTES);
        }
        assert_eq!(audit.len(), 412);
        let before: Vec<_> = (1..=400)
            .map(|p| audit.of_person(PersonId(Ulid(p))))
            .collect();
        drop(audit);

        // Reopened, the index holds the same reads, parsed back from the events.
        let audit = ReadAudit::open(dir.path()).unwrap();
        assert_eq!(audit.len(), 412);
        for (p, was) in (1..=400).zip(before) {
            let now = audit.of_person(PersonId(Ulid(p)));
            assert_eq!(now, was);
        }
        let first = audit.of_person(PersonId(Ulid(1)));
        assert_eq!(first.len(), 2);
        assert_eq!(first[0].read, small[0]);
        assert_eq!(first[1].read, large[0]);
        assert_eq!(audit.by_actor("s.bianchi").len(), 412);
    }

    #[tokio::test]
    async fn a_read_audit_of_one_event_per_person_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let old = reads(Ulid::new(), 2, 1);
        {
            let journal = Journal::open(dir.path().join(DIR), journal::Options::default()).unwrap();
            let events = old
                .iter()
                .map(|read| NewEvent {
                    id: Ulid::new(),
                    event_type: EVENT_TYPE.into(),
                    schema_version: 1,
                    occurred_at: Timestamp::now(),
                    actor: journal::Actor {
                        id: "s.bianchi".into(),
                        role: "supervisor".into(),
                    },
                    payload: serde_json::to_vec(read).unwrap(),
                })
                .collect();
            let stream = format!("read-{}", old[0].request);
            journal
                .append(&stream, ExpectedVersion::Any, events)
                .await
                .unwrap()
                .unwrap();
            journal.close();
        }
        let audit = ReadAudit::open(dir.path()).unwrap();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit.of_person(PersonId(Ulid(2)))[0].read, old[1]);
    }
}
