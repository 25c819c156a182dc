//! Inputs about what changes in a person's life: `UpdatePerson` (news, not a mistake: a mistake
//! is corrected with `correctEvent`).

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Command;

use super::person::ContactInput;
use super::vocab::*;
use super::*;

/// Records what changed about a registered person: a renewed or converted permit, an acquired
/// citizenship, languages, the household, a new phone. Each field given is the value from now
/// on; a field left out stays as it was.
#[derive(InputObject)]
pub struct UpdatePersonInput {
    /// The registered person (ULID).
    pub person_id: ID,
    /// The desk where the change was recorded: `montelucci-4`.
    pub site_id: ID,
    /// When it changed (or was learnt): ISO 8601 date-time with offset, not in the future. Now
    /// by default.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The permit as it now stands.
    pub permit: Option<PermitInput>,
    /// Every citizenship now held, ISO 3166-1 alpha-2 (an acquired one added).
    pub citizenships: Option<Vec<String>>,
    /// Every language now spoken, ISO 639, the preferred one first.
    pub languages: Option<Vec<String>>,
    /// People in the household now, the person included.
    pub household_size: Option<u8>,
    /// Personal data that changed.
    pub personal: Option<PersonalChangesInput>,
}

/// A residence permit as it stands.
#[derive(InputObject)]
pub struct PermitInput {
    pub permit_type: PermitType,
    /// Day it expires (`yyyy-mm-dd`); none for NONE and UNKNOWN.
    pub expires_on: Option<NaiveDate>,
    /// Its renewal was applied for (*rinnovo in corso*).
    #[graphql(default)]
    pub renewal_pending: bool,
}

/// Personal data that changed; each value given replaces the recorded one.
#[derive(InputObject)]
pub struct PersonalChangesInput {
    /// Personal data: the full name as now written (a new permit's transliteration).
    pub full_name: Option<String>,
    /// Personal data: every way to reach the person now (replaces the list).
    pub contacts: Option<Vec<ContactInput>>,
    /// Personal data: the *codice fiscale*, when one was issued.
    pub fiscal_code: Option<String>,
}

impl CommandInput for UpdatePersonInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            site_id,
            occurred_at,
            permit,
            citizenships,
            languages,
            household_size,
            personal,
        } = self;
        let permit = permit.map(
            |PermitInput {
                 permit_type,
                 expires_on,
                 renewal_pending,
             }| domain::Permit {
                permit_type: permit_type.into(),
                expires_on,
                renewal_pending,
            },
        );
        let personal = personal.map(
            |PersonalChangesInput {
                 full_name,
                 contacts,
                 fiscal_code,
             }| domain::PersonalChanges {
                full_name,
                contacts: contacts.map(|list| {
                    list.into_iter()
                        .map(|ContactInput { kind, value }| domain::Contact {
                            kind: kind.into(),
                            value,
                        })
                        .collect()
                }),
                fiscal_code,
            },
        );
        Ok(domain::UpdatePerson {
            person_id: id("personId", &person_id)?,
            site_id: site(site_id),
            occurred_at: occurred_at.ok_or_else(|| required("occurredAt"))?,
            permit,
            citizenships,
            languages,
            household_size,
            personal,
        }
        .into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct UpdateMutations;

#[Object]
impl UpdateMutations {
    /// Records what changed about a registered person of the site (a renewed or converted
    /// permit, an acquired citizenship, languages, household, a new phone): news, not a mistake
    /// (`correctEvent` is for mistakes). Each value given is the current one from now on.
    /// Refused, as for an unknown id, if the person is not of the site.
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        mut input: UpdatePersonInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        if input.occurred_at.is_none() {
            input.occurred_at = Some(ctx.data::<desk::Desk>()?.now());
        }
        record(ctx, input, options).await
    }
}
