//! Inputs about a person: registration, consent, vulnerability, intake.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Command;

use super::vocab::*;
use super::*;

/// Registers a person served by the desk. The statistics fields are counted in reports; the
/// name, exact birth date and contacts in `personal` are personal data kept apart.
#[derive(InputObject)]
pub struct RegisterPersonInput {
    /// A new ULID (26 characters) for the person, chosen by the client.
    pub person_id: ID,
    /// The desk (site) where the person is registered, as a lowercase slug: `montelucci-4`.
    pub site_id: ID,
    /// When the person was registered: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Year of birth (from 1900 to this year); the age band is derived from it.
    pub birth_year: i32,
    /// Sex as the person declares it (UNDISCLOSED if they prefer not to say).
    pub sex: Sex,
    /// Citizenships as ISO 3166-1 alpha-2 codes (`UA`, `BD`), at least one, no repeats.
    pub citizenships: Vec<String>,
    /// Country of birth as an ISO 3166-1 alpha-2 code.
    pub country_of_birth: String,
    /// Year of arrival in Italy, if known: between the birth year and this year.
    pub arrival_year: Option<i32>,
    /// Residence permit held (NONE if none, UNKNOWN at a first contact).
    pub permit_type: PermitType,
    /// Day the permit expires (`yyyy-mm-dd`); leave empty for NONE and UNKNOWN.
    pub permit_expires_on: Option<NaiveDate>,
    /// The renewal of the permit was applied for (*rinnovo in corso*).
    #[graphql(default)]
    pub permit_renewal_pending: bool,
    /// Languages spoken as ISO 639 codes (`ar`, `uk`, `ti`), the preferred one first.
    pub languages: Vec<String>,
    /// People in the household, the person included (at least 1).
    pub household_size: u8,
    /// Under 18. Must agree with the birth year.
    #[graphql(default)]
    pub minor: bool,
    /// A minor in Italy without a parent or guardian (also mark `minor`).
    #[graphql(default)]
    pub unaccompanied_minor: bool,
    /// Personal data: name, exact birth date, contacts.
    pub personal: PersonalDataInput,
}

impl CommandInput for RegisterPersonInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            site_id,
            occurred_at,
            birth_year,
            sex,
            citizenships,
            country_of_birth,
            arrival_year,
            permit_type,
            permit_expires_on,
            permit_renewal_pending,
            languages,
            household_size,
            minor,
            unaccompanied_minor,
            personal,
        } = self;
        let PersonalDataInput {
            full_name,
            birth_date,
            contacts,
            fiscal_code,
        } = personal;
        let contacts = contacts
            .into_iter()
            .map(|ContactInput { kind, value }| domain::Contact {
                kind: kind.into(),
                value,
            })
            .collect();
        Ok(domain::RegisterPerson {
            person_id: id("personId", &person_id)?,
            site_id: site(site_id),
            occurred_at,
            birth_year,
            sex: sex.into(),
            citizenships,
            country_of_birth,
            arrival_year,
            permit_type: permit_type.into(),
            permit_expires_on,
            permit_renewal_pending,
            languages,
            household_size,
            minor,
            unaccompanied_minor,
            personal: domain::PersonalData {
                full_name,
                birth_date,
                contacts,
                fiscal_code,
            },
        }
        .into())
    }
}

/// Personal data of a person: never shown to evaluators, never logged, erasable on request.
#[derive(InputObject)]
pub struct PersonalDataInput {
    /// Personal data: the full name as the person writes it.
    pub full_name: String,
    /// Personal data: exact birth date (`yyyy-mm-dd`), in the birth year.
    pub birth_date: Option<NaiveDate>,
    /// Personal data: ways to reach the person.
    #[graphql(default)]
    pub contacts: Vec<ContactInput>,
    /// Personal data: the *codice fiscale* where the person has one (16 uppercase letters and
    /// digits, its check letter last).
    pub fiscal_code: Option<String>,
}

/// One way to reach a person (personal data).
#[derive(InputObject)]
pub struct ContactInput {
    /// Phone, e-mail or postal address.
    pub kind: ContactKind,
    /// Personal data: the phone number, e-mail address or postal address.
    pub value: String,
}

/// Erases a person's personal data (name, birth date, contacts, notes) for good; statistics
/// fields stay. Supervisors only.
#[derive(InputObject)]
pub struct ErasePersonInput {
    /// The registered person (ULID).
    pub person_id: ID,
    /// Why: a closed list, so that the recorded reason holds no personal data.
    pub reason: ErasureReason,
    /// When the erasure was decided: ISO 8601 date-time with offset, not in the future. Now by
    /// default.
    pub occurred_at: Option<DateTime<Utc>>,
}

impl CommandInput for ErasePersonInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            reason,
            occurred_at,
        } = self;
        Ok(domain::ErasePerson {
            person_id: id("personId", &person_id)?,
            occurred_at: occurred_at.ok_or_else(|| required("occurredAt"))?,
            reason: reason.into(),
        }
        .into())
    }
}

/// Records a consent given by the person or their guardian.
#[derive(InputObject)]
pub struct GiveConsentInput {
    /// The registered person (ULID).
    pub person_id: ID,
    /// The desk where the consent was given: `montelucci-4`.
    pub site_id: ID,
    /// When the consent was given: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// What the consent covers, at least one, no repeats.
    pub scopes: Vec<ConsentScope>,
    /// Bodies data may be shared with ("ASL Roma 5", "Centro per l'impiego di Tivoli");
    /// required with SHARING.
    #[graphql(default)]
    pub shared_with: Vec<String>,
    /// Who gave it: a minor's consent is given by a GUARDIAN, an adult's (from their 18th
    /// birthday) by the PERSON.
    pub given_by: ConsentGiver,
    /// Who the guardian is; required when a GUARDIAN gives it.
    pub guardian_kind: Option<GuardianKind>,
    /// Personal data: the guardian's name; required when a GUARDIAN gives it.
    pub guardian_name: Option<String>,
}

impl CommandInput for GiveConsentInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            site_id,
            occurred_at,
            scopes,
            shared_with,
            given_by,
            guardian_kind,
            guardian_name,
        } = self;
        Ok(domain::GiveConsent {
            person_id: id("personId", &person_id)?,
            site_id: site(site_id),
            occurred_at,
            scopes: words(scopes),
            shared_with,
            given_by: given_by.into(),
            guardian_kind: guardian_kind.map(Into::into),
            guardian_name: guardian_name.map(domain::PersonalNote::new),
        }
        .into())
    }
}

/// Records that a person withdrew consents given earlier.
#[derive(InputObject)]
pub struct WithdrawConsentInput {
    /// The registered person (ULID).
    pub person_id: ID,
    /// The desk where the withdrawal was received: `montelucci-4`.
    pub site_id: ID,
    /// When the consent was withdrawn: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// The consents withdrawn; each must have been given.
    pub scopes: Vec<ConsentScope>,
}

impl CommandInput for WithdrawConsentInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            site_id,
            occurred_at,
            scopes,
        } = self;
        Ok(domain::WithdrawConsent {
            person_id: id("personId", &person_id)?,
            site_id: site(site_id),
            occurred_at,
            scopes: words(scopes),
        }
        .into())
    }
}

/// Records a vulnerability assessment (needs the SERVICE consent). The categories are
/// special-category data (GDPR art. 9).
#[derive(InputObject)]
pub struct AssessVulnerabilityInput {
    /// The registered person (ULID).
    pub person_id: ID,
    /// The desk where the assessment was made: `montelucci-4`.
    pub site_id: ID,
    /// When the assessment was made: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// Categories found (D.Lgs. 142/2015 art. 17); empty when none. MINOR and
    /// UNACCOMPANIED_MINOR only for a person registered as a minor.
    #[graphql(default)]
    pub categories: Vec<VulnerabilityCategory>,
    /// Personal data: free-text note on the assessment.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub note: Option<String>,
}

impl CommandInput for AssessVulnerabilityInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            site_id,
            occurred_at,
            categories,
            note,
        } = self;
        Ok(domain::AssessVulnerability {
            person_id: id("personId", &person_id)?,
            site_id: site(site_id),
            occurred_at,
            categories: words(categories),
            note: note.map(domain::PersonalNote),
        }
        .into())
    }
}

/// Records an intake: a person came to the desk with needs (needs the SERVICE consent).
#[derive(InputObject)]
pub struct RecordIntakeInput {
    /// The registered person (ULID).
    pub person_id: ID,
    /// The desk where the intake took place: `montelucci-4`.
    pub site_id: ID,
    /// When the intake took place: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// How the person reached the desk.
    pub channel: IntakeChannel,
    /// The directory service (ULID) that referred the person; only with REFERRED_BY_SERVICE,
    /// and then required.
    pub referred_by: Option<ID>,
    /// Areas of need, at least one, no repeats.
    pub needs: Vec<NeedArea>,
    /// Personal data: free-text note on the intake.
    /// At most 4,000 characters; no control characters or bidi overrides.
    pub note: Option<String>,
}

impl CommandInput for RecordIntakeInput {
    fn into_command(self) -> Result<Command> {
        let Self {
            person_id,
            site_id,
            occurred_at,
            channel,
            referred_by,
            needs,
            note,
        } = self;
        Ok(domain::RecordIntake {
            person_id: id("personId", &person_id)?,
            site_id: site(site_id),
            occurred_at,
            channel: channel.into(),
            referred_by: opt_id("referredBy", referred_by.as_ref())?,
            needs: words(needs),
            note: note.map(domain::PersonalNote),
        }
        .into())
    }
}

/// The mutations of this file's inputs (merged into `MutationRoot`).
#[derive(Default)]
pub struct PersonMutations;

#[Object]
impl PersonMutations {
    /// Registers a person served by the desk (name and contacts are kept apart as personal data).
    async fn register_person(
        &self,
        ctx: &Context<'_>,
        input: RegisterPersonInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records a consent given by a person or their guardian.
    async fn give_consent(
        &self,
        ctx: &Context<'_>,
        input: GiveConsentInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records the withdrawal of consents given earlier.
    async fn withdraw_consent(
        &self,
        ctx: &Context<'_>,
        input: WithdrawConsentInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records a vulnerability assessment (D.Lgs. 142/2015 art. 17).
    async fn assess_vulnerability(
        &self,
        ctx: &Context<'_>,
        input: AssessVulnerabilityInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Records an intake: a person came to the desk with needs.
    async fn record_intake(
        &self,
        ctx: &Context<'_>,
        input: RecordIntakeInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        record(ctx, input, options).await
    }

    /// Erases a person's personal data (supervisors only): records `PersonErased` on the
    /// person's stream, then destroys the person's key, so that their name, birth date,
    /// contacts and notes read as erased everywhere, for good. Statistics fields stay, and the
    /// hash chain still verifies. Refused if the person is unknown or erased already.
    async fn erase_person(
        &self,
        ctx: &Context<'_>,
        mut input: ErasePersonInput,
        options: Option<RecordOptions>,
    ) -> Result<Recorded> {
        if input.occurred_at.is_none() {
            input.occurred_at = Some(ctx.data::<desk::Desk>()?.now());
        }
        record(ctx, input, options).await
    }
}
