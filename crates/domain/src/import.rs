//! One line of an import file (`fixtures/*.jsonl`): an event id, who recorded it, the command.

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::command::Command;
use crate::vocab::Actor;

/// `{"eventId":"<ULID>","actor":{"id":"...","role":"mediator"},"command":{"command":"RecordIntake", ...}}`
///
/// The command decides into one event, which takes `event_id`; importing the same line twice
/// therefore names the same event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportLine {
    pub event_id: Ulid,
    pub actor: Actor,
    pub command: Command,
}
