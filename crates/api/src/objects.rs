//! GraphQL objects over the journal's own types.

use async_graphql::{Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use journal::RecordedEvent;

/// Who recorded an event, as the journal stored it.
#[derive(SimpleObject, Clone)]
pub struct ActorNode {
    pub id: String,
    pub role: String,
}

/// A recorded event: the envelope, the payload and its place in the hash chain.
pub struct EventNode(pub RecordedEvent);

#[Object(name = "Event")]
impl EventNode {
    /// The event id (ULID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Global position in the journal, gap-free from 1.
    async fn position(&self) -> u64 {
        self.0.position.0
    }
    /// The stream the event belongs to (`case-…`, `person-…`, `logbook-…`).
    async fn stream(&self) -> &str {
        &self.0.stream
    }
    /// Version within the stream, gap-free from 1.
    async fn version(&self) -> u64 {
        self.0.version
    }
    /// The event type, a past-tense fact (`IntakeRecorded`).
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn schema_version(&self) -> u16 {
        self.0.schema_version
    }
    /// When the fact happened.
    async fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.0.occurred_at.to_datetime()
    }
    /// When the journal recorded it.
    async fn recorded_at(&self) -> Option<DateTime<Utc>> {
        self.0.recorded_at.to_datetime()
    }
    async fn actor(&self) -> ActorNode {
        ActorNode {
            id: self.0.actor.id.clone(),
            role: self.0.actor.role.clone(),
        }
    }
    /// The event's fields, as stored.
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_slice(&self.0.payload).unwrap_or(serde_json::Value::Null))
    }
    /// Hash of the previous event (hex), or the genesis value for position 1.
    async fn prev_hash(&self) -> String {
        self.0.prev_hash.to_hex()
    }
    /// blake3 keyed with `prevHash` over the stored bytes (hex).
    async fn hash(&self) -> String {
        self.0.hash.to_hex()
    }
}

/// The head of the chain: the digest an auditor writes down.
#[derive(SimpleObject, Clone)]
pub struct HeadNode {
    pub position: u64,
    pub hash: String,
}

impl From<journal::Head> for HeadNode {
    fn from(head: journal::Head) -> Self {
        HeadNode {
            position: head.position.0,
            hash: head.hash.to_hex(),
        }
    }
}
