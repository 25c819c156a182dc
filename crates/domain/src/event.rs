//! Events: past-tense facts, each with a schema version.
//!
//! The payload written to the journal is the event's fields as JSON, without a tag; the journal
//! keeps the type name and the schema version beside it. [`Event::from_payload`] reads every
//! version ever written and upcasts old ones to the current shape.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::calendar::OpeningHours;
use crate::ids::*;
use crate::personal::{PersonalData, PersonalFields, PersonalNote};
use crate::vocab::*;

// The staff accounts' facts are declared beside their commands (`staff.rs`).
pub use crate::staff::{StaffAccountDisabled, StaffAccountOpened, StaffPasswordReset};
// The survey definitions' fact is declared beside its command (`survey.rs`).
pub use crate::survey::SurveyDefined;

/// A person was registered at a desk. Current version 2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonRegistered {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub birth_year: i32,
    pub sex: Sex,
    /// ISO 3166-1 alpha-2 codes.
    pub citizenships: Vec<String>,
    pub country_of_birth: String,
    pub arrival_year: Option<i32>,
    pub permit_type: PermitType,
    pub permit_expires_on: Option<NaiveDate>,
    /// The renewal of the permit was applied for (*rinnovo in corso*): a status beside the type.
    pub permit_renewal_pending: bool,
    /// ISO 639 codes, the first being the one the person prefers.
    pub languages: Vec<String>,
    pub household_size: u8,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    pub personal: PersonalData,
}

/// A permit type as schema version 1 of `PersonRegistered` wrote it: `renewal_pending` was a
/// type then.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PermitTypeV1 {
    Current(PermitType),
    Old(OldPermitType),
}

/// The permit types of version 1 that are no type any more.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum OldPermitType {
    /// The renewal applied for, the type not said: read as `unknown`, renewal pending.
    #[serde(rename = "renewal_pending")]
    RenewalPending,
}

impl PermitTypeV1 {
    /// The type and the renewal status it stands for now.
    pub fn upcast(self) -> (PermitType, bool) {
        match self {
            PermitTypeV1::Current(t) => (t, false),
            PermitTypeV1::Old(OldPermitType::RenewalPending) => (PermitType::Unknown, true),
        }
    }
}

/// `PersonRegistered` as schema version 1 wrote it: no renewal status, `renewal_pending` a type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonRegisteredV1 {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub birth_year: i32,
    pub sex: Sex,
    pub citizenships: Vec<String>,
    pub country_of_birth: String,
    pub arrival_year: Option<i32>,
    pub permit_type: PermitTypeV1,
    pub permit_expires_on: Option<NaiveDate>,
    pub languages: Vec<String>,
    pub household_size: u8,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    pub personal: PersonalData,
}

impl From<PersonRegisteredV1> for PersonRegistered {
    fn from(v1: PersonRegisteredV1) -> Self {
        let (permit_type, permit_renewal_pending) = v1.permit_type.upcast();
        PersonRegistered {
            person_id: v1.person_id,
            site_id: v1.site_id,
            occurred_at: v1.occurred_at,
            birth_year: v1.birth_year,
            sex: v1.sex,
            citizenships: v1.citizenships,
            country_of_birth: v1.country_of_birth,
            arrival_year: v1.arrival_year,
            permit_type,
            permit_expires_on: v1.permit_expires_on,
            permit_renewal_pending,
            languages: v1.languages,
            household_size: v1.household_size,
            minor: v1.minor,
            unaccompanied_minor: v1.unaccompanied_minor,
            personal: v1.personal,
        }
    }
}

/// A residence permit as it stands: its type, expiry and whether its renewal was applied for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permit {
    pub permit_type: PermitType,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    #[serde(default)]
    pub renewal_pending: bool,
}

/// Personal values that changed (a new phone, a name as a new permit writes it, a fiscal code
/// issued): each given replaces the one recorded; sealed under the person's key as a whole.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Every way to reach the person now (the list replaces the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<crate::personal::Contact>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiscal_code: Option<String>,
}

impl std::fmt::Debug for PersonalChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PersonalChanges {
    /// `true` when nothing is changed.
    pub fn is_empty(&self) -> bool {
        self.full_name.is_none() && self.contacts.is_none() && self.fiscal_code.is_none()
    }
}

/// Something about a registered person changed (news, not a mistake: a mistake is corrected
/// with `EventCorrected`). Each field given is the value from now on; `None` leaves it as it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonUpdated {
    pub person_id: PersonId,
    /// The site where it was recorded.
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    /// The permit as it now stands: renewed, converted, or its renewal applied for.
    pub permit: Option<Permit>,
    /// Every citizenship now held (an acquired one added), ISO 3166-1 alpha-2.
    pub citizenships: Option<Vec<String>>,
    /// Every language now spoken, ISO 639, the preferred one first.
    pub languages: Option<Vec<String>>,
    pub household_size: Option<u8>,
    /// Personal values that changed (sealed).
    pub personal: Option<PersonalChanges>,
}

/// Consent given, current version 2: a guardian's consent names the guardian.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentGiven {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub scopes: Vec<ConsentScope>,
    /// Bodies named in a sharing consent ("ASL Roma 5", "CPIA 4 Tivoli").
    pub shared_with: Vec<String>,
    pub given_by: ConsentGiver,
    /// Who the guardian is, when a guardian gave it.
    pub guardian_kind: Option<GuardianKind>,
    /// The guardian's name (personal data, sealed with the person's).
    pub guardian_name: Option<PersonalNote>,
}

/// Consent as schema version 1 wrote it: a guardian was not named.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentGivenV1 {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub scopes: Vec<ConsentScope>,
    pub shared_with: Vec<String>,
    pub given_by: ConsentGiver,
}

impl From<ConsentGivenV1> for ConsentGiven {
    fn from(v1: ConsentGivenV1) -> Self {
        ConsentGiven {
            person_id: v1.person_id,
            site_id: v1.site_id,
            occurred_at: v1.occurred_at,
            scopes: v1.scopes,
            shared_with: v1.shared_with,
            given_by: v1.given_by,
            guardian_kind: None,
            guardian_name: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentWithdrawn {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub scopes: Vec<ConsentScope>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VulnerabilityAssessed {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    /// Empty when the assessment found none.
    pub categories: Vec<VulnerabilityCategory>,
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntakeRecorded {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub channel: IntakeChannel,
    pub referred_by: Option<ServiceId>,
    pub needs: Vec<NeedArea>,
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseOpened {
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    /// The operator who holds the case.
    pub case_worker: String,
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    pub partner_services: Vec<ServiceId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CarePlanAgreed {
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub needs: Vec<NeedArea>,
    pub goals: Vec<PersonalNote>,
    pub partner_services: Vec<ServiceId>,
    pub review_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseClosed {
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub reason: ClosureReason,
    pub outcome: CaseOutcome,
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReopened {
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub note: Option<PersonalNote>,
}

/// A supervisor moved a case to another case worker, or recorded the partner service that holds
/// it (*presa in carico* by the service), or both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseTransferred {
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    /// The case worker who holds the case from now on; `None`: the same as before.
    pub case_worker: Option<String>,
    /// The partner service that holds the case from now on; `None`: the same as before.
    pub holding_service: Option<HoldingService>,
}

/// A case conference (*riunione di rete*) held on a case with the partner services that take the
/// person in charge: who was there for each service (free text that names people, sealed under
/// the person's key), what was decided, and when the case is reviewed next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseConferenceHeld {
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    /// The desk's mediator (or case worker) who took part.
    pub mediator: String,
    /// The services of the directory present, at least one.
    pub services: Vec<ServiceId>,
    /// The services' people present (names, roles), as the desk wrote them.
    pub participants: Vec<PersonalNote>,
    pub decisions: Vec<PersonalNote>,
    /// When the services and the desk meet again on the case; `None`: not fixed.
    pub next_review: Option<NaiveDate>,
}

/// A partner service of the directory that holds a case, with that service's own reference for
/// it (its file or protocol number).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldingService {
    pub service_id: ServiceId,
    pub reference: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InterventionDelivered {
    pub intervention_id: InterventionId,
    pub person_id: PersonId,
    pub case_id: Option<CaseId>,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub activity: Activity,
    pub mode: InterventionMode,
    pub duration_minutes: u32,
    /// Operators who delivered it.
    pub staff: Vec<String>,
    /// ISO 639 code of the language used.
    pub language: String,
    pub need: Option<NeedArea>,
    /// The service the person was oriented to, or the partner service of integrated support.
    pub service_id: Option<ServiceId>,
    pub legal_topic: Option<LegalTopic>,
    pub parental_kind: Option<ParentalSupportKind>,
    pub outcome: InterventionOutcome,
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralIssued {
    pub referral_id: ReferralId,
    pub person_id: PersonId,
    pub case_id: Option<CaseId>,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub service_id: ServiceId,
    pub reason: NeedArea,
    pub urgency: Urgency,
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralOutcomeRecorded {
    pub referral_id: ReferralId,
    pub person_id: PersonId,
    pub service_id: ServiceId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub outcome: ReferralOutcome,
    pub appointment_on: Option<NaiveDate>,
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediationRequested {
    pub mediation_id: MediationId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub mode: MediationMode,
    /// The service that asked for a mediator; none when the desk itself asked.
    pub requesting_service: Option<ServiceId>,
    pub person_id: Option<PersonId>,
    pub case_id: Option<CaseId>,
    /// ISO 639 code of the language needed.
    pub language: String,
    pub slot_start: Option<DateTime<Utc>>,
    pub slot_end: Option<DateTime<Utc>>,
}

/// The two languages a mediator bridged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LanguagePair {
    pub from: String,
    pub to: String,
}

/// A mediation session, current version 2: where it was held, and by when its follow-up is due.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediationSessionHeld {
    pub mediation_id: MediationId,
    pub site_id: SiteId,
    pub person_id: Option<PersonId>,
    pub case_id: Option<CaseId>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub mediator: String,
    pub languages: LanguagePair,
    pub parties: Vec<PartyRole>,
    pub kind: MediationKind,
    pub outcome: SessionOutcome,
    pub follow_up_needed: bool,
    pub note: Option<PersonalNote>,
    /// Where it was held; none when not recorded (every version-1 session).
    pub place: Option<SessionPlace>,
    /// The day the follow-up is due by, when one is needed; none: a week after the session.
    pub follow_up_by: Option<NaiveDate>,
}

/// A mediation session as written by schema version 1: no place, no follow-up date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediationSessionHeldV1 {
    pub mediation_id: MediationId,
    pub site_id: SiteId,
    pub person_id: Option<PersonId>,
    pub case_id: Option<CaseId>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub mediator: String,
    pub languages: LanguagePair,
    pub parties: Vec<PartyRole>,
    pub kind: MediationKind,
    pub outcome: SessionOutcome,
    pub follow_up_needed: bool,
    pub note: Option<PersonalNote>,
}

impl From<MediationSessionHeldV1> for MediationSessionHeld {
    fn from(v1: MediationSessionHeldV1) -> Self {
        MediationSessionHeld {
            mediation_id: v1.mediation_id,
            site_id: v1.site_id,
            person_id: v1.person_id,
            case_id: v1.case_id,
            started_at: v1.started_at,
            ended_at: v1.ended_at,
            mediator: v1.mediator,
            languages: v1.languages,
            parties: v1.parties,
            kind: v1.kind,
            outcome: v1.outcome,
            follow_up_needed: v1.follow_up_needed,
            note: v1.note,
            place: None,
            follow_up_by: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediationCancelled {
    pub mediation_id: MediationId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub reason: CancellationReason,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupActivityHeld {
    pub activity_id: GroupActivityId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub kind: GroupActivityKind,
    /// What the activity was about, as the desk wrote it: free text that may name people, sealed
    /// under the activity's own key (`docs/adr/0010-sealed-free-text.md`).
    pub title: PersonalNote,
    pub duration_minutes: u32,
    pub attendees_third_country: u32,
    pub attendees_other: u32,
    pub languages: Vec<String>,
    /// Associations and local groups involved.
    pub associations: Vec<String>,
    pub facilitators: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InformationMaterialDistributed {
    pub distribution_id: DistributionId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub item: String,
    pub language: String,
    pub quantity: u32,
    pub channel: DistributionChannel,
}

/// One item of a satisfaction survey scored on the item's scale: `item` is the item's code in
/// the survey definition the response answers (`survey.rs`; the built-in definition's codes are
/// those of [`SurveyItem`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemScore {
    pub item: String,
    pub score: u8,
}

/// A satisfaction survey was completed. Current version 2: it names the survey definition and
/// the version it answers; version 1 answered the built-in definition (`survey.rs`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SatisfactionSurveyCompleted {
    pub survey_id: SurveyId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    /// None for an anonymous survey.
    pub person_id: Option<PersonId>,
    /// The survey definition's slug and the version answered.
    pub definition: String,
    pub version: u32,
    pub scores: Vec<ItemScore>,
    pub helpful_for_integration: bool,
    pub comment: Option<PersonalNote>,
}

/// Version 1 of [`SatisfactionSurveyCompleted`]: before survey definitions, it answered the
/// built-in one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SatisfactionSurveyCompletedV1 {
    pub survey_id: SurveyId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub person_id: Option<PersonId>,
    pub scores: Vec<ItemScore>,
    pub helpful_for_integration: bool,
    pub comment: Option<PersonalNote>,
}

impl From<SatisfactionSurveyCompletedV1> for SatisfactionSurveyCompleted {
    fn from(v1: SatisfactionSurveyCompletedV1) -> Self {
        SatisfactionSurveyCompleted {
            survey_id: v1.survey_id,
            site_id: v1.site_id,
            occurred_at: v1.occurred_at,
            person_id: v1.person_id,
            definition: crate::survey::DEFAULT_SURVEY.into(),
            version: 1,
            scores: v1.scores,
            helpful_for_integration: v1.helpful_for_integration,
            comment: v1.comment,
        }
    }
}

/// Logbook entry (*diario di bordo*), current version 3: one mediator's working day at a site,
/// in a slot. Its free text is sealed under a key of its own (the entry's event id,
/// `docs/adr/0010-sealed-free-text.md`) and its comments under the same key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogbookEntryWritten {
    pub site_id: SiteId,
    /// The opening day the entry is about.
    pub date: NaiveDate,
    /// When it was written.
    pub occurred_at: DateTime<Utc>,
    pub mediator: String,
    pub slot: RotationSlot,
    /// People met that day.
    pub contacts: u32,
    /// ISO 639 codes of the languages used that day (v1 had a single `language`).
    pub languages: Vec<String>,
    pub observations: Option<PersonalNote>,
    pub incidents: Option<PersonalNote>,
    pub emerging_needs: Vec<NeedArea>,
    /// Difficulties met (v3; absent before).
    pub difficulties: Option<PersonalNote>,
    /// Strategies used to face them (v3).
    pub strategies: Option<PersonalNote>,
    /// Training needs the day showed (v3).
    pub training_needs: Option<PersonalNote>,
}

/// Logbook entry as written by schema version 2: no difficulties, strategies or training needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogbookEntryWrittenV2 {
    pub site_id: SiteId,
    pub date: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Vec<String>,
    pub observations: Option<PersonalNote>,
    pub incidents: Option<PersonalNote>,
    pub emerging_needs: Vec<NeedArea>,
}

impl From<LogbookEntryWrittenV2> for LogbookEntryWritten {
    fn from(v2: LogbookEntryWrittenV2) -> Self {
        LogbookEntryWritten {
            site_id: v2.site_id,
            date: v2.date,
            occurred_at: v2.occurred_at,
            mediator: v2.mediator,
            slot: v2.slot,
            contacts: v2.contacts,
            languages: v2.languages,
            observations: v2.observations,
            incidents: v2.incidents,
            emerging_needs: v2.emerging_needs,
            difficulties: None,
            strategies: None,
            training_needs: None,
        }
    }
}

/// Logbook entry as written by schema version 1: one language only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogbookEntryWrittenV1 {
    pub site_id: SiteId,
    pub date: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub language: String,
    pub observations: Option<PersonalNote>,
    pub incidents: Option<PersonalNote>,
    pub emerging_needs: Vec<NeedArea>,
}

impl From<LogbookEntryWrittenV1> for LogbookEntryWritten {
    fn from(v1: LogbookEntryWrittenV1) -> Self {
        LogbookEntryWrittenV2 {
            site_id: v1.site_id,
            date: v1.date,
            occurred_at: v1.occurred_at,
            mediator: v1.mediator,
            slot: v1.slot,
            contacts: v1.contacts,
            languages: vec![v1.language],
            observations: v1.observations,
            incidents: v1.incidents,
            emerging_needs: v1.emerging_needs,
        }
        .into()
    }
}

/// A supervisor's comment on a logbook entry, shown under it; in the stream of the entry's day
/// and sealed under the entry's key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogbookEntryCommented {
    /// The event id of the `LogbookEntryWritten` commented.
    pub entry_id: Ulid,
    pub site_id: SiteId,
    /// The day of the entry.
    pub date: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    pub supervisor: String,
    pub comment: PersonalNote,
}

/// The free text of a logbook entry (with its comments) or of a supervision meeting is
/// redacted: the desk destroys the text's key once this is recorded, in the stream of that fact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextRedacted {
    /// The event id of the entry or meeting whose text is redacted.
    pub event_id: Ulid,
    pub site_id: Option<SiteId>,
    pub occurred_at: DateTime<Utc>,
    pub reason: ErasureReason,
}

/// An action decided in supervision, with who owns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupervisionAction {
    pub description: PersonalNote,
    pub owner: String,
    pub due_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupervisionMeetingHeld {
    pub meeting_id: MeetingId,
    pub occurred_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub supervisor: String,
    pub attendees: Vec<String>,
    pub site_ids: Vec<SiteId>,
    pub themes: Vec<String>,
    pub cases_discussed: Vec<CaseId>,
    pub decisions: Vec<PersonalNote>,
    pub actions: Vec<SupervisionAction>,
}

/// The desk signed a checkpoint of the journal's Merkle tree with the installation key (see
/// `merkle::checkpoint` for the signed text). It names no person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointSigned {
    /// The signed time, to the second.
    pub occurred_at: DateTime<Utc>,
    pub tree_size: u64,
    /// The root, 64 hex digits.
    pub root: String,
    /// The installation's Ed25519 public key, 64 hex digits.
    pub public_key: String,
    /// The Ed25519 signature over the checkpoint's text, base64.
    pub signature: String,
}

/// Capacity of a service to face the Ukrainian crisis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UkraineCapacity {
    pub reception_places: u32,
    pub health: bool,
    pub school_access: bool,
}

/// What the directory says about a territorial service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDescription {
    pub name: String,
    pub kind: ServiceKind,
    pub address: String,
    pub opening_hours: String,
    pub languages: Vec<String>,
    pub access_rules: String,
    pub ukraine_capacity: Option<UkraineCapacity>,
    pub verified_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMapped {
    pub service_id: ServiceId,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub description: ServiceDescription,
}

/// The directory entry was verified again; carries the whole new description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceUpdated {
    pub service_id: ServiceId,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub description: ServiceDescription,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRetired {
    pub service_id: ServiceId,
    pub occurred_at: DateTime<Utc>,
    pub reason: String,
}

/// A site (*sportello*) of the desk, the weekdays it opens, their hours (Rome's local time) and
/// its phone numbers, as an admin set them; current version 2. A later one for the same site
/// replaces its schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteScheduled {
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    /// The site's name and address as people know it (`via Montelucci 4`).
    pub name: String,
    /// Weekdays it opens; empty: closed until scheduled again.
    pub opening_days: Vec<Weekday>,
    /// The opening periods of each opening day; empty: hours not recorded (version 1).
    pub hours: Vec<OpeningHours>,
    /// The site's public phone numbers, as written (`0774 123456`).
    pub phones: Vec<String>,
}

/// A site's schedule as written by schema version 1: weekdays only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteScheduledV1 {
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub name: String,
    pub opening_days: Vec<Weekday>,
}

impl From<SiteScheduledV1> for SiteScheduled {
    fn from(v1: SiteScheduledV1) -> Self {
        SiteScheduled {
            site_id: v1.site_id,
            occurred_at: v1.occurred_at,
            name: v1.name,
            opening_days: v1.opening_days,
            hours: Vec::new(),
            phones: Vec::new(),
        }
    }
}

/// A site is closed from `from` to `to` (both included, Rome's dates): a local holiday, a strike,
/// works. Public holidays need no record (`calendar::italian_holiday`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteClosed {
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Why, in a few words that name nobody (`festa patronale`).
    pub reason: String,
}

/// An appointment booked for a person at a site, with a mediator, inside the site's hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentBooked {
    pub appointment_id: AppointmentId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    /// When it was booked.
    pub occurred_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The mediator who holds it.
    pub mediator: String,
    /// ISO 639 code of the language needed.
    pub language: String,
    /// How it was asked for: by phone, at the desk, or by a service.
    pub channel: IntakeChannel,
    /// The service that referred the person, for `referred_by_service`.
    pub referred_by: Option<ServiceId>,
    pub note: Option<PersonalNote>,
}

/// The appointment moved to another slot (and perhaps another mediator).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentRescheduled {
    pub appointment_id: AppointmentId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub mediator: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentCancelled {
    pub appointment_id: AppointmentId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub reason: CancellationReason,
}

/// The person came to the appointment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentAttended {
    pub appointment_id: AppointmentId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
}

/// The person did not come (a no-show).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentMissed {
    pub appointment_id: AppointmentId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
}

/// An action of a supervision meeting (by its place in the meeting's `actions`) was done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupervisionActionCompleted {
    pub meeting_id: MeetingId,
    /// The action's index in the meeting's `actions`, from 0.
    pub action: u32,
    pub occurred_at: DateTime<Utc>,
}

/// A correction of an earlier event: the corrected fields with their right values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventCorrected {
    /// The id of the event corrected.
    pub corrects: Ulid,
    pub corrected_event_type: String,
    pub site_id: Option<SiteId>,
    pub person_id: Option<PersonId>,
    pub case_id: Option<CaseId>,
    pub occurred_at: DateTime<Utc>,
    /// Statistics fields, by their JSON name, with the right value.
    pub fields: BTreeMap<String, serde_json::Value>,
    /// Personal fields, by their JSON name, with the right value.
    pub personal_fields: PersonalFields,
    pub reason: String,
}

/// A person's personal data was erased: the desk destroyed their key once this was recorded, so
/// every personal value sealed for them reads as erased. The statistics fields stay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonErased {
    pub person_id: PersonId,
    pub occurred_at: DateTime<Utc>,
    pub reason: ErasureReason,
}

/// Two registrations turned out to be one person: `person_id` (the later or lesser record) now
/// points at `into_person_id`, the one kept. Both histories stay as recorded; read models and
/// figures count the two ids as one person, under `into_person_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonsMerged {
    pub person_id: PersonId,
    pub into_person_id: PersonId,
    /// The site that registered `person_id`.
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
}

/// A person registered at another site is taken on at this one: from now on the facts about
/// them may be recorded here too, and this site's mediators see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonTakenOn {
    pub person_id: PersonId,
    /// The site that takes them on.
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
}

/// Why a payload could not be read. The caller holds the position: corruption is reported with it.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The journal holds a type this build does not know: a newer writer, or a corrupt record.
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    /// The version is newer than this build reads, or was never written: upgrade the reader.
    #[error("event type {event_type} has no schema version {version}")]
    UnknownVersion { event_type: String, version: u16 },
    /// The bytes are not the JSON of that type and version: a corrupt or mislabelled record.
    #[error("payload of {event_type} v{version} is invalid: {source}")]
    Invalid {
        event_type: String,
        version: u16,
        #[source]
        source: serde_json::Error,
    },
}

/// When an event's fact happened: its `occurred_at`, unless its line in `events!` names another
/// field (`at started_at`).
macro_rules! happened {
    ($e:ident) => {
        $e.occurred_at
    };
    ($e:ident, $at:ident) => {
        $e.$at
    };
}

/// What does something with each event type apart (folds it into a model, say): one impl per
/// event type, which [`Event::handle`] picks; an event type without one does not compile.
pub trait Handle<E> {
    type Output;
    fn handle(&mut self, event: &E) -> Self::Output;
}

/// Declares every event type, one line each: the struct, its current schema version and, when it
/// is not `occurred_at`, the field that says when it happened.
macro_rules! events {
    ($($variant:ident = $version:literal $(at $at:ident)?),* $(,)?) => {
        /// Every fact the desk records.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Event {
            $($variant($variant),)*
        }

        $(impl From<$variant> for Event {
            fn from(e: $variant) -> Self {
                Event::$variant(e)
            }
        })*

        /// Every event type with its current schema version.
        pub const EVENT_TYPES: &[(&str, u16)] = &[$((stringify!($variant), $version)),*];

        impl Event {
            /// Hands the event to `handler`'s impl for its own type ([`Handle`]): a handler
            /// that lacks one for some event type does not compile.
            pub fn handle<H, O>(&self, handler: &mut H) -> O
            where
                $(H: Handle<$variant, Output = O>,)*
            {
                match self {
                    $(Event::$variant(e) => Handle::<$variant>::handle(handler, e),)*
                }
            }

            /// The type name written to the journal: `"IntakeRecorded"`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Event::$variant(_) => stringify!($variant),)*
                }
            }

            /// When the fact happened (for a mediation session, when it started).
            pub fn occurred_at(&self) -> DateTime<Utc> {
                match self {
                    $(Event::$variant(e) => happened!(e $(, $at)?),)*
                }
            }

            /// The schema version this build writes.
            pub fn schema_version(&self) -> u16 {
                match self {
                    $(Event::$variant(_) => $version,)*
                }
            }

            /// The fields as JSON, without a tag.
            pub fn to_payload(&self) -> Vec<u8> {
                let bytes = match self {
                    $(Event::$variant(e) => serde_json::to_vec(e),)*
                };
                bytes.expect("events serialize: all map keys are strings")
            }

            /// Reads a payload of any schema version ever written, upcasting old ones.
            pub fn from_payload(
                event_type: &str,
                schema_version: u16,
                payload: &[u8],
            ) -> Result<Event, DecodeError> {
                Event::decode_from(event_type, schema_version, payload)
            }

            /// [`Event::from_payload`] for a payload already parsed (and changed: the desk opens
            /// sealed values in place), without writing it out and parsing it again.
            pub fn from_value(
                event_type: &str,
                schema_version: u16,
                payload: serde_json::Value,
            ) -> Result<Event, DecodeError> {
                Event::decode_from(event_type, schema_version, payload)
            }

            /// The one decoding of both: an old version upcast, else the current one.
            fn decode_from<S: PayloadSource>(
                event_type: &str,
                schema_version: u16,
                payload: S,
            ) -> Result<Event, DecodeError> {
                let invalid = |source| DecodeError::Invalid {
                    event_type: event_type.to_string(),
                    version: schema_version,
                    source,
                };
                let payload = match upcast(event_type, schema_version, payload) {
                    Ok(event) => return event.map_err(invalid),
                    Err(payload) => payload,
                };
                match event_type {
                    $(stringify!($variant) => {
                        if schema_version != $version {
                            return Err(DecodeError::UnknownVersion {
                                event_type: event_type.to_string(),
                                version: schema_version,
                            });
                        }
                        payload.parse::<$variant>().map(Event::$variant).map_err(invalid)
                    })*
                    other => Err(DecodeError::UnknownType(other.to_string())),
                }
            }
        }
    };
}

events!(
    PersonRegistered = 2,
    ConsentGiven = 2,
    ConsentWithdrawn = 1,
    VulnerabilityAssessed = 1,
    IntakeRecorded = 1,
    CaseOpened = 1,
    CarePlanAgreed = 1,
    CaseClosed = 1,
    CaseReopened = 1,
    CaseTransferred = 1,
    InterventionDelivered = 1,
    ReferralIssued = 1,
    ReferralOutcomeRecorded = 1,
    MediationRequested = 1,
    MediationSessionHeld = 2 at started_at,
    MediationCancelled = 1,
    GroupActivityHeld = 1,
    InformationMaterialDistributed = 1,
    SatisfactionSurveyCompleted = 2,
    LogbookEntryWritten = 3,
    LogbookEntryCommented = 1,
    TextRedacted = 1,
    SupervisionMeetingHeld = 1,
    CheckpointSigned = 1,
    ServiceMapped = 1,
    ServiceUpdated = 1,
    ServiceRetired = 1,
    SiteScheduled = 2,
    EventCorrected = 1,
    PersonErased = 1,
    PersonsMerged = 1,
    PersonTakenOn = 1,
    SiteClosed = 1,
    AppointmentBooked = 1,
    AppointmentRescheduled = 1,
    AppointmentCancelled = 1,
    AppointmentAttended = 1,
    AppointmentMissed = 1,
    SupervisionActionCompleted = 1,
    PersonUpdated = 1,
    CaseConferenceHeld = 1,
    StaffAccountOpened = 1,
    StaffAccountDisabled = 1,
    StaffPasswordReset = 1,
    SurveyDefined = 1,
);

/// Old schema versions still read: `(event type, version)`.
pub const OLD_EVENT_VERSIONS: &[(&str, u16)] = &[
    ("LogbookEntryWritten", 1),
    ("LogbookEntryWritten", 2),
    ("MediationSessionHeld", 1),
    ("SiteScheduled", 1),
    ("PersonRegistered", 1),
    ("ConsentGiven", 1),
    ("SatisfactionSurveyCompleted", 1),
];

/// A payload to decode: stored bytes, or a JSON value already parsed.
trait PayloadSource {
    fn parse<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error>;
}

impl PayloadSource for &[u8] {
    fn parse<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self)
    }
}

impl PayloadSource for serde_json::Value {
    fn parse<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self)
    }
}

/// Reads an old schema version into the current shape (`Ok`), or gives the payload back when it
/// is not an old version (`Err`).
fn upcast<S: PayloadSource>(
    event_type: &str,
    version: u16,
    payload: S,
) -> Result<Result<Event, serde_json::Error>, S> {
    match (event_type, version) {
        ("LogbookEntryWritten", 1) => Ok(payload
            .parse::<LogbookEntryWrittenV1>()
            .map(|v1| Event::LogbookEntryWritten(v1.into()))),
        ("MediationSessionHeld", 1) => Ok(payload
            .parse::<MediationSessionHeldV1>()
            .map(|v1| Event::MediationSessionHeld(v1.into()))),
        ("SiteScheduled", 1) => Ok(payload
            .parse::<SiteScheduledV1>()
            .map(|v1| Event::SiteScheduled(v1.into()))),
        ("PersonRegistered", 1) => Ok(payload
            .parse::<PersonRegisteredV1>()
            .map(|v1| Event::PersonRegistered(v1.into()))),
        ("ConsentGiven", 1) => Ok(payload
            .parse::<ConsentGivenV1>()
            .map(|v1| Event::ConsentGiven(v1.into()))),
        ("SatisfactionSurveyCompleted", 1) => Ok(payload
            .parse::<SatisfactionSurveyCompletedV1>()
            .map(|v1| Event::SatisfactionSurveyCompleted(v1.into()))),
        ("LogbookEntryWritten", 2) => Ok(payload
            .parse::<LogbookEntryWrittenV2>()
            .map(|v2| Event::LogbookEntryWritten(v2.into()))),
        _ => Err(payload),
    }
}

/// Which key the free text of a fact about no single person is sealed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKey {
    /// Its own: the key's id is the event's id.
    Own,
    /// The key of the fact with this event id (a comment: its entry's).
    Of(Ulid),
}

impl TextKey {
    /// The id of the key, for the event with id `event_id`.
    pub fn id(self, event_id: Ulid) -> Ulid {
        match self {
            TextKey::Own => event_id,
            TextKey::Of(id) => id,
        }
    }
}

impl Event {
    /// The site the fact concerns; none for directory events and supervision (see `site_ids`).
    pub fn site_id(&self) -> Option<&SiteId> {
        match self {
            Event::PersonRegistered(e) => Some(&e.site_id),
            Event::PersonsMerged(e) => Some(&e.site_id),
            Event::PersonTakenOn(e) => Some(&e.site_id),
            Event::PersonUpdated(e) => Some(&e.site_id),
            Event::ConsentGiven(e) => Some(&e.site_id),
            Event::ConsentWithdrawn(e) => Some(&e.site_id),
            Event::VulnerabilityAssessed(e) => Some(&e.site_id),
            Event::IntakeRecorded(e) => Some(&e.site_id),
            Event::CaseOpened(e) => Some(&e.site_id),
            Event::CarePlanAgreed(e) => Some(&e.site_id),
            Event::CaseClosed(e) => Some(&e.site_id),
            Event::CaseReopened(e) => Some(&e.site_id),
            Event::CaseTransferred(e) => Some(&e.site_id),
            Event::CaseConferenceHeld(e) => Some(&e.site_id),
            Event::InterventionDelivered(e) => Some(&e.site_id),
            Event::ReferralIssued(e) => Some(&e.site_id),
            Event::ReferralOutcomeRecorded(e) => Some(&e.site_id),
            Event::MediationRequested(e) => Some(&e.site_id),
            Event::MediationSessionHeld(e) => Some(&e.site_id),
            Event::MediationCancelled(e) => Some(&e.site_id),
            Event::GroupActivityHeld(e) => Some(&e.site_id),
            Event::InformationMaterialDistributed(e) => Some(&e.site_id),
            Event::SatisfactionSurveyCompleted(e) => Some(&e.site_id),
            Event::LogbookEntryWritten(e) => Some(&e.site_id),
            Event::LogbookEntryCommented(e) => Some(&e.site_id),
            Event::TextRedacted(e) => e.site_id.as_ref(),
            Event::EventCorrected(e) => e.site_id.as_ref(),
            Event::SiteScheduled(e) => Some(&e.site_id),
            Event::SiteClosed(e) => Some(&e.site_id),
            Event::AppointmentBooked(e) => Some(&e.site_id),
            Event::AppointmentRescheduled(e) => Some(&e.site_id),
            Event::AppointmentCancelled(e) => Some(&e.site_id),
            Event::AppointmentAttended(e) => Some(&e.site_id),
            Event::AppointmentMissed(e) => Some(&e.site_id),
            Event::SupervisionMeetingHeld(_)
            | Event::SupervisionActionCompleted(_)
            | Event::CheckpointSigned(_)
            | Event::ServiceMapped(_)
            | Event::ServiceUpdated(_)
            | Event::ServiceRetired(_)
            | Event::PersonErased(_) => None,
            // A staff account is no fact of a site's work, even a mediator's.
            Event::StaffAccountOpened(_)
            | Event::StaffAccountDisabled(_)
            | Event::StaffPasswordReset(_) => None,
            // A questionnaire's definition: no person, no site, no free text.
            Event::SurveyDefined(_) => None,
        }
    }

    /// The person the fact concerns, if any: the desk seals the personal values of an event
    /// that names one under their key. One arm per type, no catch-all: a new type says it.
    pub fn person_id(&self) -> Option<PersonId> {
        match self {
            Event::PersonRegistered(e) => Some(e.person_id),
            Event::ConsentGiven(e) => Some(e.person_id),
            Event::ConsentWithdrawn(e) => Some(e.person_id),
            Event::VulnerabilityAssessed(e) => Some(e.person_id),
            Event::IntakeRecorded(e) => Some(e.person_id),
            Event::CaseOpened(e) => Some(e.person_id),
            Event::CarePlanAgreed(e) => Some(e.person_id),
            Event::CaseClosed(e) => Some(e.person_id),
            Event::CaseReopened(e) => Some(e.person_id),
            Event::CaseTransferred(e) => Some(e.person_id),
            Event::CaseConferenceHeld(e) => Some(e.person_id),
            Event::InterventionDelivered(e) => Some(e.person_id),
            Event::ReferralIssued(e) => Some(e.person_id),
            Event::ReferralOutcomeRecorded(e) => Some(e.person_id),
            Event::MediationRequested(e) => e.person_id,
            Event::MediationSessionHeld(e) => e.person_id,
            Event::SatisfactionSurveyCompleted(e) => e.person_id,
            Event::EventCorrected(e) => e.person_id,
            Event::PersonErased(e) => Some(e.person_id),
            Event::PersonsMerged(e) => Some(e.person_id),
            Event::PersonTakenOn(e) => Some(e.person_id),
            Event::AppointmentBooked(e) => Some(e.person_id),
            Event::AppointmentRescheduled(e) => Some(e.person_id),
            Event::AppointmentCancelled(e) => Some(e.person_id),
            Event::AppointmentAttended(e) => Some(e.person_id),
            Event::AppointmentMissed(e) => Some(e.person_id),
            Event::PersonUpdated(e) => Some(e.person_id),
            // Facts about no single person: the desk seals nothing in them.
            Event::MediationCancelled(_)
            | Event::GroupActivityHeld(_)
            | Event::InformationMaterialDistributed(_)
            | Event::LogbookEntryWritten(_)
            | Event::LogbookEntryCommented(_)
            | Event::TextRedacted(_)
            | Event::SupervisionMeetingHeld(_)
            | Event::CheckpointSigned(_)
            | Event::ServiceMapped(_)
            | Event::ServiceUpdated(_)
            | Event::ServiceRetired(_)
            | Event::SiteScheduled(_)
            | Event::SiteClosed(_)
            | Event::SupervisionActionCompleted(_) => None,
            // Facts about the staff, never about a person served.
            Event::StaffAccountOpened(_)
            | Event::StaffAccountDisabled(_)
            | Event::StaffPasswordReset(_) => None,
            // A questionnaire's definition: no person, no site, no free text.
            Event::SurveyDefined(_) => None,
        }
    }

    /// The key a fact about no single person seals its free text under
    /// (`docs/adr/0010-sealed-free-text.md`): a logbook entry and a supervision meeting their
    /// own (the event's id), a comment its entry's. One arm per type, no catch-all.
    pub fn text_key(&self) -> Option<TextKey> {
        match self {
            Event::LogbookEntryWritten(_)
            | Event::SupervisionMeetingHeld(_)
            | Event::GroupActivityHeld(_) => Some(TextKey::Own),
            // An anonymous survey's comment, a session's note without a person; a named
            // person's are sealed under their key.
            Event::SatisfactionSurveyCompleted(e) => e.person_id.is_none().then_some(TextKey::Own),
            Event::MediationSessionHeld(e) => e.person_id.is_none().then_some(TextKey::Own),
            Event::LogbookEntryCommented(e) => Some(TextKey::Of(e.entry_id)),
            // A correction of their text is sealed under the key of the fact it corrects.
            Event::EventCorrected(e) => match e.corrected_event_type.as_str() {
                "LogbookEntryWritten"
                | "SupervisionMeetingHeld"
                | "GroupActivityHeld"
                | "SatisfactionSurveyCompleted"
                | "MediationSessionHeld"
                    if e.person_id.is_none() =>
                {
                    Some(TextKey::Of(e.corrects))
                }
                _ => None,
            },
            Event::PersonRegistered(_)
            | Event::ConsentGiven(_)
            | Event::ConsentWithdrawn(_)
            | Event::VulnerabilityAssessed(_)
            | Event::IntakeRecorded(_)
            | Event::CaseOpened(_)
            | Event::CarePlanAgreed(_)
            | Event::CaseClosed(_)
            | Event::CaseReopened(_)
            | Event::InterventionDelivered(_)
            | Event::ReferralIssued(_)
            | Event::ReferralOutcomeRecorded(_)
            | Event::MediationRequested(_)
            | Event::MediationCancelled(_)
            | Event::InformationMaterialDistributed(_)
            | Event::CheckpointSigned(_)
            | Event::ServiceMapped(_)
            | Event::ServiceUpdated(_)
            | Event::ServiceRetired(_)
            | Event::SiteScheduled(_)
            | Event::PersonErased(_)
            | Event::PersonsMerged(_)
            | Event::PersonTakenOn(_)
            | Event::TextRedacted(_)
            // Sealed under the person they name (appointments, updates), or no free text about
            // anyone: a service's own reference, a closure's reason, an action done.
            | Event::CaseTransferred(_)
            | Event::CaseConferenceHeld(_)
            | Event::SiteClosed(_)
            | Event::AppointmentBooked(_)
            | Event::AppointmentRescheduled(_)
            | Event::AppointmentCancelled(_)
            | Event::AppointmentAttended(_)
            | Event::AppointmentMissed(_)
            | Event::SupervisionActionCompleted(_)
            | Event::PersonUpdated(_) => None,
            // No free text at all.
            Event::StaffAccountOpened(_)
            | Event::StaffAccountDisabled(_)
            | Event::StaffPasswordReset(_) => None,
            // A questionnaire's definition: no person, no site, no free text.
            Event::SurveyDefined(_) => None,
        }
    }

    /// The case the fact concerns, if any (one arm per type, no catch-all).
    pub fn case_id(&self) -> Option<CaseId> {
        match self {
            Event::CaseOpened(e) => Some(e.case_id),
            Event::CarePlanAgreed(e) => Some(e.case_id),
            Event::CaseClosed(e) => Some(e.case_id),
            Event::CaseReopened(e) => Some(e.case_id),
            Event::CaseTransferred(e) => Some(e.case_id),
            Event::CaseConferenceHeld(e) => Some(e.case_id),
            Event::InterventionDelivered(e) => e.case_id,
            Event::ReferralIssued(e) => e.case_id,
            Event::MediationRequested(e) => e.case_id,
            Event::MediationSessionHeld(e) => e.case_id,
            Event::EventCorrected(e) => e.case_id,
            Event::PersonRegistered(_)
            | Event::ConsentGiven(_)
            | Event::ConsentWithdrawn(_)
            | Event::VulnerabilityAssessed(_)
            | Event::IntakeRecorded(_)
            | Event::ReferralOutcomeRecorded(_)
            | Event::MediationCancelled(_)
            | Event::GroupActivityHeld(_)
            | Event::InformationMaterialDistributed(_)
            | Event::SatisfactionSurveyCompleted(_)
            | Event::LogbookEntryWritten(_)
            | Event::LogbookEntryCommented(_)
            | Event::TextRedacted(_)
            | Event::SupervisionMeetingHeld(_)
            | Event::CheckpointSigned(_)
            | Event::ServiceMapped(_)
            | Event::ServiceUpdated(_)
            | Event::ServiceRetired(_)
            | Event::SiteScheduled(_)
            | Event::PersonErased(_)
            | Event::PersonsMerged(_)
            | Event::PersonTakenOn(_)
            | Event::SiteClosed(_)
            | Event::AppointmentBooked(_)
            | Event::AppointmentRescheduled(_)
            | Event::AppointmentCancelled(_)
            | Event::AppointmentAttended(_)
            | Event::AppointmentMissed(_)
            | Event::SupervisionActionCompleted(_)
            | Event::PersonUpdated(_) => None,
            Event::StaffAccountOpened(_)
            | Event::StaffAccountDisabled(_)
            | Event::StaffPasswordReset(_) => None,
            // A questionnaire's definition: no person, no site, no free text.
            Event::SurveyDefined(_) => None,
        }
    }
}

impl Event {
    /// The stream this event belongs in, when the event alone tells it: every type but
    /// `EventCorrected` and `TextRedacted`, which go to the stream of the event they name.
    pub fn stream(&self) -> Option<StreamId> {
        Some(match self {
            Event::PersonRegistered(e) => StreamId::person(e.person_id),
            Event::ConsentGiven(e) => StreamId::person(e.person_id),
            Event::ConsentWithdrawn(e) => StreamId::person(e.person_id),
            Event::VulnerabilityAssessed(e) => StreamId::person(e.person_id),
            Event::IntakeRecorded(e) => StreamId::person(e.person_id),
            Event::CaseOpened(e) => StreamId::case(e.case_id),
            Event::CarePlanAgreed(e) => StreamId::case(e.case_id),
            Event::CaseClosed(e) => StreamId::case(e.case_id),
            Event::CaseReopened(e) => StreamId::case(e.case_id),
            Event::CaseTransferred(e) => StreamId::case(e.case_id),
            Event::CaseConferenceHeld(e) => StreamId::case(e.case_id),
            Event::InterventionDelivered(e) => match e.case_id {
                Some(case_id) => StreamId::case(case_id),
                None => StreamId::person(e.person_id),
            },
            Event::ReferralIssued(e) => StreamId::referral(e.referral_id),
            Event::ReferralOutcomeRecorded(e) => StreamId::referral(e.referral_id),
            Event::MediationRequested(e) => StreamId::mediation(e.mediation_id),
            Event::MediationSessionHeld(e) => StreamId::mediation(e.mediation_id),
            Event::MediationCancelled(e) => StreamId::mediation(e.mediation_id),
            Event::GroupActivityHeld(e) => StreamId::group_activity(e.activity_id),
            Event::InformationMaterialDistributed(e) => StreamId::distribution(e.distribution_id),
            Event::SatisfactionSurveyCompleted(e) => StreamId::survey(e.survey_id),
            Event::LogbookEntryWritten(e) => StreamId::logbook(&e.site_id, e.date),
            Event::LogbookEntryCommented(e) => StreamId::logbook(&e.site_id, e.date),
            Event::SupervisionMeetingHeld(e) => StreamId::supervision(e.meeting_id),
            Event::CheckpointSigned(_) => StreamId::checkpoints(),
            Event::ServiceMapped(e) => StreamId::service(e.service_id),
            Event::ServiceUpdated(e) => StreamId::service(e.service_id),
            Event::ServiceRetired(e) => StreamId::service(e.service_id),
            Event::SiteScheduled(e) => StreamId::site(&e.site_id),
            Event::PersonErased(e) => StreamId::person(e.person_id),
            Event::PersonsMerged(e) => StreamId::person(e.person_id),
            Event::PersonTakenOn(e) => StreamId::person(e.person_id),
            Event::SiteClosed(e) => StreamId::site(&e.site_id),
            Event::AppointmentBooked(e) => StreamId::appointment(e.appointment_id),
            Event::AppointmentRescheduled(e) => StreamId::appointment(e.appointment_id),
            Event::AppointmentCancelled(e) => StreamId::appointment(e.appointment_id),
            Event::AppointmentAttended(e) => StreamId::appointment(e.appointment_id),
            Event::AppointmentMissed(e) => StreamId::appointment(e.appointment_id),
            Event::SupervisionActionCompleted(e) => StreamId::supervision(e.meeting_id),
            Event::PersonUpdated(e) => StreamId::person(e.person_id),
            Event::StaffAccountOpened(e) => StreamId::staff(&e.user),
            Event::StaffAccountDisabled(e) => StreamId::staff(&e.user),
            Event::StaffPasswordReset(e) => StreamId::staff(&e.user),
            Event::SurveyDefined(e) => StreamId::survey_definition(&e.definition),
            Event::EventCorrected(_) | Event::TextRedacted(_) => return None,
        })
    }
}
