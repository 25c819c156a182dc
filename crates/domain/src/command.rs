//! Commands: what a user asks the desk to record. Decided against the state into events.
//!
//! Commands that create something carry the new object's id, so that a retried command names
//! the same object and a fixture line is reproducible. Times are ISO 8601 with an offset and are
//! stored in UTC; plain dates are `yyyy-mm-dd`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::calendar::OpeningHours;
use crate::event::{
    HoldingService, ItemScore, LanguagePair, Permit, PersonalChanges, ServiceDescription,
    SupervisionAction,
};
use crate::ids::*;
use crate::permission::Placement;
use crate::personal::{PersonalData, PersonalFields, PersonalNote};
use crate::rejection::Rejection;
use crate::state::{Context, Decide, Decision, DeskState};
use crate::vocab::*;

// The staff accounts' commands are declared beside their facts (`staff.rs`).
pub use crate::staff::{DisableStaffAccount, OpenStaffAccount, ResetStaffPassword};
// The survey definitions' command is declared beside its fact (`survey.rs`).
pub use crate::survey::DefineSurvey;

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
    /// The renewal was applied for (a status beside the type).
    #[serde(default)]
    pub permit_renewal_pending: bool,
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
    /// Who the guardian is: required when a guardian gives it.
    #[serde(default)]
    pub guardian_kind: Option<GuardianKind>,
    /// The guardian's name: required when a guardian gives it.
    #[serde(default)]
    pub guardian_name: Option<PersonalNote>,
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

/// Moves an open case to another case worker, or records the partner service that holds it, or
/// both (supervisors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferCase {
    pub case_id: CaseId,
    pub occurred_at: DateTime<Utc>,
    /// The case worker who takes the case (an account id); `None`: the same.
    #[serde(default)]
    pub case_worker: Option<String>,
    /// The partner service that holds the case from now on; `None`: the same.
    #[serde(default)]
    pub holding_service: Option<HoldingService>,
}

/// Records a case conference held on an open case with the partner services present.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordCaseConference {
    pub case_id: CaseId,
    pub occurred_at: DateTime<Utc>,
    /// The desk's mediator who took part (a mediator: themselves).
    pub mediator: String,
    pub services: Vec<ServiceId>,
    /// The services' people present (names, roles): personal free text, sealed.
    #[serde(default)]
    pub participants: Vec<PersonalNote>,
    #[serde(default)]
    pub decisions: Vec<PersonalNote>,
    #[serde(default)]
    pub next_review: Option<NaiveDate>,
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
    /// Where it was held (at the desk, a hospital, the *Questura*, a school, by phone).
    #[serde(default)]
    pub place: Option<SessionPlace>,
    /// When a follow-up is needed, the day it is due by (default: a week after the session).
    #[serde(default)]
    pub follow_up_by: Option<NaiveDate>,
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
    /// Free text that may name people: sealed (`docs/adr/0010-sealed-free-text.md`).
    pub title: PersonalNote,
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
    /// The survey definition answered, and its version; without them, the version in force on
    /// the day (`survey.rs`). Left out of the command's JSON when not given, so that a retry
    /// of it matches the recorded fact, which names the definition answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
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

/// Sets a site's name, opening weekdays, their hours and its phone numbers (admins and
/// supervisors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleSite {
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub name: String,
    #[serde(default)]
    pub opening_days: Vec<Weekday>,
    /// Opening periods in Rome's local time, each on one of `opening_days`.
    #[serde(default)]
    pub hours: Vec<OpeningHours>,
    #[serde(default)]
    pub phones: Vec<String>,
}

/// Closes a scheduled site from `from` to `to` (both included): a local holiday, a strike, works.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloseSite {
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// Books a slot inside the site's hours for a person of the site, with a mediator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookAppointment {
    pub appointment_id: AppointmentId,
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub mediator: String,
    pub language: String,
    pub channel: IntakeChannel,
    #[serde(default)]
    pub referred_by: Option<ServiceId>,
    #[serde(default)]
    pub note: Option<PersonalNote>,
}

/// Moves a booked appointment to another slot; `mediator` when it changes hands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RescheduleAppointment {
    pub appointment_id: AppointmentId,
    pub occurred_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub mediator: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelAppointment {
    pub appointment_id: AppointmentId,
    pub occurred_at: DateTime<Utc>,
    pub reason: CancellationReason,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordAppointmentAttended {
    pub appointment_id: AppointmentId,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordNoShow {
    pub appointment_id: AppointmentId,
    pub occurred_at: DateTime<Utc>,
}

/// Records that an action of a supervision meeting was done (supervisors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteSupervisionAction {
    pub meeting_id: MeetingId,
    /// The action's index in the meeting's `actions`, from 0.
    pub action: u32,
    pub occurred_at: DateTime<Utc>,
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

/// Records what changed about a registered person (news; a mistake is corrected with
/// `CorrectEvent`). Each field given is the value from now on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePerson {
    pub person_id: PersonId,
    pub site_id: SiteId,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub permit: Option<Permit>,
    #[serde(default)]
    pub citizenships: Option<Vec<String>>,
    #[serde(default)]
    pub languages: Option<Vec<String>>,
    #[serde(default)]
    pub household_size: Option<u8>,
    #[serde(default)]
    pub personal: Option<PersonalChanges>,
}

/// The field that says when a command's fact happened: `occurredAt`, unless its line in
/// `commands!` names another.
macro_rules! own_name {
    ($c:ident) => {
        None
    };
    ($c:ident, $actor:ident = $field:literal) => {
        Some(($field, $c.$actor.as_str()))
    };
}

macro_rules! occurred {
    ($c:ident) => {
        ($c.occurred_at, "occurredAt")
    };
    ($c:ident, $at:ident = $field:literal) => {
        ($c.$at, $field)
    };
}

/// Declares every command, one line each: the command's struct, the event it records, the roles
/// that may send it (deny by default: a role not named is refused; `[]`: nobody, the desk
/// records it itself) and, when it is not `occurred_at`, the field that says when it happened.
/// The decision and the site of each command's fact are its `Decide` impl, beside its stream's
/// other decisions in `state/<stream>.rs`; a command without one does not compile.
macro_rules! commands {
    ($($variant:ident => $event:ident, roles: [$($role:ident),*], own_name: [$($actor:ident = $actor_field:literal)?] $(, at: $at:ident = $field:literal)?;)*) => {
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

        /// Every command name with the roles that may send it ([`Command::roles`]).
        pub const COMMAND_ROLES: &[(&str, &[Role])] =
            &[$((stringify!($variant), &[$(Role::$role),*])),*];

        // Each event named in a line is an event type (a misspelt one does not compile).
        const _: () = {
            $(let _ = ::std::mem::size_of::<crate::event::$event>();)*
        };

        impl Command {
            /// One command of every kind, in the order of `commands!` ([`crate::samples`]).
            #[doc(hidden)]
            pub fn samples() -> Vec<Command> {
                vec![$(Command::$variant(<$variant as crate::samples::Sample>::sample()),)*]
            }

            /// The command's name: `"RecordIntake"`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Command::$variant(_) => stringify!($variant),)*
                }
            }

            /// The type of the event this command records when it is accepted.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Command::$variant(_) => stringify!($event),)*
                }
            }

            /// The roles that may send this command. A `RecordCheckpoint` is sent by nobody: the
            /// desk records it when it signs with its own key (`Desk::sign_checkpoint`).
            /// Evaluators send nothing.
            pub fn roles(&self) -> &'static [Role] {
                match self {
                    $(Command::$variant(_) => &[$(Role::$role),*],)*
                }
            }

            /// When the fact it records happened (a mediation session: when it ended), and the
            /// field that says it (`occurredAt`, `endedAt`).
            pub fn occurred(&self) -> (DateTime<Utc>, &'static str) {
                match self {
                    $(Command::$variant(c) => occurred!(c $(, $at = $field)?),)*
                }
            }

            /// The field that repeats the command's actor (the member of staff who did it), if
            /// any: a mediator records in their own name (`state/check.rs`, `in_own_name`).
            pub fn actor_field(&self) -> Option<(&'static str, &str)> {
                match self {
                    $(Command::$variant(_c) => own_name!(_c $(, $actor = $actor_field)?),)*
                }
            }

            /// Its decision (`Decide::decide`), once the checks every command shares have passed.
            pub(crate) fn decide_in(&self, state: &DeskState, ctx: &Context) -> Result<Decision, Rejection> {
                match self {
                    $(Command::$variant(c) => Decide::decide(c, state, ctx),)*
                }
            }
        }

        impl DeskState {
            /// Where the fact `cmd` records belongs: its own `siteId`, or the site of the case,
            /// referral, mediation or event it acts on (`Decide::placement`).
            pub fn placement(&self, cmd: &Command) -> Placement {
                match cmd {
                    $(Command::$variant(c) => Decide::placement(c, self),)*
                }
            }
        }
    };
}

// One line per command: the event it records, the roles that may send it (deny by default), the
// field that repeats its actor, which a mediator must fill with their own name (`own_name: []`
// when none does: a supervisor's meeting, a booking for the mediator who will hold it, a
// transfer to another case worker, an account changed by an admin), and the time field when it
// is not `occurred_at`. Each clause but `at` is required: a line that forgets one does not
// compile.
commands! {
    RegisterPerson => PersonRegistered, roles: [Mediator, Supervisor], own_name: [];
    GiveConsent => ConsentGiven, roles: [Mediator, Supervisor], own_name: [];
    WithdrawConsent => ConsentWithdrawn, roles: [Mediator, Supervisor], own_name: [];
    AssessVulnerability => VulnerabilityAssessed, roles: [Mediator, Supervisor], own_name: [];
    RecordIntake => IntakeRecorded, roles: [Mediator, Supervisor], own_name: [];
    OpenCase => CaseOpened, roles: [Mediator, Supervisor], own_name: [case_worker = "caseWorker"];
    AgreeCarePlan => CarePlanAgreed, roles: [Mediator, Supervisor], own_name: [];
    CloseCase => CaseClosed, roles: [Mediator, Supervisor], own_name: [];
    ReopenCase => CaseReopened, roles: [Mediator, Supervisor], own_name: [];
    TransferCase => CaseTransferred, roles: [Supervisor], own_name: [];
    RecordIntervention => InterventionDelivered, roles: [Mediator, Supervisor], own_name: [];
    IssueReferral => ReferralIssued, roles: [Mediator, Supervisor], own_name: [];
    RecordReferralOutcome => ReferralOutcomeRecorded, roles: [Mediator, Supervisor], own_name: [];
    RequestMediation => MediationRequested, roles: [Mediator, Supervisor], own_name: [];
    RecordMediationSession => MediationSessionHeld, roles: [Mediator, Supervisor], own_name: [mediator = "mediator"], at: ended_at = "endedAt";
    CancelMediation => MediationCancelled, roles: [Mediator, Supervisor], own_name: [];
    RecordGroupActivity => GroupActivityHeld, roles: [Mediator, Supervisor], own_name: [];
    DistributeInformationMaterial => InformationMaterialDistributed, roles: [Mediator, Supervisor], own_name: [];
    DefineSurvey => SurveyDefined, roles: [Supervisor, Admin], own_name: [];
    RecordSurveyResponse => SatisfactionSurveyCompleted, roles: [Mediator, Supervisor], own_name: [];
    WriteLogbookEntry => LogbookEntryWritten, roles: [Mediator, Supervisor], own_name: [mediator = "mediator"];
    CommentLogbookEntry => LogbookEntryCommented, roles: [Supervisor], own_name: [];
    RedactText => TextRedacted, roles: [Supervisor], own_name: [];
    RecordSupervisionMeeting => SupervisionMeetingHeld, roles: [Supervisor], own_name: [];
    RecordCheckpoint => CheckpointSigned, roles: [], own_name: [];
    MapService => ServiceMapped, roles: [Supervisor, Admin], own_name: [];
    UpdateService => ServiceUpdated, roles: [Supervisor, Admin], own_name: [];
    RetireService => ServiceRetired, roles: [Supervisor, Admin], own_name: [];
    ScheduleSite => SiteScheduled, roles: [Supervisor, Admin], own_name: [];
    CorrectEvent => EventCorrected, roles: [Mediator, Supervisor], own_name: [];
    ErasePerson => PersonErased, roles: [Supervisor], own_name: [];
    MergePersons => PersonsMerged, roles: [Supervisor], own_name: [];
    TakeOnPerson => PersonTakenOn, roles: [Mediator, Supervisor], own_name: [];
    CloseSite => SiteClosed, roles: [Supervisor, Admin], own_name: [];
    BookAppointment => AppointmentBooked, roles: [Mediator, Supervisor], own_name: [];
    RescheduleAppointment => AppointmentRescheduled, roles: [Mediator, Supervisor], own_name: [];
    CancelAppointment => AppointmentCancelled, roles: [Mediator, Supervisor], own_name: [];
    RecordAppointmentAttended => AppointmentAttended, roles: [Mediator, Supervisor], own_name: [];
    RecordNoShow => AppointmentMissed, roles: [Mediator, Supervisor], own_name: [];
    CompleteSupervisionAction => SupervisionActionCompleted, roles: [Supervisor], own_name: [];
    UpdatePerson => PersonUpdated, roles: [Mediator, Supervisor], own_name: [];
    RecordCaseConference => CaseConferenceHeld, roles: [Mediator, Supervisor], own_name: [mediator = "mediator"];
    OpenStaffAccount => StaffAccountOpened, roles: [Admin], own_name: [];
    ResetStaffPassword => StaffPasswordReset, roles: [Admin], own_name: [];
    DisableStaffAccount => StaffAccountDisabled, roles: [Admin], own_name: [];
}

impl Command {
    /// When the fact it records happened (a mediation session: when it ended).
    pub fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred().0
    }
}

/// What each command names, for the checks every command shares (`state/check.rs`,
/// `state/sites.rs`). One arm per command, no catch-all: a new command says them.
impl Command {
    /// The person the command is about (`personId`), if it names one.
    pub fn person_id(&self) -> Option<PersonId> {
        match self {
            Command::RegisterPerson(c) => Some(c.person_id),
            Command::GiveConsent(c) => Some(c.person_id),
            Command::WithdrawConsent(c) => Some(c.person_id),
            Command::AssessVulnerability(c) => Some(c.person_id),
            Command::RecordIntake(c) => Some(c.person_id),
            Command::OpenCase(c) => Some(c.person_id),
            Command::RecordIntervention(c) => Some(c.person_id),
            Command::IssueReferral(c) => Some(c.person_id),
            Command::RequestMediation(c) => c.person_id,
            Command::RecordSurveyResponse(c) => c.person_id,
            Command::ErasePerson(c) => Some(c.person_id),
            Command::MergePersons(c) => Some(c.person_id),
            Command::TakeOnPerson(c) => Some(c.person_id),
            Command::BookAppointment(c) => Some(c.person_id),
            Command::UpdatePerson(c) => Some(c.person_id),
            Command::AgreeCarePlan(_)
            | Command::CloseCase(_)
            | Command::ReopenCase(_)
            | Command::TransferCase(_)
            | Command::RecordCaseConference(_)
            | Command::RecordReferralOutcome(_)
            | Command::RecordMediationSession(_)
            | Command::CancelMediation(_)
            | Command::RecordGroupActivity(_)
            | Command::DistributeInformationMaterial(_)
            | Command::WriteLogbookEntry(_)
            | Command::RecordSupervisionMeeting(_)
            | Command::RecordCheckpoint(_)
            | Command::MapService(_)
            | Command::UpdateService(_)
            | Command::RetireService(_)
            | Command::ScheduleSite(_)
            | Command::CorrectEvent(_)
            | Command::CloseSite(_)
            | Command::RescheduleAppointment(_)
            | Command::CancelAppointment(_)
            | Command::RecordAppointmentAttended(_)
            | Command::RecordNoShow(_)
            | Command::CompleteSupervisionAction(_)
            | Command::CommentLogbookEntry(_)
            | Command::RedactText(_) => None,
            // Staff accounts name no person served, no case and no site's work.
            Command::OpenStaffAccount(_)
            | Command::DisableStaffAccount(_)
            | Command::ResetStaffPassword(_) => None,
            // A questionnaire's definition names no person, case or site.
            Command::DefineSurvey(_) => None,
        }
    }

    /// The case the command acts on or opens (`caseId`), if it names one.
    pub fn case_id(&self) -> Option<CaseId> {
        match self {
            Command::OpenCase(c) => Some(c.case_id),
            Command::AgreeCarePlan(c) => Some(c.case_id),
            Command::CloseCase(c) => Some(c.case_id),
            Command::ReopenCase(c) => Some(c.case_id),
            Command::TransferCase(c) => Some(c.case_id),
            Command::RecordCaseConference(c) => Some(c.case_id),
            Command::RecordIntervention(c) => c.case_id,
            Command::IssueReferral(c) => c.case_id,
            Command::RequestMediation(c) => c.case_id,
            Command::RegisterPerson(_)
            | Command::GiveConsent(_)
            | Command::WithdrawConsent(_)
            | Command::AssessVulnerability(_)
            | Command::RecordIntake(_)
            | Command::RecordReferralOutcome(_)
            | Command::RecordMediationSession(_)
            | Command::CancelMediation(_)
            | Command::RecordGroupActivity(_)
            | Command::DistributeInformationMaterial(_)
            | Command::RecordSurveyResponse(_)
            | Command::WriteLogbookEntry(_)
            | Command::RecordSupervisionMeeting(_)
            | Command::RecordCheckpoint(_)
            | Command::MapService(_)
            | Command::UpdateService(_)
            | Command::RetireService(_)
            | Command::ScheduleSite(_)
            | Command::CorrectEvent(_)
            | Command::ErasePerson(_)
            | Command::MergePersons(_)
            | Command::TakeOnPerson(_)
            | Command::CloseSite(_)
            | Command::BookAppointment(_)
            | Command::RescheduleAppointment(_)
            | Command::CancelAppointment(_)
            | Command::RecordAppointmentAttended(_)
            | Command::RecordNoShow(_)
            | Command::CompleteSupervisionAction(_)
            | Command::UpdatePerson(_)
            | Command::CommentLogbookEntry(_)
            | Command::RedactText(_) => None,
            // Staff accounts name no person served, no case and no site's work.
            Command::OpenStaffAccount(_)
            | Command::DisableStaffAccount(_)
            | Command::ResetStaffPassword(_) => None,
            // A questionnaire's definition names no person, case or site.
            Command::DefineSurvey(_) => None,
        }
    }

    /// The person a command records a fact about at its own site, if any. One arm per command, no
    /// catch-all: a new command says whether it names a person at a site.
    pub(crate) fn person_at_site(&self) -> Option<(PersonId, &SiteId)> {
        match self {
            Command::GiveConsent(c) => Some((c.person_id, &c.site_id)),
            Command::WithdrawConsent(c) => Some((c.person_id, &c.site_id)),
            Command::AssessVulnerability(c) => Some((c.person_id, &c.site_id)),
            Command::RecordIntake(c) => Some((c.person_id, &c.site_id)),
            Command::OpenCase(c) => Some((c.person_id, &c.site_id)),
            Command::RecordIntervention(c) => Some((c.person_id, &c.site_id)),
            Command::IssueReferral(c) => Some((c.person_id, &c.site_id)),
            Command::RequestMediation(c) => c.person_id.map(|p| (p, &c.site_id)),
            Command::RecordSurveyResponse(c) => c.person_id.map(|p| (p, &c.site_id)),
            Command::BookAppointment(c) => Some((c.person_id, &c.site_id)),
            Command::UpdatePerson(c) => Some((c.person_id, &c.site_id)),
            // A registration creates the person; taking on is how another site comes in; the rest
            // act on a record of their own site, or on no person, or belong to no site.
            Command::RegisterPerson(_)
            | Command::TakeOnPerson(_)
            | Command::AgreeCarePlan(_)
            | Command::CloseCase(_)
            | Command::ReopenCase(_)
            | Command::TransferCase(_)
            | Command::RecordCaseConference(_)
            | Command::RecordReferralOutcome(_)
            | Command::RecordMediationSession(_)
            | Command::CancelMediation(_)
            | Command::RecordGroupActivity(_)
            | Command::DistributeInformationMaterial(_)
            | Command::WriteLogbookEntry(_)
            | Command::RecordSupervisionMeeting(_)
            | Command::RecordCheckpoint(_)
            | Command::MapService(_)
            | Command::UpdateService(_)
            | Command::RetireService(_)
            | Command::ScheduleSite(_)
            | Command::CorrectEvent(_)
            | Command::ErasePerson(_)
            | Command::MergePersons(_)
            | Command::CloseSite(_)
            | Command::RescheduleAppointment(_)
            | Command::CancelAppointment(_)
            | Command::RecordAppointmentAttended(_)
            | Command::RecordNoShow(_)
            | Command::CompleteSupervisionAction(_)
            | Command::CommentLogbookEntry(_)
            | Command::RedactText(_) => None,
            // Staff accounts name no person served, no case and no site's work.
            Command::OpenStaffAccount(_)
            | Command::DisableStaffAccount(_)
            | Command::ResetStaffPassword(_) => None,
            // A questionnaire's definition names no person, case or site.
            Command::DefineSurvey(_) => None,
        }
    }
}
