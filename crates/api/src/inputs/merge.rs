//! Inputs about one person's registrations and sites: merging two registrations, taking a
//! person of another site on.

use async_graphql::{Context, InputObject, Object, Result, ID};
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

/// Takes on at `siteId` a person registered at another site (found by an exact identifier with
/// `possibleDuplicates`): from then on their facts may be recorded there too, and the site's
/// mediators see them. Supervisors see it on the person (`takenOnAt`) and in the audit trail.
#[derive(InputObject)]
pub struct TakeOnPersonInput {
    /// The registered person (ULID).
    pub person_id: ID,
    /// The site taking them on, as a lowercase slug: `tivoli-1`.
    pub site_id: ID,
    /// When: ISO 8601 date-time with offset, not in the future. Now by default.
    pub occurred_at: Option<DateTime<Utc>>,
}

impl CommandInput for TakeOnPersonInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            site_id,
            occurred_at,
        } = self;
        Ok(domain::TakeOnPerson {
            person_id: id("personId", &person_id)?,
            site_id: site(site_id),
            occurred_at: occurred_at.ok_or_else(|| required("occurredAt"))?,
        }
        .into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct MergeMutations;

#[Object]
impl MergeMutations {
    /// Takes on at a second site a person registered at another one, found by an exact
    /// identifier (`possibleDuplicates`). Refused, as for an unknown id, if the person is not
    /// registered; refused if they are of the site already.
    async fn take_on_person(
        &self,
        ctx: &Context<'_>,
        mut input: TakeOnPersonInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        if input.occurred_at.is_none() {
            input.occurred_at = Some(ctx.data::<desk::Desk>()?.now());
        }
        record(ctx, input, options).await
    }

    /// Records that two registrations are one person (supervisors only): `personId` points at
    /// `intoPersonId` from now on, both histories stay, and figures count the person once.
    /// Refused if either is unknown or erased, if `personId` was merged already or has an open
    /// case, or if `intoPersonId` was itself merged into another.
    async fn merge_persons(
        &self,
        ctx: &Context<'_>,
        mut input: MergePersonsInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        if input.occurred_at.is_none() {
            input.occurred_at = Some(ctx.data::<desk::Desk>()?.now());
        }
        record(ctx, input, options).await
    }
}
