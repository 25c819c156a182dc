//! Typed inputs of the mutations, one per domain command.
//!
//! Each input mirrors its command field for field, with the same camelCase names, so that
//! serializing the input gives the command's JSON (`mutations::to_command`). Ids are GraphQL `ID`s
//! holding ULIDs, checked one by one first so that a malformed one is named in the error; the
//! domain checks everything else and names the field it refuses.
//!
//! Personal data (names, contacts, notes, comments, observations, goals, decisions) is plain
//! text here and documented as such: the journal keeps it apart so it can be made unreadable.

mod case;
mod correction;
mod directory;
mod mediation;
mod person;
mod record;
pub(crate) mod vocab;

use async_graphql::ID;
use serde::Serialize;

pub(crate) use case::*;
pub(crate) use correction::*;
pub(crate) use directory::*;
pub(crate) use mediation::*;
pub(crate) use person::*;
pub(crate) use record::*;

/// A mutation's input: the domain command it becomes and the ids it carries.
pub(crate) trait CommandInput: Serialize {
    /// The domain command's name, as in `domain::COMMAND_NAMES`.
    const COMMAND: &'static str;

    /// Every id field with its JSON path (`partnerServices[1]`), to check they are ULIDs.
    fn ids(&self) -> Ids<'_>;

    /// Fills the fields that name the acting person (`mediator`, `caseWorker`) with the
    /// token's actor where the client left them out.
    fn default_actor(&mut self, _actor: &str) {}
}

/// The id fields of an input, by JSON path.
#[derive(Default)]
pub(crate) struct Ids<'a>(pub(crate) Vec<(String, &'a ID)>);

impl<'a> Ids<'a> {
    pub(crate) fn id(mut self, field: &str, id: &'a ID) -> Self {
        self.0.push((field.to_owned(), id));
        self
    }

    pub(crate) fn opt(self, field: &str, id: &'a Option<ID>) -> Self {
        match id {
            Some(id) => self.id(field, id),
            None => self,
        }
    }

    pub(crate) fn list(mut self, field: &str, ids: &'a [ID]) -> Self {
        self.0.extend(
            ids.iter()
                .enumerate()
                .map(|(i, id)| (format!("{field}[{i}]"), id)),
        );
        self
    }
}
