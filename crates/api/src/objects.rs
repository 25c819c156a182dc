//! GraphQL objects over the journal's own types.

use async_graphql::parser::types::Field;
use async_graphql::{
    Context, ContextSelectionSet, Json, Object, OutputType, Positioned, Result, ServerResult,
    SimpleObject, Value, ID,
};
use chrono::{DateTime, Utc};
use journal::RecordedEvent;

use crate::access;
use crate::error;

/// Who recorded an event, as the journal stored it.
#[derive(SimpleObject, Clone)]
pub struct ActorNode {
    pub id: String,
    pub role: String,
}

/// A recorded event: the envelope, the payload and its place in the hash chain.
pub struct EventNode {
    pub record: RecordedEvent,
    /// The read of its payload was already recorded (a subscription records it before it sends
    /// the event); otherwise `payload` notes it in the request's read log.
    audited: bool,
}

impl EventNode {
    pub fn new(record: RecordedEvent) -> EventNode {
        EventNode {
            record,
            audited: false,
        }
    }

    pub fn audited(record: RecordedEvent) -> EventNode {
        EventNode {
            record,
            audited: true,
        }
    }
}

/// The person an event is about, and the fields of its payload that are shown when the payload
/// is: `payload`, and `payload.<field>` for each personal field present (names, notes, ...).
pub(crate) fn payload_read(payload: &Value) -> Option<(domain::PersonId, Vec<String>)> {
    let Value::Object(map) = payload else {
        return None;
    };
    // Every event about a person names them in `personId` (`domain::Event::person_id`).
    let Some(Value::String(person)) = map.get("personId") else {
        return None;
    };
    let person = domain::PersonId(person.parse().ok()?);
    let mut fields = vec!["payload".to_string()];
    for name in domain::personal::PERSONAL_FIELD_NAMES {
        if map.get(*name).is_some_and(|v| *v != Value::Null) {
            fields.push(format!("payload.{name}"));
        }
    }
    if let Some(Value::Object(personal)) = map.get("personalFields") {
        fields.extend(
            personal
                .keys()
                .map(|k| format!("payload.personalFields.{k}")),
        );
    }
    Some((person, fields))
}

/// An event's payload as a GraphQL value, with its sealed personal values opened: parsed once,
/// straight from the stored bytes when nothing is sealed.
pub(crate) fn payload_value(desk: &desk::Desk, record: &RecordedEvent) -> Result<Value> {
    Ok(
        match desk
            .opened_payload_value(record)
            .map_err(error::from_desk)?
        {
            Some(opened) => Value::from_json(opened).unwrap_or(Value::Null),
            None => serde_json::from_slice(&record.payload).unwrap_or(Value::Null),
        },
    )
}

/// The `JSON` scalar for a value built once: resolving hands it over instead of serializing a
/// `serde_json::Value` into a GraphQL value again (a page of the audit trail has twenty).
pub struct Payload(parking_lot::Mutex<Option<Value>>);

impl Payload {
    pub fn new(value: Value) -> Payload {
        Payload(parking_lot::Mutex::new(Some(value)))
    }
}

impl OutputType for Payload {
    fn type_name() -> std::borrow::Cow<'static, str> {
        <Json<serde_json::Value> as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <Json<serde_json::Value> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Ok(self.0.lock().take().unwrap_or_default())
    }
}

#[Object(name = "Event")]
impl EventNode {
    /// The event id (ULID).
    async fn id(&self) -> ID {
        ID(self.record.id.to_string())
    }
    /// Global position in the journal, gap-free from 1.
    async fn position(&self) -> u64 {
        self.record.position.0
    }
    /// The stream the event belongs to (`case-…`, `person-…`, `logbook-…`).
    async fn stream(&self) -> &str {
        &self.record.stream
    }
    /// Version within the stream, gap-free from 1.
    async fn version(&self) -> u64 {
        self.record.version
    }
    /// The event type, a past-tense fact (`IntakeRecorded`).
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.record.event_type
    }
    async fn schema_version(&self) -> u16 {
        self.record.schema_version
    }
    /// When the fact happened.
    async fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.record.occurred_at.to_datetime()
    }
    /// When the journal recorded it.
    async fn recorded_at(&self) -> Option<DateTime<Utc>> {
        self.record.recorded_at.to_datetime()
    }
    async fn actor(&self) -> ActorNode {
        ActorNode {
            id: self.record.actor.id.clone(),
            role: self.record.actor.role.clone(),
        }
    }
    /// The event's fields, with its personal values opened for the reader (`[erased]` after an
    /// erasure; the stored bytes hold them sealed, see `impact export`). Showing the payload of
    /// an event about a person is a read of their data: it is recorded in the read audit.
    async fn payload(&self, ctx: &Context<'_>) -> Result<Payload> {
        let desk = ctx.data::<desk::Desk>()?;
        let payload = payload_value(desk, &self.record)?;
        if !self.audited {
            if let Some((person, fields)) = payload_read(&payload) {
                access::note_read(ctx, person, fields)?;
            }
        }
        Ok(Payload::new(payload))
    }
    /// Hash of the previous event (hex), or the genesis value for position 1.
    async fn prev_hash(&self) -> String {
        self.record.prev_hash.to_hex()
    }
    /// blake3 keyed with `prevHash` over the stored bytes (hex).
    async fn hash(&self) -> String {
        self.record.hash.to_hex()
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
