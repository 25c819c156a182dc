//! Typed inputs of the mutations, one per domain command.
//!
//! Each input mirrors its command field for field, with the same camelCase names, and becomes
//! it through a typed conversion ([`CommandInput::into_command`]); `tests/input_parity.rs`
//! checks that every input has the fields of its command's JSON. Ids are GraphQL `ID`s holding
//! ULIDs, each named in the error when malformed; the domain checks everything else and names the
//! field it refuses.
//!
//! Personal data (names, contacts, notes, comments, observations, goals, decisions) is plain
//! text here and documented as such: the journal keeps it apart so it can be made unreadable.

mod calendar;
mod case;
mod correction;
mod directory;
mod mediation;
mod merge;
mod person;
mod record;
mod staff;
mod survey;
mod update;
pub(crate) mod vocab;

use async_graphql::{Result, ID};
use domain::Command;
use ulid::Ulid;

pub(crate) use calendar::*;
pub(crate) use case::*;
pub(crate) use correction::*;
pub(crate) use directory::*;
pub(crate) use mediation::*;
pub(crate) use merge::*;
pub(crate) use person::*;
pub(crate) use record::*;
pub(crate) use staff::*;
pub(crate) use survey::*;
pub(crate) use update::*;

pub(crate) use crate::mutations::{parse_ulid, record, RecordOptions, Recorded};

/// A mutation's input: the domain command it becomes.
///
/// Each conversion takes the input apart field by field (`let Self { .. } = self`) and builds
/// the command with a struct literal, so that a field added to either side and not carried
/// over does not compile: an unused input field is a warning the build refuses, a missing
/// command field an error. Nothing goes through untyped JSON.
pub(crate) trait CommandInput {
    /// The command, or `BAD_INPUT` naming the first id field that is not a ULID.
    fn into_command(self) -> Result<Command>;

    /// Fills the fields that name the acting person (`mediator`, `caseWorker`) with the
    /// token's actor where the client left them out.
    fn default_actor(&mut self, _actor: &str) {}
}

/// The typed id in `field`, or `BAD_INPUT` naming the field.
pub(crate) fn id<T: From<Ulid>>(field: &str, id: &ID) -> Result<T> {
    parse_ulid(field, id).map(T::from)
}

/// An optional typed id.
pub(crate) fn opt_id<T: From<Ulid>>(field: &str, id: Option<&ID>) -> Result<Option<T>> {
    id.map(|id| self::id(field, id)).transpose()
}

/// A list of typed ids, each named by its place (`partnerServices[1]`) when malformed.
pub(crate) fn ids<T: From<Ulid>>(field: &str, ids: &[ID]) -> Result<Vec<T>> {
    ids.iter()
        .enumerate()
        .map(|(i, one)| id(&format!("{field}[{i}]"), one))
        .collect()
}

/// A site named in an input (a slug; the domain checks it).
pub(crate) fn site(id: ID) -> domain::SiteId {
    domain::SiteId::new(id.0)
}

/// Words of a closed list, each as the domain's.
pub(crate) fn words<W, D: From<W>>(words: Vec<W>) -> Vec<D> {
    words.into_iter().map(D::from).collect()
}

/// `BAD_INPUT` for a field the mutation needs and did not get.
pub(crate) fn required(field: &'static str) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    crate::error::bad_input(format!("{field} is required"))
        .extend_with(move |_, e| e.set("field", field))
}
