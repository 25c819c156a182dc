//! Inputs about finding and joining registrations of one person: merging two of them.

use async_graphql::{InputObject, Result, ID};
use chrono::{DateTime, Utc};
use domain::Command;

use super::*;

/// Records that two registrations are one person (supervisors only): `personId` points at
/// `intoPersonId` from now on; both histories stay, and figures count the person once.
#[derive(InputObject)]
pub struct MergePersonsInput {
    /// The registration merged away (ULID); it must have no open case.
    pub person_id: ID,
    /// The registration kept (ULID); not itself merged into another.
    pub into_person_id: ID,
    /// When the merge was decided: ISO 8601 date-time with offset, not in the future. Now by
    /// default.
    pub occurred_at: Option<DateTime<Utc>>,
}

impl CommandInput for MergePersonsInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            into_person_id,
            occurred_at,
        } = self;
        Ok(domain::MergePersons {
            person_id: id("personId", &person_id)?,
            into_person_id: id("intoPersonId", &into_person_id)?,
            occurred_at: occurred_at.ok_or_else(|| required("occurredAt"))?,
        }
        .into())
    }
}
