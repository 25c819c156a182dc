//! Commands: what a user asks the desk to record. Decided against the state into events.
//!
//! Commands that create something carry the new object's id, so that a retried command names
//! the same object and a fixture line is reproducible. Times are ISO 8601 with an offset and are
//! stored in UTC; plain dates are `yyyy-mm-dd`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::event::{ItemScore, LanguagePair, ServiceDescription, SupervisionAction};
use crate::ids::*;
use crate::personal::{PersonalData, PersonalFields, PersonalNote};
use crate::vocab::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterPerson {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub birth_year: i32,
    pub sex: Sex,
    pub citizenships: Vec<String>,
    pub country_of_birth: String,
    #[serde(default)]
    pub arrival_year: Option<i32>,
    pub permit_type: PermitType,
    #[serde(default)]
    pub permit_expires_on: Option<NaiveDate>,
    pub languages: Vec<String>,
    pub household_size: u8,
    #[serde(default)]
    pub minor: bool,
    #[serde(default)]
    pub unaccompanied_minor: bool,
    pub personal: PersonalData,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GiveConsent {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub scopes: Vec<ConsentScope>,
    #[serde(default)]
    pub shared_with: Vec<String>,
    pub given_by: ConsentGiver,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WithdrawConsent {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub scopes: Vec<ConsentScope>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssessVulnerability {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub categories: Vec<VulnerabilityCategory>,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordIntake {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub channel: IntakeChannel,
    #[serde(default)]
    pub referred_by: Option<ServiceId>,
    pub needs: Vec<NeedArea>,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenCase {
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub case_worker: String,
    #[serde(default)]
    pub vulnerabilities: Vec<VulnerabilityCategory>,
    #[serde(default)]
    pub partner_services: Vec<ServiceId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgreeCarePlan {
    pub case_id: CaseId,
    pub occurred_at: DateTime<Utc>,
    pub needs: Vec<NeedArea>,
    #[serde(default)]
    pub goals: Vec<PersonalNote>,
    #[serde(default)]
    pub partner_services: Vec<ServiceId>,
    pub review_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloseCase {
    pub case_id: CaseId,
    pub occurred_at: DateTime<Utc>,
    pub reason: ClosureReason,
    pub outcome: CaseOutcome,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReopenCase {
    pub case_id: CaseId,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordIntervention {
    pub intervention_id: InterventionId,
    pub person_id: PersonId,
    #[serde(default)]
    pub case_id: Option<CaseId>,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub activity: Activity,
    pub mode: InterventionMode,
    pub duration_minutes: u32,
    pub staff: Vec<String>,
    pub language: String,
    #[serde(default)]
    pub need: Option<NeedArea>,
    #[serde(default)]
    pub service_id: Option<ServiceId>,
    #[serde(default)]
    pub legal_topic: Option<LegalTopic>,
    #[serde(default)]
    pub parental_kind: Option<ParentalSupportKind>,
    pub outcome: InterventionOutcome,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueReferral {
    pub referral_id: ReferralId,
    pub person_id: PersonId,
    #[serde(default)]
    pub case_id: Option<CaseId>,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub service_id: ServiceId,
    pub reason: NeedArea,
    pub urgency: Urgency,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordReferralOutcome {
    pub referral_id: ReferralId,
    pub occurred_at: DateTime<Utc>,
    pub outcome: ReferralOutcome,
    #[serde(default)]
    pub appointment_on: Option<NaiveDate>,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestMediation {
    pub mediation_id: MediationId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub mode: MediationMode,
    #[serde(default)]
    pub requesting_service: Option<ServiceId>,
    #[serde(default)]
    pub person_id: Option<PersonId>,
    #[serde(default)]
    pub case_id: Option<CaseId>,
    pub language: String,
    #[serde(default)]
    pub slot_start: Option<DateTime<Utc>>,
    #[serde(default)]
    pub slot_end: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordMediationSession {
    pub mediation_id: MediationId,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub mediator: String,
    pub languages: LanguagePair,
    pub parties: Vec<PartyRole>,
    pub kind: MediationKind,
    pub outcome: SessionOutcome,
    #[serde(default)]
    pub follow_up_needed: bool,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelMediation {
    pub mediation_id: MediationId,
    pub occurred_at: DateTime<Utc>,
    pub reason: CancellationReason,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordGroupActivity {
    pub activity_id: GroupActivityId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub kind: GroupActivityKind,
    pub title: String,
    pub duration_minutes: u32,
    pub attendees_third_country: u32,
    #[serde(default)]
    pub attendees_other: u32,
    pub languages: Vec<String>,
    #[serde(default)]
    pub associations: Vec<String>,
    pub facilitators: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DistributeInformationMaterial {
    pub distribution_id: DistributionId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub item: String,
    pub language: String,
    pub quantity: u32,
    pub channel: DistributionChannel,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordSurveyResponse {
    pub survey_id: SurveyId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub person_id: Option<PersonId>,
    pub scores: Vec<ItemScore>,
    pub helpful_for_integration: bool,
    #[serde(default)]
    pub comment: Option<PersonalNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteLogbookEntry {
    pub site_id: SiteId,
    pub date: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    pub mediator: String,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Vec<String>,
    #[serde(default)]
    pub observations: Option<PersonalNote>,
    #[serde(default)]
    pub incidents: Option<PersonalNote>,
    #[serde(default)]
    pub emerging_needs: Vec<NeedArea>,
    #[serde(default)]
    pub difficulties: Option<PersonalNote>,
    #[serde(default)]
    pub strategies: Option<PersonalNote>,
    #[serde(default)]
    pub training_needs: Option<PersonalNote>,
}

/// A supervisor comments on a logbook entry (named by its event id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentLogbookEntry {
    pub entry_id: Ulid,
    pub occurred_at: DateTime<Utc>,
    pub comment: PersonalNote,
}

/// Redacts the free text of a logbook entry (and its comments) or of a supervision meeting that
/// names a person who asked to be erased, by a supervisor. The reason is a closed list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedactText {
    pub event_id: Ulid,
    pub occurred_at: DateTime<Utc>,
    pub reason: ErasureReason,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordSupervisionMeeting {
    pub meeting_id: MeetingId,
    pub occurred_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub supervisor: String,
    pub attendees: Vec<String>,
    pub site_ids: Vec<SiteId>,
    #[serde(default)]
    pub themes: Vec<String>,
    #[serde(default)]
    pub cases_discussed: Vec<CaseId>,
    #[serde(default)]
    pub decisions: Vec<PersonalNote>,
    #[serde(default)]
    pub actions: Vec<SupervisionAction>,
}

/// Records a checkpoint the desk has signed with the installation key: the journal's Merkle tree
/// had `tree_size` leaves and this root at `occurred_at`. The desk signs; the domain records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordCheckpoint {
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "ServiceEntry")]
pub struct MapService {
    pub service_id: ServiceId,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub description: ServiceDescription,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "ServiceEntry")]
pub struct UpdateService {
    pub service_id: ServiceId,
    pub occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    pub description: ServiceDescription,
}

/// Sets a site's name and opening weekdays (admins and supervisors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleSite {
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub name: String,
    #[serde(default)]
    pub opening_days: Vec<Weekday>,
}

/// The JSON of `MapService` and `UpdateService`, read with every field named so that an unknown
/// one is refused (serde cannot refuse unknown fields beside a flattened struct).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ServiceEntry {
    service_id: ServiceId,
    occurred_at: DateTime<Utc>,
    name: String,
    kind: ServiceKind,
    address: String,
    opening_hours: String,
    languages: Vec<String>,
    access_rules: String,
    ukraine_capacity: Option<crate::event::UkraineCapacity>,
    verified_on: NaiveDate,
}

impl ServiceEntry {
    fn into_parts(self) -> (ServiceId, DateTime<Utc>, ServiceDescription) {
        let ServiceEntry {
            service_id,
            occurred_at,
            name,
            kind,
            address,
            opening_hours,
            languages,
            access_rules,
            ukraine_capacity,
            verified_on,
        } = self;
        let description = ServiceDescription {
            name,
            kind,
            address,
            opening_hours,
            languages,
            access_rules,
            ukraine_capacity,
            verified_on,
        };
        (service_id, occurred_at, description)
    }
}

impl From<ServiceEntry> for MapService {
    fn from(entry: ServiceEntry) -> Self {
        let (service_id, occurred_at, description) = entry.into_parts();
        MapService {
            service_id,
            occurred_at,
            description,
        }
    }
}

impl From<ServiceEntry> for UpdateService {
    fn from(entry: ServiceEntry) -> Self {
        let (service_id, occurred_at, description) = entry.into_parts();
        UpdateService {
            service_id,
            occurred_at,
            description,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetireService {
    pub service_id: ServiceId,
    pub occurred_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorrectEvent {
    /// The id of the event to correct.
    pub corrects: Ulid,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub fields: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub personal_fields: PersonalFields,
    pub reason: String,
}

/// Erases a person's personal data (supervisors only): their key is destroyed once the
/// erasure is recorded. The reason is a closed list, never free text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErasePerson {
    pub person_id: PersonId,
    pub occurred_at: DateTime<Utc>,
    pub reason: ErasureReason,
}

/// Records that `person_id` is the same person as `into_person_id` (a duplicate registration),
/// by a supervisor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergePersons {
    /// The registration merged away: from now on it points at `into_person_id`.
    pub person_id: PersonId,
    /// The registration kept.
    pub into_person_id: PersonId,
    pub occurred_at: DateTime<Utc>,
}

/// Takes on at `site_id` a person registered at another site (found by an exact identifier:
/// `possibleDuplicates`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TakeOnPerson {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
}

macro_rules! commands {
    ($($variant:ident),* $(,)?) => {
        /// Everything a user can ask the desk to record.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "command")]
        pub enum Command {
            $($variant($variant),)*
        }

        $(impl From<$variant> for Command {
            fn from(c: $variant) -> Self {
                Command::$variant(c)
            }
        })*

        /// Every command name.
        pub const COMMAND_NAMES: &[&str] = &[$(stringify!($variant)),*];

        impl Command {
            /// The command's name: `"RecordIntake"`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Command::$variant(_) => stringify!($variant),)*
                }
            }
        }
    };
}

commands!(
    RegisterPerson,
    GiveConsent,
    WithdrawConsent,
    AssessVulnerability,
    RecordIntake,
    OpenCase,
    AgreeCarePlan,
    CloseCase,
    ReopenCase,
    RecordIntervention,
    IssueReferral,
    RecordReferralOutcome,
    RequestMediation,
    RecordMediationSession,
    CancelMediation,
    RecordGroupActivity,
    DistributeInformationMaterial,
    RecordSurveyResponse,
    WriteLogbookEntry,
    CommentLogbookEntry,
    RedactText,
    RecordSupervisionMeeting,
    RecordCheckpoint,
    MapService,
    UpdateService,
    RetireService,
    ScheduleSite,
    CorrectEvent,
    ErasePerson,
    MergePersons,
    TakeOnPerson,
);

impl Command {
    /// The type of the event this command records when it is accepted.
    pub fn event_type(&self) -> &'static str {
        match self {
            Command::RegisterPerson(_) => "PersonRegistered",
            Command::GiveConsent(_) => "ConsentGiven",
            Command::WithdrawConsent(_) => "ConsentWithdrawn",
            Command::AssessVulnerability(_) => "VulnerabilityAssessed",
            Command::RecordIntake(_) => "IntakeRecorded",
            Command::OpenCase(_) => "CaseOpened",
            Command::AgreeCarePlan(_) => "CarePlanAgreed",
            Command::CloseCase(_) => "CaseClosed",
            Command::ReopenCase(_) => "CaseReopened",
            Command::RecordIntervention(_) => "InterventionDelivered",
            Command::IssueReferral(_) => "ReferralIssued",
            Command::RecordReferralOutcome(_) => "ReferralOutcomeRecorded",
            Command::RequestMediation(_) => "MediationRequested",
            Command::RecordMediationSession(_) => "MediationSessionHeld",
            Command::CancelMediation(_) => "MediationCancelled",
            Command::RecordGroupActivity(_) => "GroupActivityHeld",
            Command::DistributeInformationMaterial(_) => "InformationMaterialDistributed",
            Command::RecordSurveyResponse(_) => "SatisfactionSurveyCompleted",
            Command::WriteLogbookEntry(_) => "LogbookEntryWritten",
            Command::CommentLogbookEntry(_) => "LogbookEntryCommented",
            Command::RedactText(_) => "TextRedacted",
            Command::RecordSupervisionMeeting(_) => "SupervisionMeetingHeld",
            Command::RecordCheckpoint(_) => "CheckpointSigned",
            Command::MapService(_) => "ServiceMapped",
            Command::UpdateService(_) => "ServiceUpdated",
            Command::RetireService(_) => "ServiceRetired",
            Command::ScheduleSite(_) => "SiteScheduled",
            Command::CorrectEvent(_) => "EventCorrected",
            Command::ErasePerson(_) => "PersonErased",
            Command::MergePersons(_) => "PersonsMerged",
            Command::TakeOnPerson(_) => "PersonTakenOn",
        }
    }

    /// When the fact it records happened (a mediation session: when it ended).
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Command::RegisterPerson(c) => c.occurred_at,
            Command::GiveConsent(c) => c.occurred_at,
            Command::WithdrawConsent(c) => c.occurred_at,
            Command::AssessVulnerability(c) => c.occurred_at,
            Command::RecordIntake(c) => c.occurred_at,
            Command::OpenCase(c) => c.occurred_at,
            Command::AgreeCarePlan(c) => c.occurred_at,
            Command::CloseCase(c) => c.occurred_at,
            Command::ReopenCase(c) => c.occurred_at,
            Command::RecordIntervention(c) => c.occurred_at,
            Command::IssueReferral(c) => c.occurred_at,
            Command::RecordReferralOutcome(c) => c.occurred_at,
            Command::RequestMediation(c) => c.occurred_at,
            Command::RecordMediationSession(c) => c.ended_at,
            Command::CancelMediation(c) => c.occurred_at,
            Command::RecordGroupActivity(c) => c.occurred_at,
            Command::DistributeInformationMaterial(c) => c.occurred_at,
            Command::RecordSurveyResponse(c) => c.occurred_at,
            Command::WriteLogbookEntry(c) => c.occurred_at,
            Command::CommentLogbookEntry(c) => c.occurred_at,
            Command::RedactText(c) => c.occurred_at,
            Command::RecordSupervisionMeeting(c) => c.occurred_at,
            Command::RecordCheckpoint(c) => c.occurred_at,
            Command::MapService(c) => c.occurred_at,
            Command::UpdateService(c) => c.occurred_at,
            Command::RetireService(c) => c.occurred_at,
            Command::ScheduleSite(c) => c.occurred_at,
            Command::CorrectEvent(c) => c.occurred_at,
            Command::ErasePerson(c) => c.occurred_at,
            Command::MergePersons(c) => c.occurred_at,
            Command::TakeOnPerson(c) => c.occurred_at,
        }
    }
}
