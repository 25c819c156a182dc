//! A desk in a test: commands go through the real domain (`DeskState::decide` + `apply`), get
//! ids and positions as the journal would give them, and are folded into `ReadModels`.
#![allow(dead_code)]

use domain::*;
use journal::{ChainHash, Position, RecordedEvent, Timestamp};
use projections::ReadModels;
use ulid::Ulid;

// The ids, times and site of the shared samples (`domain::samples`); each test uses some.
#[allow(unused_imports)]
pub use domain::samples::{d, id, site, t, SITE};

pub fn mediator(name: &str) -> Actor {
    Actor::new(name, Role::Mediator)
}

pub fn supervisor() -> Actor {
    Actor::new("s.ferri", Role::Supervisor)
}

pub fn admin() -> Actor {
    Actor::new("a.rossi", Role::Admin)
}

/// The journal, simulated: every accepted command becomes a recorded event.
#[derive(Clone)]
pub struct Desk {
    pub state: DeskState,
    pub models: ReadModels,
    pub history: Vec<(RecordedEvent, Event)>,
    versions: std::collections::HashMap<String, u64>,
    next_id: u128,
}

impl Default for Desk {
    fn default() -> Self {
        Desk {
            state: DeskState::new(),
            models: ReadModels::default(),
            history: Vec::new(),
            versions: Default::default(),
            next_id: 1000,
        }
    }
}

impl Desk {
    /// Decides `cmd` by `actor` a little after it happened, appends and folds the event; returns
    /// the event's id and position. Panics if the domain rejects the command.
    pub fn run(&mut self, actor: &Actor, cmd: impl Into<Command>) -> (Ulid, Position) {
        self.record(actor, cmd.into(), None)
    }

    /// Runs an import line as [`Desk::run`] does a command, under the line's event id.
    pub fn run_line(&mut self, line: &ImportLine) -> (Ulid, Position) {
        self.record(&line.actor, line.command.clone(), Some(line.event_id))
    }

    fn record(&mut self, actor: &Actor, cmd: Command, event_id: Option<Ulid>) -> (Ulid, Position) {
        let now = cmd.occurred_at() + chrono::TimeDelta::minutes(30);
        let ctx = Context {
            now,
            actor: actor.clone(),
        };
        let decision = self
            .state
            .decide(&cmd, &ctx)
            .unwrap_or_else(|r| panic!("{} rejected: {r:?}", cmd.name()));
        let mut out = None;
        for event in decision.events {
            self.next_id += 1;
            let event_id = event_id.unwrap_or(id(self.next_id));
            let stream = decision.stream.as_str().to_string();
            let version = self.versions.get(&stream).copied().unwrap_or(0) + 1;
            self.versions.insert(stream.clone(), version);
            let position = Position(self.history.len() as u64 + 1);
            let meta = EventMeta {
                id: event_id,
                stream: decision.stream.clone(),
                version,
                position: position.get(),
                recorded_at: now,
                actor: actor.clone(),
            };
            self.state.apply(&meta, &event);
            let rec = RecordedEvent {
                id: event_id,
                position,
                stream,
                version,
                event_type: event.event_type().to_string(),
                schema_version: event.schema_version(),
                occurred_at: Timestamp::from(event.occurred_at()),
                recorded_at: Timestamp::from(now),
                actor: journal::Actor {
                    id: actor.id.clone(),
                    role: actor.role.as_str().to_string(),
                },
                payload: event.to_payload(),
                append_index: 0,
                append_len: 1,
                prev_hash: ChainHash([0; 32]),
                hash: ChainHash([0; 32]),
                salts: None,
            };
            // Decode as the API will: from the stored bytes.
            let decoded = Event::from_payload(&rec.event_type, rec.schema_version, &rec.payload)
                .expect("the domain reads what it wrote");
            assert_eq!(decoded, event);
            self.models.apply(&rec, &decoded);
            self.history.push((rec, decoded));
            out = Some((event_id, position));
        }
        out.expect("one event per command")
    }

    /// A fresh fold of the history up to `position`: the models as they stood then.
    pub fn as_of(&self, position: Position) -> ReadModels {
        let mut models = ReadModels::default();
        for (rec, event) in self
            .history
            .iter()
            .take_while(|(r, _)| r.position <= position)
        {
            models.apply(rec, event);
        }
        models
    }
}
