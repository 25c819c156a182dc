//! Inputs about a person: registration, consent, vulnerability, intake.

use async_graphql::{InputObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::vocab::*;
use super::{CommandInput, Ids};

/// Registers a person served by the desk. The statistics fields are counted in reports; the
/// name, exact birth date and contacts in `personal` are personal data kept apart.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
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
    /// Residence permit held (NONE if none).
    pub permit_type: PermitType,
    /// Day the permit expires (`yyyy-mm-dd`); leave empty for NONE.
    pub permit_expires_on: Option<NaiveDate>,
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
    const COMMAND: &'static str = "RegisterPerson";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("personId", &self.person_id)
    }
}

/// Personal data of a person: never shown to evaluators, never logged, erasable on request.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalDataInput {
    /// Personal data: the full name as the person writes it.
    pub full_name: String,
    /// Personal data: exact birth date (`yyyy-mm-dd`), in the birth year.
    pub birth_date: Option<NaiveDate>,
    /// Personal data: ways to reach the person.
    #[graphql(default)]
    pub contacts: Vec<ContactInput>,
}

/// One way to reach a person (personal data).
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactInput {
    /// Phone, e-mail or postal address.
    pub kind: ContactKind,
    /// Personal data: the phone number, e-mail address or postal address.
    pub value: String,
}

/// Erases a person's personal data (name, birth date, contacts, notes) for good; statistics
/// fields stay. Supervisors only.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
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
    const COMMAND: &'static str = "ErasePerson";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("personId", &self.person_id)
    }
}

/// Records a consent given by the person or their guardian.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GiveConsentInput {
    /// The registered person (ULID).
    pub person_id: ID,
    /// The desk where the consent was given: `montelucci-4`.
    pub site_id: ID,
    /// When the consent was given: ISO 8601 date-time with offset, not in the future.
    pub occurred_at: DateTime<Utc>,
    /// What the consent covers, at least one, no repeats.
    pub scopes: Vec<ConsentScope>,
    /// Bodies data may be shared with ("ASL Roma 1", "CPIA 3"); required with SHARING.
    #[graphql(default)]
    pub shared_with: Vec<String>,
    /// Who gave it: a minor's consent is given by a GUARDIAN.
    pub given_by: ConsentGiver,
}

impl CommandInput for GiveConsentInput {
    const COMMAND: &'static str = "GiveConsent";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("personId", &self.person_id)
    }
}

/// Records that a person withdrew consents given earlier.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
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
    const COMMAND: &'static str = "WithdrawConsent";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("personId", &self.person_id)
    }
}

/// Records a vulnerability assessment (needs the SERVICE consent). The categories are
/// special-category data (GDPR art. 9).
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
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
    const COMMAND: &'static str = "AssessVulnerability";

    fn ids(&self) -> Ids<'_> {
        Ids::default().id("personId", &self.person_id)
    }
}

/// Records an intake: a person came to the desk with needs (needs the SERVICE consent).
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
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
    const COMMAND: &'static str = "RecordIntake";

    fn ids(&self) -> Ids<'_> {
        Ids::default()
            .id("personId", &self.person_id)
            .opt("referredBy", &self.referred_by)
    }
}
