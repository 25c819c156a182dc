//! GraphQL objects over the journal's own types.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::{
    Context, ContextBase, ContextSelectionSet, Json, Object, OutputType, Positioned, Result,
    ScalarType, ServerResult, SimpleObject, Value, ID,
};
use chrono::{DateTime, Utc};
use desk::journal::RecordedEvent;

use crate::access;
use crate::error;

/// Who recorded an event, as the journal stored it.
#[derive(SimpleObject, Clone)]
pub struct ActorNode {
    pub id: String,
    pub role: String,
}

/// A recorded event as the schema's `Event`: the envelope, the payload and its place in the hash
/// chain. It resolves the usual selections (plain fields, no fragments or directives) in one
/// pass without async-graphql's per-field futures, a large share of an audit page's time
/// (docs/BENCHMARKS.md); anything else goes through [`EventFields`], the `#[Object]` that also
/// defines the type in the schema, so both give the same values.
pub struct EventNode(EventFields);

impl EventNode {
    pub fn new(record: RecordedEvent) -> EventNode {
        EventNode(EventFields {
            record,
            audited: false,
        })
    }

    /// An event whose payload read was recorded already (a subscription records it before it
    /// sends the event).
    pub fn audited(record: RecordedEvent) -> EventNode {
        EventNode(EventFields {
            record,
            audited: true,
        })
    }
}

impl OutputType for EventNode {
    fn type_name() -> Cow<'static, str> {
        <EventFields as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <EventFields as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self.0.resolve_plain(ctx) {
            Some(value) => Ok(value),
            None => OutputType::resolve(&self.0, ctx, field).await,
        }
    }
}

/// The fields of a selection set when every one is a plain field (no fragment, directive or
/// argument) named in `known`, and no response key repeats; `None` otherwise.
fn plain_fields<'a>(set: &'a SelectionSet, known: &[&str]) -> Option<Vec<&'a Positioned<Field>>> {
    let mut fields: Vec<&Positioned<Field>> = Vec::with_capacity(set.items.len());
    for selection in &set.items {
        let Selection::Field(field) = &selection.node else {
            return None;
        };
        let plain = field.node.directives.is_empty()
            && field.node.arguments.is_empty()
            && (field.node.name.node == "__typename"
                || known.contains(&field.node.name.node.as_str()));
        let key = field.node.response_key();
        if !plain
            || fields
                .iter()
                .any(|f| f.node.response_key().node == key.node)
        {
            return None;
        }
        fields.push(field);
    }
    Some(fields)
}

/// Event fields without a sub-selection or arguments, and `actor`.
const EVENT_FIELDS: &[&str] = &[
    "id",
    "position",
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
];
const ACTOR_FIELDS: &[&str] = &["id", "role"];

/// The `#[Object]` behind [`EventNode`].
pub struct EventFields {
    record: RecordedEvent,
    /// The read of its payload was already recorded; otherwise `payload` notes it in the
    /// request's read log.
    audited: bool,
}

impl EventFields {
    /// The payload as the reader sees it, its read noted in the request's read log.
    fn payload_for<T>(&self, ctx: &ContextBase<'_, T>) -> Result<Value> {
        let desk = ctx.data::<desk::Desk>()?;
        let payload = payload_value(desk, &self.record)?;
        if !self.audited {
            if let Some((person, fields)) = payload_read(&payload) {
                access::note_read(ctx, person, fields)?;
            }
        }
        Ok(payload)
    }

    /// The selection resolved in one pass, the values built as the `#[Object]` builds them
    /// (`ScalarType::to_value`); `None` when the selection is not plain or the payload cannot be
    /// shown (the general path then reports the error where it belongs).
    fn resolve_plain(&self, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        let fields = plain_fields(&ctx.item.node, EVENT_FIELDS)?;
        let actor = fields
            .iter()
            .find(|f| f.node.name.node == "actor")
            .map(|f| plain_fields(&f.node.selection_set.node, ACTOR_FIELDS))
            .unwrap_or(Some(Vec::new()))?;
        let record = &self.record;
        let time =
            |at: desk::journal::Timestamp| at.to_datetime().map_or(Value::Null, |t| t.to_value());
        let mut out = IndexMap::with_capacity(fields.len());
        for field in fields {
            let value = match field.node.name.node.as_str() {
                "id" => Value::String(record.id.to_string()),
                "position" => record.position.0.to_value(),
                "stream" => Value::String(record.stream.clone()),
                "version" => record.version.to_value(),
                "type" => Value::String(record.event_type.clone()),
                "schemaVersion" => record.schema_version.to_value(),
                "occurredAt" => time(record.occurred_at),
                "recordedAt" => time(record.recorded_at),
                "actor" => {
                    let mut object = IndexMap::with_capacity(actor.len());
                    for field in &actor {
                        let value = match field.node.name.node.as_str() {
                            "id" => Value::String(record.actor.id.clone()),
                            "role" => Value::String(record.actor.role.clone()),
                            _ => Value::String(<ActorNode as OutputType>::type_name().into_owned()),
                        };
                        object.insert(field.node.response_key().node.clone(), value);
                    }
                    Value::Object(object)
                }
                "payload" => self.payload_for(ctx).ok()?,
                "prevHash" => Value::String(record.prev_hash.to_hex()),
                "hash" => Value::String(record.hash.to_hex()),
                _ => Value::String(<EventFields as OutputType>::type_name().into_owned()),
            };
            out.insert(field.node.response_key().node.clone(), value);
        }
        Some(Value::Object(out))
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
    if let Some(Value::Object(personal)) = map.get(domain::PERSONAL_FIELDS) {
        fields.extend(
            personal
                .keys()
                .map(|k| format!("payload.{}.{k}", domain::PERSONAL_FIELDS)),
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
impl EventFields {
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
        self.payload_for(ctx).map(Payload::new)
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

impl From<desk::journal::Head> for HeadNode {
    fn from(head: desk::journal::Head) -> Self {
        HeadNode {
            position: head.position.0,
            hash: head.hash.to_hex(),
        }
    }
}
