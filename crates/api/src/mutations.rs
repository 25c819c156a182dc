//! One mutation per domain command. Each takes a typed input, an optional `eventId` (a ULID the
//! client chooses, so that a retry records nothing twice) and an optional `expectedVersion` (the
//! stream version the client saw, where a race matters), and returns the recorded events with
//! their positions and hashes.
//!
//! Inputs mirror the domain's commands field for field (same camelCase names), so an input is
//! turned into a command through serde: `input → JSON → domain::Command`. The actor is always the
//! request's principal.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use desk::Desk;
use domain::Command;
use serde::Serialize;
use ulid::Ulid;

use crate::error;
use crate::metrics::Metrics;
use crate::objects::EventNode;
use crate::Principal;

/// What a mutation recorded.
#[derive(SimpleObject)]
pub struct Recorded {
    /// The recorded events, with position and hash.
    pub events: Vec<EventNode>,
    /// True when the event id had already been recorded with this command: nothing new was
    /// written and these are the original events.
    pub already_recorded: bool,
}

/// Turns a typed input into the domain command named `command`.
pub(crate) fn to_command(command: &'static str, input: &impl Serialize) -> Result<Command> {
    let mut value = serde_json::to_value(input).map_err(error::internal)?;
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("command".into(), serde_json::Value::String(command.into()));
    }
    serde_json::from_value(value).map_err(|e| error::bad_input(format!("{command}: {e}")))
}

/// Parses a client-chosen event id.
pub(crate) fn parse_ulid(field: &str, id: &ID) -> Result<Ulid> {
    Ulid::from_string(id.as_str()).map_err(|_| {
        error::bad_input(format!(
            "{field} must be a ULID (26 characters), got {:?}",
            id.as_str()
        ))
    })
}

/// Executes a command as the request's principal.
pub(crate) async fn run(
    ctx: &Context<'_>,
    command: Command,
    event_id: Option<ID>,
    expected_version: Option<u64>,
) -> Result<Recorded> {
    let principal = ctx.data_opt::<Principal>().ok_or_else(|| {
        error::coded(
            error::UNAUTHENTICATED,
            "who is recording this? send the x-impact-actor and x-impact-role headers",
        )
    })?;
    let desk = ctx.data::<Desk>()?;
    let metrics = ctx.data::<Arc<Metrics>>()?;
    let event_id = event_id
        .as_ref()
        .map(|id| parse_ulid("eventId", id))
        .transpose()?;
    let outcome = desk
        .execute(&principal.actor, &command, event_id, expected_version)
        .await
        .map_err(error::from_desk)?;
    match outcome {
        Ok(recorded) => {
            if !recorded.already_recorded {
                metrics.recorded(recorded.events.len());
            }
            tracing::info!(
                command = command.name(),
                position = recorded.events.last().map(|e| e.position.0).unwrap_or(0),
                already_recorded = recorded.already_recorded,
                "command recorded"
            );
            Ok(Recorded {
                events: recorded.events.into_iter().map(EventNode).collect(),
                already_recorded: recorded.already_recorded,
            })
        }
        Err(refused) => {
            metrics.refused();
            tracing::info!(command = command.name(), "command refused");
            Err(error::from_refused(&refused))
        }
    }
}

/// The options every mutation takes besides its input.
#[derive(InputObject, Default)]
pub struct RecordOptions {
    /// A ULID chosen by the client for the (first) recorded event: sending the same mutation
    /// again with the same id records nothing twice and returns the original events.
    pub event_id: Option<ID>,
    /// The stream version the client saw; the mutation is refused with CONFLICT if the stream
    /// has moved on since.
    pub expected_version: Option<u64>,
}

#[derive(Default)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Records a command given as the JSON of an import line's `command` (the same shape as
    /// `fixtures/*.jsonl`); for tools that move data in bulk. Typed mutations are preferred.
    async fn record_command(
        &self,
        ctx: &Context<'_>,
        command: async_graphql::Json<serde_json::Value>,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        let command: Command = serde_json::from_value(command.0)
            .map_err(|e| error::bad_input(format!("not a command: {e}")))?;
        let options = options.unwrap_or_default();
        run(ctx, command, options.event_id, options.expected_version).await
    }
}
