//! Executing a command: decide against the write model, seal, append with the decided stream
//! version, decide again after a conflict (unless the caller pinned a version), and wait for the
//! projector. A command whose event id is already recorded is a retry ([`Desk::repeat`]) when it
//! asks for the same content ([`same_content`]), otherwise [`Refused::IdReused`].
//!
//! Deny by default: a command is refused unless [`Command::roles`] names the actor's role.

use std::time::Duration;

use domain::{Actor, Command, Context, Event, Expected, Rejection};
use journal::{ExpectedVersion, NewEvent, Position, RecordedEvent, Timestamp};
use serde::Serialize;
use ulid::Ulid;

use crate::sealing::sealed_payload;
use crate::{Desk, DeskError};

/// How many times a command is decided again after a concurrent append to its stream.
const CONFLICT_RETRIES: usize = 5;

/// A command that was not recorded, as a value the caller shows to a person.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refused {
    /// The domain refused it: which field and why.
    Rejected(Rejection),
    /// The stream moved on since the version the caller expected.
    Conflict {
        stream: String,
        expected: u64,
        actual: u64,
    },
    /// The event id was already used for another fact.
    IdReused { id: Ulid, position: Position },
}

/// A command that was recorded (or had been, for a retry with the same event id).
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub events: Vec<RecordedEvent>,
    pub already_recorded: bool,
}

impl Desk {
    /// Decides `command` for `actor` and records its events. `event_id` names the (first) event
    /// and makes a retry safe; `expected` is the stream version the caller saw, where a race
    /// matters (otherwise the version the decision was made against is used, and a concurrent
    /// change to the stream makes the command be decided again).
    ///
    /// Deny by default: a command whose [`Command::roles`] does not name the actor's role is
    /// refused (`NotPermitted`, field `actor`) before anything is decided, whatever the caller
    /// checked already. `RecordCheckpoint` names no role: only the desk signs checkpoints.
    ///
    /// A recorded supervision meeting (the monthly supervision) is followed by a signed
    /// checkpoint, so that at least one a month leaves the system; see [`Desk::sign_checkpoint`].
    pub async fn execute(
        &self,
        actor: &Actor,
        command: &Command,
        event_id: Option<Ulid>,
        expected: Option<u64>,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        let outcome = self
            .execute_outer(actor, command, event_id, expected)
            .await?;
        if let (Command::RecordSupervisionMeeting(_), Ok(recorded)) = (command, &outcome) {
            if !recorded.already_recorded {
                match self.sign_checkpoint(actor, None).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(refused)) => {
                        tracing::warn!(reason = %describe_refusal(&refused), "the scheduled checkpoint was refused")
                    }
                    Err(error) => tracing::error!(%error, "the scheduled checkpoint failed"),
                }
            }
        }
        Ok(outcome)
    }

    /// [`Desk::execute`] without the scheduled checkpoint: what an import runs (an imported
    /// supervision meeting is history; sign a checkpoint once the import is done).
    pub(crate) async fn execute_outer(
        &self,
        actor: &Actor,
        command: &Command,
        event_id: Option<Ulid>,
        expected: Option<u64>,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        if !command.permits(actor.role) {
            let message = if let Command::RecordCheckpoint(_) = command {
                "checkpoints are signed by the desk itself: use signCheckpoint or impact checkpoint"
                    .to_owned()
            } else {
                format!(
                    "a {} may not record {}",
                    actor.role.as_str(),
                    command.name()
                )
            };
            return Ok(Err(Refused::Rejected(Rejection::new(
                "actor",
                domain::RejectionKind::NotPermitted,
                message,
            ))));
        }
        self.execute_inner(actor, command, event_id, expected).await
    }

    pub(crate) async fn execute_inner(
        &self,
        actor: &Actor,
        command: &Command,
        event_id: Option<Ulid>,
        expected: Option<u64>,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        // Not `unwrap_or_default`: `Ulid::default()` is the nil id, not a fresh one.
        #[allow(clippy::unwrap_or_default)]
        let event_id = event_id.unwrap_or_else(Ulid::new);
        if let Some(original) = self.journal.get_by_id(event_id)? {
            return self.repeat(actor, command, original).await;
        }
        // A booking reads the agenda of its mediator on other streams than its own, which the
        // journal's version check cannot guard: such decisions wait for one another, and each
        // holds the lock until the projector has folded its events.
        let _agenda = if command.reads_the_agenda() {
            Some(self.agenda.lock().await)
        } else {
            None
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let context = Context {
                now: (self.clock)(),
                actor: actor.clone(),
            };
            let decision = {
                let models = self.models.read();
                models.desk.decide(command, &context)
            };
            let decision = match decision {
                Ok(decision) => decision,
                Err(rejection) => return Ok(Err(Refused::Rejected(rejection))),
            };
            let decided_version = match decision.expected {
                Expected::NoStream => 0,
                Expected::Exactly(n) => n,
            };
            if let Some(expected) = expected {
                if expected != decided_version {
                    return Ok(Err(Refused::Conflict {
                        stream: decision.stream.as_str().to_owned(),
                        expected,
                        actual: decided_version,
                    }));
                }
            }
            let mut events = to_new_events(actor, event_id, &decision.events);
            if let Err(refused) = self.seal(&decision.events, &mut events)? {
                return Ok(Err(refused));
            }
            let outcome = self
                .journal
                .append(
                    decision.stream.as_str(),
                    ExpectedVersion::Exactly(decided_version),
                    events,
                )
                .await?;
            match outcome {
                Ok(appended) => {
                    self.wait_for(appended.last_position()).await?;
                    return Ok(Ok(Recorded {
                        events: appended.events,
                        already_recorded: appended.already_recorded,
                    }));
                }
                Err(journal::Rejected::IdReused(reused)) => {
                    return Ok(Err(Refused::IdReused {
                        id: reused.id,
                        position: reused.position,
                    }))
                }
                Err(journal::Rejected::Conflict(conflict)) => {
                    // Another command changed the stream after our decision. Let the models catch
                    // up with the journal and decide again, unless the caller pinned a version.
                    if expected.is_some() || attempt > CONFLICT_RETRIES {
                        return Ok(Err(Refused::Conflict {
                            stream: conflict.stream,
                            expected: decided_version,
                            actual: conflict.actual,
                        }));
                    }
                    let head = self.journal.head().position;
                    tokio::time::timeout(Duration::from_secs(5), self.wait_for(head))
                        .await
                        .map_err(|_| DeskError::ProjectorStopped)??;
                }
            }
        }
    }

    /// Seals the personal values of the events about one person, in place.
    fn seal(
        &self,
        decided: &[Event],
        events: &mut [NewEvent],
    ) -> Result<Result<(), Refused>, DeskError> {
        for (event, new) in decided.iter().zip(events.iter_mut()) {
            let payload = std::mem::take(&mut new.payload);
            match sealed_payload(&self.vault, event, new.id, payload)? {
                Ok(sealed) => new.payload = sealed,
                Err(vault::Erased) => {
                    return Ok(Err(Refused::Rejected(Rejection::new(
                        "personId",
                        domain::RejectionKind::Erased,
                        "this person's data was erased: no new personal data is kept about them",
                    ))))
                }
            }
        }
        Ok(Ok(()))
    }

    /// A command whose event id is already recorded: a retry (same actor, same kind of fact)
    /// gets the original events back; anything else is `IdReused`.
    pub(crate) async fn repeat(
        &self,
        actor: &Actor,
        command: &Command,
        original: RecordedEvent,
    ) -> Result<Result<Recorded, Refused>, DeskError> {
        // A checkpoint's content is the desk's own (signed at the head when first asked): its
        // retry is the same actor asking again under the same id.
        let same = original.actor.id == actor.id
            && original.actor.role == actor.role.as_str()
            && original.event_type == command.event_type()
            && (matches!(command, Command::RecordCheckpoint(_))
                || same_content(command, &self.decode(&original)?));
        if !same {
            return Ok(Err(Refused::IdReused {
                id: original.id,
                position: original.position,
            }));
        }
        let first = original.position.0 - u64::from(original.append_index);
        let count = usize::from(original.append_len);
        let events = self.journal.read_forward(Position(first), count)?;
        self.wait_for(original.position).await?;
        Ok(Ok(Recorded {
            events,
            already_recorded: true,
        }))
    }
}

/// A refusal in words a person can act on.
pub fn describe_refusal(refused: &Refused) -> String {
    match refused {
        Refused::Rejected(r) => format!("{} ({}): {}", r.field, kind_name(r), r.message),
        Refused::Conflict {
            stream,
            expected,
            actual,
        } => format!(
            "{stream} changed meanwhile: expected version {expected}, it is at {actual}; reload and try again"
        ),
        Refused::IdReused { id, position } => format!(
            "event id {id} was already used for another fact (position {position}); use a new id"
        ),
    }
}

fn kind_name(rejection: &Rejection) -> String {
    serde_json::to_value(rejection.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// True when `command` asks for what `recorded` (the first event its id names, opened) holds:
/// every field the command shares with the event has the same value in both. A field the event
/// does not carry (derived otherwise) is not compared, nor a personal value that was erased
/// since. Commands carry what their first event records under the same names (the retry test in
/// `tests/desk.rs` runs every fixture command again), so an id reused for another person, other
/// needs or another time is told apart from a retry.
fn same_content(command: &Command, recorded: &Event) -> bool {
    let (Ok(serde_json::Value::Object(asked)), Ok(serde_json::Value::Object(held))) = (
        serde_json::to_value(command),
        serde_json::from_slice::<serde_json::Value>(&recorded.to_payload()),
    ) else {
        return false;
    };
    let erased = [
        domain::PersonalData::erased_json(),
        domain::PersonalNote::erased_json(),
    ];
    asked
        .iter()
        .filter(|(name, _)| name.as_str() != "command")
        .all(|(name, value)| match held.get(name) {
            None => true,
            Some(kept) => kept == value || erased.contains(kept),
        })
}

/// Event ids: the first event takes `first`, the next ones count up from it.
fn to_new_events(actor: &Actor, first: Ulid, events: &[Event]) -> Vec<NewEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| NewEvent {
            id: Ulid(first.0.wrapping_add(u128::try_from(i).unwrap_or(0))),
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            occurred_at: Timestamp::from(event.occurred_at()),
            actor: journal::Actor {
                id: actor.id.clone(),
                role: actor.role.as_str().to_owned(),
            },
            payload: event.to_payload(),
        })
        .collect()
}
