//! The rows the read models keep, and the [`ReadModels`] that holds them.

use rustc_hash::FxHashMap as HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::*;
use journal::Position;
use ulid::Ulid;

use crate::audit::AuditIndex;
use crate::period::SiteSchedule;
use crate::search::SearchKeys;
use crate::sym::{Keys, Sym, Symbols};

/// Index of a person, case, ... in its table.
pub(crate) type Ix = u32;
/// No index.
pub(crate) const NO_IX: Ix = u32::MAX;

/// Every read model, folded from the journal up to [`ReadModels::position`].
///
/// `Clone` gives an independent snapshot: nothing is shared, so a clone keeps answering as of
/// the position it was taken at.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct ReadModels {
    pub(crate) position: Position,
    pub(crate) undecodable: u64,
    /// Corrections naming an event this fold does not know (or one without a row).
    pub(crate) corrections_unmatched: u64,
    pub(crate) schedule: SiteSchedule,
    pub(crate) syms: Symbols,
    pub(crate) audit: AuditIndex,
    pub(crate) person_keys: Keys<PersonId>,
    pub(crate) persons: Vec<PersonRow>,
    pub(crate) case_keys: Keys<CaseId>,
    pub(crate) cases: Vec<Option<CaseRow>>,
    pub(crate) referral_keys: Keys<ReferralId>,
    pub(crate) referrals: Vec<Option<ReferralRow>>,
    pub(crate) mediation_keys: Keys<MediationId>,
    pub(crate) mediations: Vec<Option<MediationRow>>,
    pub(crate) service_keys: Keys<ServiceId>,
    pub(crate) services: Vec<Option<ServiceRow>>,
    pub(crate) intakes: Vec<IntakeRow>,
    pub(crate) interventions: Vec<InterventionRow>,
    pub(crate) sessions: Vec<SessionRow>,
    pub(crate) groups: Vec<GroupRow>,
    pub(crate) surveys: Vec<SurveyRow>,
    pub(crate) logbook: Vec<LogbookRow>,
    pub(crate) meetings: Vec<MeetingRow>,
    pub(crate) appointment_keys: Keys<AppointmentId>,
    pub(crate) appointments: Vec<Option<AppointmentRow>>,
    /// Where the row of each event lives, for corrections.
    pub(crate) targets: HashMap<Ulid, (Target, Position)>,
}

impl Default for ReadModels {
    fn default() -> Self {
        ReadModels::with_schedule(SiteSchedule::default())
    }
}

impl ReadModels {
    /// Empty models with the given opening days.
    pub fn with_schedule(schedule: SiteSchedule) -> Self {
        ReadModels {
            position: Position::ZERO,
            undecodable: 0,
            corrections_unmatched: 0,
            schedule,
            syms: Symbols::default(),
            audit: AuditIndex::default(),
            person_keys: Keys::default(),
            persons: Vec::new(),
            case_keys: Keys::default(),
            cases: Vec::new(),
            referral_keys: Keys::default(),
            referrals: Vec::new(),
            mediation_keys: Keys::default(),
            mediations: Vec::new(),
            service_keys: Keys::default(),
            services: Vec::new(),
            intakes: Vec::new(),
            interventions: Vec::new(),
            sessions: Vec::new(),
            groups: Vec::new(),
            surveys: Vec::new(),
            logbook: Vec::new(),
            meetings: Vec::new(),
            appointment_keys: Keys::default(),
            appointments: Vec::new(),
            targets: HashMap::default(),
        }
    }

    /// The position of the last event applied; [`Position::ZERO`] before any.
    pub fn position(&self) -> Position {
        self.position
    }

    /// How many events could not be decoded (passed to `apply_undecodable`).
    pub fn undecodable_count(&self) -> u64 {
        self.undecodable
    }

    /// How many corrections named an event this fold has no row for.
    pub fn unmatched_corrections(&self) -> u64 {
        self.corrections_unmatched
    }

    pub fn schedule(&self) -> &SiteSchedule {
        &self.schedule
    }

    /// Replaces the opening days; they only affect queries, so no refold is needed.
    pub fn set_schedule(&mut self, schedule: SiteSchedule) {
        self.schedule = schedule;
    }

    pub(crate) fn person_ix(&mut self, id: PersonId) -> Ix {
        let (ix, new) = self.person_keys.insert(id);
        if new {
            self.persons.push(PersonRow {
                id,
                profile: None,
                vulnerabilities: 0,
                assessed_at: None,
                consents: 0,
                last_intake: None,
                merged_into: NO_IX,
                taken_on: Vec::new(),
            });
        }
        ix
    }

    /// The person a row counts as: the end of its chain of merges (itself if never merged).
    /// The domain refuses a merge into a merged registration, so a chain has no loop; the bound
    /// keeps a damaged journal from looping all the same.
    pub(crate) fn kept(&self, mut ix: Ix) -> Ix {
        for _ in 0..self.persons.len() {
            match self.persons.get(ix as usize).map(|p| p.merged_into) {
                Some(next) if next != NO_IX => ix = next,
                _ => break,
            }
        }
        ix
    }

    pub(crate) fn case_ix(&mut self, id: CaseId) -> Ix {
        let (ix, new) = self.case_keys.insert(id);
        if new {
            self.cases.push(None);
        }
        ix
    }

    pub(crate) fn referral_ix(&mut self, id: ReferralId) -> Ix {
        let (ix, new) = self.referral_keys.insert(id);
        if new {
            self.referrals.push(None);
        }
        ix
    }

    pub(crate) fn mediation_ix(&mut self, id: MediationId) -> Ix {
        let (ix, new) = self.mediation_keys.insert(id);
        if new {
            self.mediations.push(None);
        }
        ix
    }

    pub(crate) fn appointment_ix(&mut self, id: AppointmentId) -> Ix {
        let (ix, new) = self.appointment_keys.insert(id);
        if new {
            self.appointments.push(None);
        }
        ix
    }

    pub(crate) fn service_ix(&mut self, id: ServiceId) -> Ix {
        let (ix, new) = self.service_keys.insert(id);
        if new {
            self.services.push(None);
        }
        ix
    }
}

/// Which row an event made, so that a correction can find it.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) enum Target {
    Person(Ix),
    Assessment(Ix),
    Intake(Ix),
    CaseOpened(Ix),
    CarePlan(Ix),
    CaseClosed(Ix),
    CaseReopened(Ix),
    Intervention(Ix),
    Referral(Ix),
    ReferralOutcome(Ix, u32),
    Mediation(Ix),
    Session(Ix),
    Cancellation(Ix),
    Group(Ix),
    Survey(Ix),
    Logbook(Ix),
    Meeting(Ix),
    ServiceDescription(Ix),
    ServiceRetired(Ix),
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct PersonRow {
    pub id: PersonId,
    pub profile: Option<Profile>,
    /// Categories of the latest assessment, as bits of `VulnerabilityCategory::ALL`.
    pub vulnerabilities: u32,
    pub assessed_at: Option<Position>,
    /// Scopes currently consented, as bits of `ConsentScope::ALL`.
    pub consents: u32,
    /// The latest intake: position, time.
    pub last_intake: Option<(Position, Ulid, DateTime<Utc>)>,
    /// The registration this one was merged into (`PersonsMerged`), or [`NO_IX`].
    pub merged_into: Ix,
    /// The sites that took the person on after their registration (`PersonTakenOn`).
    pub taken_on: Vec<Sym>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Profile {
    /// The registration's event.
    pub event_id: Ulid,
    pub site: Sym,
    pub registered_at: DateTime<Utc>,
    pub position: Position,
    pub birth_year: i32,
    pub sex: Sex,
    pub citizenships: Box<[Sym]>,
    pub country_of_birth: Sym,
    pub arrival_year: Option<i32>,
    pub permit_type: PermitType,
    pub permit_expires_on: Option<NaiveDate>,
    /// The permit's renewal was applied for (a status beside the type).
    pub permit_renewal_pending: bool,
    /// When the latest `PersonUpdated` happened, if any: the values here are the current ones.
    pub updated_at: Option<DateTime<Utc>>,
    pub languages: Box<[Sym]>,
    pub household_size: u8,
    pub minor: bool,
    pub unaccompanied_minor: bool,
    pub personal: PersonalData,
    /// What the person is found by, folded from `personal` (memory only).
    pub search: SearchKeys,
}

#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Transition {
    pub at: DateTime<Utc>,
    pub position: Position,
    pub open: bool,
}

#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Closure {
    pub at: DateTime<Utc>,
    pub position: Position,
    pub reason: ClosureReason,
    pub outcome: CaseOutcome,
}

#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Plan {
    pub event_id: Ulid,
    pub agreed_at: DateTime<Utc>,
    pub position: Position,
    pub needs: u32,
    pub review_on: NaiveDate,
}

/// One event in a case's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub position: Position,
    pub event_id: Ulid,
    #[serde(with = "domain::snapshot::event_type")]
    pub event_type: domain::snapshot::EventTypeName,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CaseRow {
    pub id: CaseId,
    pub person: Ix,
    pub site: Sym,
    pub opened_at: DateTime<Utc>,
    pub position: Position,
    pub case_worker: Sym,
    pub vulnerabilities: u32,
    pub partner_services: Vec<ServiceId>,
    /// Opening, closures and reopenings, in position order; the first is the opening.
    pub transitions: Vec<Transition>,
    /// The latest closure.
    pub closure: Option<Closure>,
    pub plan: Option<Plan>,
    /// The partner service that holds the case (the latest `CaseTransferred` naming one).
    pub holding_service: Option<HoldingService>,
    pub timeline: Vec<TimelineEntry>,
}

impl CaseRow {
    pub(crate) fn is_open(&self) -> bool {
        self.transitions.last().is_none_or(|t| t.open)
    }

    /// Open at the instant `at`: the latest transition (in journal order) that happened before
    /// `at` says; a case opened after `at` is not open.
    pub(crate) fn open_at(&self, at: DateTime<Utc>) -> bool {
        self.transitions
            .iter()
            .rev()
            .find(|t| t.at < at)
            .is_some_and(|t| t.open)
    }
}

#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct OutcomeRow {
    pub outcome: ReferralOutcome,
    pub at: DateTime<Utc>,
    pub appointment_on: Option<NaiveDate>,
    pub position: Position,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ReferralRow {
    pub id: ReferralId,
    pub event_id: Ulid,
    /// Who issued it, and so follows it up.
    pub issued_by: Sym,
    pub person: Ix,
    pub case: Option<Ix>,
    pub site: Sym,
    pub service: ServiceId,
    pub reason: NeedArea,
    pub urgency: Urgency,
    pub issued_at: DateTime<Utc>,
    pub position: Position,
    pub outcomes: Vec<OutcomeRow>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MediationRow {
    pub id: MediationId,
    pub site: Sym,
    pub requested_at: DateTime<Utc>,
    pub position: Position,
    pub mode: MediationMode,
    pub requesting_service: Option<ServiceId>,
    pub person: Option<Ix>,
    pub case: Option<Ix>,
    pub language: Sym,
    pub slot_start: Option<DateTime<Utc>>,
    pub slot_end: Option<DateTime<Utc>>,
    pub cancelled: Option<(DateTime<Utc>, CancellationReason)>,
    pub sessions: Vec<Ix>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ServiceRow {
    pub id: ServiceId,
    pub description: ServiceDescription,
    /// Position of the event whose description is current.
    pub description_position: Position,
    pub mapped_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub retired: Option<(DateTime<Utc>, String)>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct IntakeRow {
    pub person: Ix,
    pub site: Sym,
    pub at: DateTime<Utc>,
    pub channel: IntakeChannel,
    pub needs: u32,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct InterventionRow {
    pub person: Ix,
    pub case: Option<Ix>,
    pub site: Sym,
    pub at: DateTime<Utc>,
    pub activity: Activity,
    pub mode: InterventionMode,
    pub duration_minutes: u32,
    pub language: Sym,
    pub need: Option<NeedArea>,
    pub outcome: InterventionOutcome,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SessionRow {
    pub event_id: Ulid,
    pub mediation: Ix,
    pub site: Sym,
    pub person: Option<Ix>,
    pub case: Option<Ix>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub position: Position,
    pub mediator: Sym,
    pub from: Sym,
    pub to: Sym,
    pub kind: MediationKind,
    pub outcome: SessionOutcome,
    pub follow_up_needed: bool,
    pub follow_up_by: Option<NaiveDate>,
    pub place: Option<SessionPlace>,
}

impl SessionRow {
    pub(crate) fn minutes(&self) -> u64 {
        u64::try_from((self.ended_at - self.started_at).num_minutes()).unwrap_or(0)
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct GroupRow {
    pub site: Sym,
    pub at: DateTime<Utc>,
    pub kind: GroupActivityKind,
    pub duration_minutes: u32,
    pub attendees_third_country: u32,
    pub attendees_other: u32,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SurveyRow {
    pub site: Sym,
    pub at: DateTime<Utc>,
    /// Score per item of `SurveyItem::ALL`; 0 when not answered.
    pub scores: [u8; 6],
    pub helpful: bool,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct LogbookRow {
    pub site: Sym,
    pub date: NaiveDate,
    pub written_at: DateTime<Utc>,
    pub position: Position,
    pub mediator: Sym,
    pub slot: RotationSlot,
    pub contacts: u32,
    pub languages: Box<[Sym]>,
    pub emerging_needs: u32,
    /// The entry's event id (comments and redactions name it).
    pub id: Ulid,
    /// Its free text, opened (none in an entry without text); `[erased]` once redacted.
    pub text: Option<Box<DiaryText>>,
    pub comments: Vec<DiaryComment>,
    /// Its text was redacted (`TextRedacted`).
    pub redacted: bool,
}

/// What a mediator wrote in their entry, in words.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct DiaryText {
    pub observations: Option<PersonalNote>,
    pub incidents: Option<PersonalNote>,
    pub difficulties: Option<PersonalNote>,
    pub strategies: Option<PersonalNote>,
    pub training_needs: Option<PersonalNote>,
}

impl DiaryText {
    /// The same fields, each one present read as erased.
    pub fn redacted(&self) -> DiaryText {
        let erased = |n: &Option<PersonalNote>| n.as_ref().map(|_| PersonalNote::erased());
        DiaryText {
            observations: erased(&self.observations),
            incidents: erased(&self.incidents),
            difficulties: erased(&self.difficulties),
            strategies: erased(&self.strategies),
            training_needs: erased(&self.training_needs),
        }
    }
}

/// A supervisor's comment under a logbook entry.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct DiaryComment {
    pub at: DateTime<Utc>,
    pub position: Position,
    pub supervisor: String,
    pub comment: PersonalNote,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MeetingRow {
    pub id: MeetingId,
    pub event_id: Ulid,
    /// Each action: what, whose, by when, and whether it was done
    /// (`SupervisionActionCompleted`).
    pub actions: Vec<ActionRow>,
    pub at: DateTime<Utc>,
    pub position: Position,
    pub duration_minutes: u32,
    pub supervisor: String,
    pub attendees: Vec<String>,
    pub sites: Vec<SiteId>,
    pub themes: Vec<String>,
    pub cases_discussed: Vec<CaseId>,
    pub decisions: Vec<PersonalNote>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ActionRow {
    pub description: PersonalNote,
    pub owner: String,
    pub due_on: Option<NaiveDate>,
    pub done: bool,
}

impl ActionRow {
    /// The action as the meeting recorded it (or a correction made it).
    pub fn action(&self) -> SupervisionAction {
        SupervisionAction {
            description: self.description.clone(),
            owner: self.owner.clone(),
            due_on: self.due_on,
        }
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct AppointmentRow {
    pub id: AppointmentId,
    /// The booking's event.
    pub event_id: Ulid,
    pub position: Position,
    pub person: Ix,
    pub site: Sym,
    pub booked_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub mediator: Sym,
    pub language: Sym,
    pub channel: IntakeChannel,
    pub referred_by: Option<ServiceId>,
    pub status: AppointmentStatus,
    /// How many times it was moved.
    pub rescheduled: u32,
}

pub(crate) fn scores_array(scores: &[ItemScore]) -> [u8; 6] {
    let mut out = [0u8; 6];
    for s in scores {
        if let Some(i) = SurveyItem::ALL.iter().position(|x| *x == s.item) {
            if let Some(slot) = out.get_mut(i) {
                *slot = s.score;
            }
        }
    }
    out
}
